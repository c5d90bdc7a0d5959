#!/usr/bin/env bash
# Fetches (once, cached) a Debian distribution kernel for test hosts that need a
# kernel *other* than our netkit build, e.g. bookworm's 6.1, which predates netkit
# (6.7): tests then prove the provider's refusal on such hosts.
#
# Debian builds virtio, 9p and overlayfs as modules, which the test-host initramfs
# must load before it can mount the host's root. So besides vmlinuz this script
# caches modules.cpio.gz: those modules and their dependencies, decompressed (busybox
# insmod reads plain .ko only) under /modules, with /modules/load listing them in
# load order. Appended to the base initramfs, it is picked up by initramfs-init.sh.
#
# Usage: debian.sh bookworm-6.1  -> prints the cache dir (vmlinuz, modules.cpio.gz, release, config)
# Env:   NETKIT_CACHE              cache root (default ~/.cache/pulumi-netkit)
#        NETKIT_KERNEL_REFRESH=1   ask the archive for a newer package even if one is cached
# The package is fetched with apt-get download through a private sources list and
# state dir, and unpacked with dpkg -x: the machine's apt config is never touched.
# Only the cache path goes to stdout; everything else goes to stderr.
set -euo pipefail

# Bump when a change here must invalidate cached kernels.
SCRIPT_VERSION=1
# What the test-host initramfs needs (virtio-pci devices, the SSH NIC, the 9p root,
# the overlay on top, the entropy source); dependencies are added automatically.
MODULES=(virtio_pci virtio_net 9pnet_virtio 9p overlay virtio_rng)

log() { echo "kernel/debian.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

flavour=${1:-}
case $flavour in
  # The metapackage names the suite's current ABI (linux-image-6.1.0-NN-amd64).
  bookworm-6.1) suite=bookworm; meta=linux-image-amd64; image_re='^linux-image-6\.1\.[0-9.-]+-amd64$' ;;
  *) die "unknown Debian kernel '${flavour}' (known: bookworm-6.1)" ;;
esac

cache=${NETKIT_CACHE:-$HOME/.cache/pulumi-netkit}
stamp="v$SCRIPT_VERSION ${MODULES[*]}"
complete() { [[ -s $1/vmlinuz && -s $1/modules.cpio.gz && -s $1/release && "$(cat "$1/stamp" 2>/dev/null)" == "$stamp" ]]; }

# Fast path, no network: the newest complete cached build of this suite.
cached() {
  local d best=
  while IFS= read -r d; do complete "$d" && best=$d; done < <(ls -d "$cache/kernel-$suite-"* 2>/dev/null | sort -V)
  [[ -n $best ]] && echo "$best"
}
if [[ ${NETKIT_KERNEL_REFRESH:-0} != 1 ]] && hit=$(cached); then
  echo "$hit"
  exit 0
fi

mkdir -p "$cache"
exec 9>"$cache/.kernel-$suite.lock"
flock 9
if [[ ${NETKIT_KERNEL_REFRESH:-0} != 1 ]] && hit=$(cached); then
  echo "$hit"
  exit 0
fi

for t in apt-get apt-cache dpkg objcopy xz zstd; do
  command -v "$t" >/dev/null || die "$t is missing (Debian packages: apt, dpkg, binutils, xz-utils, zstd)"
done
[[ -e /usr/share/keyrings/debian-archive-keyring.gpg ]] || die "no /usr/share/keyrings/debian-archive-keyring.gpg (package debian-archive-keyring)"

# --- resolve and download with a private apt state --------------------------
apt_dir=$cache/apt-$suite
mkdir -p "$apt_dir"/lists/partial "$apt_dir"/cache/archives/partial
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main" >"$apt_dir/sources.list"
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
log "updating the private $suite package index"
apt-get "${apt_opts[@]}" -qq update >&2 || die "apt-get update of $suite failed"
depends=$(apt-cache "${apt_opts[@]}" show --no-all-versions "$meta" 2>/dev/null | sed -n 's/^Depends: //p' | head -n1)
# "linux-image-6.1.0-50-amd64 (= 6.1.176-1)"
package=$(sed -E 's/^([^ ,]+) \(= ([^)]+)\).*/\1/' <<<"$depends")
version=$(sed -E 's/^([^ ,]+) \(= ([^)]+)\).*/\2/' <<<"$depends")
[[ $package =~ $image_re && -n $version && $version != "$depends" ]] ||
  die "cannot tell the kernel package from $meta's Depends: '$depends'"
