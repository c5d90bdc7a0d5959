#!/usr/bin/env bash
# Builds the test-host kernel once and caches it: a Linux 7.2 bzImage from
# Debian sid's linux-source-7.2 with netkit, netdevsim, virtio and 9p built in
# (no modules). Debian's own kernels lack netdevsim, hence our own build.
#
# Usage: build.sh            -> prints the cache dir (bzImage, .config, release)
# Env:   NETKIT_CACHE          cache root (default ~/.cache/pulumi-netkit)
#        NETKIT_KERNEL_REFRESH=1  ask sid for a newer package even if a build exists
#        NETKIT_KERNEL_JOBS    make -j (default: nproc)
# Only the cache path goes to stdout; everything else goes to stderr.
set -euo pipefail

PACKAGE=linux-source-7.2
SID_SOURCE='deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian sid main'

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fragment=$here/netkit.config
source "$here/../../scripts/toolchain/cache.sh"
cache=$NETKIT_CACHE
kdir=$cache/kernel
jobs=${NETKIT_KERNEL_JOBS:-$(nproc)}

log() { echo "kernel/build.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

# An entry is $kdir/<linux-source version>-<hash of this script, the fragment and cache.sh>:
# any change to how the kernel is made builds it again (see cache.sh).
hash=$(cache_hash "${BASH_SOURCE[0]}" "$fragment")

# Fast path, no network: the newest entry for this hash. sid drops old package versions,
# so pinning what we built is also the more robust choice.
cached_build() {
  local d best=
  while IFS= read -r d; do [[ -s $d/bzImage ]] && best=$d; done < <(ls -d "$kdir"/*-"$hash" 2>/dev/null | sort -V)
  [[ -n $best ]] && echo "$best"
}

if [[ ${NETKIT_KERNEL_REFRESH:-0} != 1 ]] && hit=$(cached_build); then
  echo "$hit"
  exit 0
fi

mkdir -p "$kdir"
# One build at a time per cache (parallel test runs would otherwise race).
exec 9>"$kdir/.lock"
flock 9
if [[ ${NETKIT_KERNEL_REFRESH:-0} != 1 ]] && hit=$(cached_build); then
  echo "$hit"
  exit 0
fi

as_root() { if [[ $(id -u) == 0 ]]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "need root to run: $*"; fi; }

# --- host build dependencies (from the machine's own release) --------------
need_pkgs=()
need() { local pkg=$1; shift; "$@" || need_pkgs+=("$pkg"); }
has() { command -v "$1" >/dev/null 2>&1; }
need gcc has gcc
need make has make
need flex has flex
need bison has bison
need bc has bc
need perl has perl
need xz-utils has xz
need binutils has ld
need util-linux has flock
need libelf-dev test -e /usr/include/libelf.h     # objtool
need libssl-dev test -e /usr/include/openssl/evp.h # scripts/sign-file, extract-cert
need debian-archive-keyring test -e /usr/share/keyrings/debian-archive-keyring.gpg
if ((${#need_pkgs[@]})); then
  log "installing build dependencies: ${need_pkgs[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >&2
fi

# --- fetch linux-source from sid with a private apt state -------------------
# Never touches the machine's apt sources, lists or dpkg status.
apt_dir=$cache/apt-sid
mkdir -p "$apt_dir"/lists/partial "$apt_dir"/cache/archives/partial "$cache/src"
echo "$SID_SOURCE" >"$apt_dir/sources.list"
apt_opts=(
  -o "Dir::Etc::SourceList=$apt_dir/sources.list"
  -o Dir::Etc::SourceParts=/dev/null
  -o Dir::Etc::Preferences=/dev/null
  -o Dir::Etc::PreferencesParts=/dev/null
  -o "Dir::State::Lists=$apt_dir/lists"
  -o "Dir::Cache=$apt_dir/cache"
  -o Dir::State::status=/dev/null
  -o Acquire::Languages=none
  -o "APT::Sandbox::User=$(id -un)"
)
log "updating the private sid package index"
apt-get "${apt_opts[@]}" -qq update >&2 || die "apt-get update of sid failed"
version=$(apt-cache "${apt_opts[@]}" show --no-all-versions "$PACKAGE" 2>/dev/null | sed -n 's/^Version: //p' | head -n1)
[[ -n $version ]] || die "$PACKAGE not found in sid"
out=$kdir/$version-$hash
if [[ -s $out/bzImage ]]; then
  echo "$out"
  exit 0
fi

# The source package is a download cache: complete once renamed into place.
deb=$cache/src/${PACKAGE}_${version}_all.deb
if [[ ! -s $deb ]]; then
  log "downloading $PACKAGE $version"
  dl=$(mktemp -d "$cache/src/.download.XXXXXX")
  (cd "$dl" && apt-get "${apt_opts[@]}" -qq download "$PACKAGE=$version" >&2) ||
    { rm -rf "$dl"; die "apt-get download $PACKAGE=$version failed"; }
  mv "$dl"/"${PACKAGE}"_*.deb "$deb" && rm -rf "$dl"
  # Keep only the newest source package.
  find "$cache/src" -name "${PACKAGE}_*.deb" ! -name "$(basename "$deb")" -delete
fi

# --- unpack ----------------------------------------------------------------
stage=$(cache_stage "$out")
work=$stage/build
mkdir -p "$work"
trap 'rm -rf "$stage"' EXIT
log "unpacking $(basename "$deb")"
dpkg -x "$deb" "$work/pkg"
tarball=$(find "$work/pkg/usr/src" -maxdepth 1 -name "$PACKAGE.tar.*" | head -n1)
[[ -n $tarball ]] || die "no $PACKAGE tarball inside $deb"
tar -xf "$tarball" -C "$work"
rm -rf "$work/pkg"
src=$work/$PACKAGE
[[ -f $src/Makefile ]] || die "unexpected layout: $src/Makefile missing"

# --- configure and verify ----------------------------------------------------
# Fixed build identity keeps the image independent of who built it when.
export ARCH=x86_64 KBUILD_BUILD_USER=netkit KBUILD_BUILD_HOST=testhost \
  KBUILD_BUILD_TIMESTAMP="$version"
mk() { make -C "$src" -s "$@"; }
log "configuring: allnoconfig with $(basename "$fragment") forced"
mk KCONFIG_ALLCONFIG="$fragment" allnoconfig >&2

# Kconfig drops options with unmet dependencies without a word: check them.
missing=()
while IFS= read -r line; do
  case $line in
    CONFIG_*=*)
      grep -qxF -- "$line" "$src/.config" || missing+=("$line (got: $(grep -E "^(# )?${line%%=*}[= ]" "$src/.config" || echo absent))")
      ;;
    "# CONFIG_"*" is not set")
      sym=${line#\# }; sym=${sym%% *}
      ! grep -q "^$sym=" "$src/.config" || missing+=("$line (got: $(grep "^$sym=" "$src/.config"))")
      ;;
  esac
done <"$fragment"
grep -q '^CONFIG_MODULES=y' "$src/.config" && missing+=("CONFIG_MODULES must stay unset (everything built in)")
if ((${#missing[@]})); then
  log "these required options did not survive Kconfig (unmet dependencies?):"
  printf '  %s\n' "${missing[@]}" >&2
  die "kernel config check failed"
fi

# --- build -----------------------------------------------------------------
log "building bzImage with -j$jobs (takes a few minutes)"
start=$SECONDS
if ! make -C "$src" -j"$jobs" bzImage >"$work/build.log" 2>&1; then
  tail -n 60 "$work/build.log" >&2
  die "kernel build failed (log tail above)"
fi
release=$(mk kernelrelease)
log "built $release in $((SECONDS - start)) s"

cp "$src/arch/x86/boot/bzImage" "$stage/bzImage"
cp "$src/.config" "$stage/.config"
echo "$release" >"$stage/release"
rm -rf "$work"
# Verified: the config check above passed and the image is a bzImage of the release we built.
grep -qaF "$release" "$stage/bzImage" || die "bzImage does not carry the release $release"
cache_commit "$stage" "$out"
echo "$out"