out=$cache/kernel-$suite-$version
if complete "$out"; then
  echo "$out"
  exit 0
fi

work=$(mktemp -d "$cache/.kernel-$suite.XXXXXX")
trap 'rm -rf "$work"' EXIT
log "downloading $package $version"
(cd "$work" && apt-get "${apt_opts[@]}" -qq download "$package=$version" >&2) || die "apt-get download $package=$version failed"
dpkg -x "$work"/"${package}"_*.deb "$work/pkg"

vmlinuz=$(compgen -G "$work/pkg/boot/vmlinuz-*" | head -n1 || true)
[[ -n $vmlinuz ]] || die "no /boot/vmlinuz-* in $package"
release=${vmlinuz##*/vmlinuz-}
mods=
for d in "$work/pkg/lib/modules/$release" "$work/pkg/usr/lib/modules/$release"; do [[ -d $d ]] && mods=$d; done
[[ -n $mods ]] || die "no modules directory for $release in $package"

# --- modules: wanted ones plus dependencies, dependencies first --------------
# Module names use "_" where file names may use "-".
declare -A file_of=()
while IFS= read -r f; do
  n=${f##*/}; n=${n%%.ko*}; file_of[${n//-/_}]=$f
done < <(find "$mods/kernel" -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst')

plain() { # the uncompressed module, in the staging dir
  local name=$1 src=${file_of[$1]} dst=$work/ko/$1.ko
  mkdir -p "$work/ko"
  case $src in
    *.ko.xz) xz -dc "$src" >"$dst" ;;
    *.ko.zst) zstd -qdc "$src" >"$dst" ;;
    *) cp "$src" "$dst" ;;
  esac
  echo "$dst"
}
depends_of() { # the module's modinfo "depends=" list
  objcopy -O binary --only-section=.modinfo "$1" /dev/stdout 2>/dev/null | tr '\0' '\n' | sed -n 's/^depends=//p' | tr ',' ' '
}
builtin() { grep -q "/${1//_/[_-]}\.ko$" "$mods/modules.builtin" 2>/dev/null; }

declare -A seen=()
order=()
visit() {
  local name=${1//-/_} dep ko
  [[ -n ${seen[$name]:-} ]] && return 0
  seen[$name]=1
  if [[ -z ${file_of[$name]:-} ]]; then
    builtin "$name" && return 0
    die "module $name is neither built into $release nor shipped in $package"
  fi
  ko=$(plain "$name")
  for dep in $(depends_of "$ko"); do visit "$dep"; done
  order+=("$name")
}
for m in "${MODULES[@]}"; do visit "$m"; done

root=$work/root
mkdir -p "$root/modules"
for m in "${order[@]}"; do cp "$work/ko/$m.ko" "$root/modules/$m.ko"; done
printf '%s.ko\n' "${order[@]}" >"$root/modules/load"
busybox=$(command -v busybox || true)
[[ -n $busybox ]] || die "busybox is missing (package busybox-static)"
find "$root" -exec touch -h -d @0 {} +
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | "$busybox" cpio -o -H newc -R 0:0 2>/dev/null) | gzip -n -6 >"$work/modules.cpio.gz"

stage=$work/out
mkdir "$stage"
cp "$vmlinuz" "$stage/vmlinuz"
cp "$work"/pkg/boot/config-"$release" "$stage/config" 2>/dev/null || true
mv "$work/modules.cpio.gz" "$stage/"
echo "$release" >"$stage/release"
echo "$package $version" >"$stage/package"
echo "$stamp" >"$stage/stamp"
rm -rf "$out"
mv "$stage" "$out"
log "cached $package $version ($release) with modules: ${order[*]}"
echo "$out"
