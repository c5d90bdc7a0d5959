#!/usr/bin/env bash
# Fetches (once, cached) one of Debian's own packaged kernels for test hosts that need a
# kernel *other* than our netkit build: bookworm's 6.1, which predates netkit (6.7), to
# prove the provider's refusal there, and trixie's kernels (netkit built in) to prove it
# works on stock distribution kernels of several ages.
#
# Debian builds virtio, 9p and overlayfs as modules, which the test-host initramfs must
# load before it can mount the host's root. So besides vmlinuz this script caches
# modules.cpio.gz: those modules and their dependencies, decompressed (busybox insmod
# reads plain .ko only) under /modules, with /modules/load listing them in load order.
# Appended to the base initramfs, it is picked up by initramfs-init.sh.
#
# Usage: debian.sh FLAVOUR  -> prints the cache entry (vmlinuz, modules.cpio.gz, release, config, ...)
#        debian.sh --list   -> prints "FLAVOUR NETKIT(yes|no)" per known flavour
# Env:   NETKIT_CACHE              cache root (default ~/.cache/pulumi-netkit)
#        NETKIT_KERNEL_REFRESH=1   ask the archive for a newer package even if one is cached
#
# Cache: $NETKIT_CACHE/kernel-debian/FLAVOUR/<package version>-<hash>, the hash covering this
# script and scripts/toolchain/cache.sh, so any edit to either fetches anew. An entry is built
# and verified in a staging directory (scripts/toolchain/cache.sh) and only then renamed into
# place: an entry that exists is complete. Without NETKIT_KERNEL_REFRESH the newest entry
# with the current hash is used without network.
# Packages are fetched with apt-get download through a private sources list and state dir
# per suite ($NETKIT_CACHE/apt-SUITE/) and unpacked with dpkg-deb -x: the machine's apt
# config is never touched and nothing is installed.
# Only the cache path goes to stdout; everything else goes to stderr.
set -euo pipefail

# The flavours, one line each:
#   flavour: the name callers use (testhost/kernel.ts lists the same names)
#   suite: the deb.debian.org suite
#   meta: a metapackage whose Depends names the suite's current kernel, or "-": then the
#         newest version of any package matching the image pattern is taken
#   image: the kernel image package (ERE, anchored). Split packagings (7.x: the image
#          package only Depends on linux-binary-*, linux-modules-*, linux-base-* of the same
#          version) are followed automatically.
#   netkit: whether the config must have CONFIG_NETKIT=y ("yes") or must lack it ("no")
FLAVOURS='
bookworm-6.1           bookworm          linux-image-amd64  linux-image-6\.1\.0-[0-9]+-amd64          no
trixie-6.12            trixie            linux-image-amd64  linux-image-6\.12\.[0-9]+\+deb13-amd64    yes
trixie-backports-6.17  trixie-backports  -                  linux-image-6\.17\.[0-9]+\+deb13-amd64    yes
trixie-backports-7.3   trixie-backports  -                  linux-image-7\.3\.[0-9]+\+deb13-amd64     yes
'
# What the test-host initramfs needs (virtio-pci devices, the SSH NIC, the 9p root, the
# overlay on top, the entropy source); dependencies are added automatically. Ones built
# into the kernel (modules.builtin) are not needed in the archive.
MODULES=(virtio_pci virtio_net 9pnet_virtio 9p overlay virtio_rng)

log() { echo "kernel/debian.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

flavour=${1:-}
if [[ $flavour == --list ]]; then
  awk 'NF { print $1, $5 }' <<<"$FLAVOURS"
  exit 0
fi
read -r _ suite meta image_re netkit < <(awk -v f="$flavour" '$1 == f' <<<"$FLAVOURS") ||
  die "unknown Debian kernel '${flavour}' (known: $(awk 'NF { print $1 }' <<<"$FLAVOURS" | paste -sd " "))"

# shellcheck source=../../scripts/toolchain/cache.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/toolchain/cache.sh"
flavour_dir=$NETKIT_CACHE/kernel-debian/$flavour
hash_suffix=$(cache_key "" "$0") # "-<hash>": every entry made by this very script ends so

# Fast path, no network: the newest entry for this flavour made by this script.
cached() {
  local best
  best=$(find "$flavour_dir" -mindepth 1 -maxdepth 1 -type d -name "*$hash_suffix" ! -name '.*' -printf '%f\n' 2>/dev/null |
    sed "s/$hash_suffix\$//" | sort -V | tail -n1 || true)
  [[ -n $best && -s $flavour_dir/$best$hash_suffix/vmlinuz ]] && echo "$flavour_dir/$best$hash_suffix"
}
if [[ ${NETKIT_KERNEL_REFRESH:-0} != 1 ]] && hit=$(cached); then
  echo "$hit"
  exit 0
fi

# One run per suite at a time: they share the private apt state.
mkdir -p "$NETKIT_CACHE"
exec 9>"$NETKIT_CACHE/.kernel-debian-$suite.lock"
flock 9
if [[ ${NETKIT_KERNEL_REFRESH:-0} != 1 ]] && hit=$(cached); then
  echo "$hit"
  exit 0
fi

for t in apt-get apt-cache dpkg dpkg-deb objcopy xz zstd gzip busybox; do
  command -v "$t" >/dev/null || die "$t is missing (Debian packages: apt, dpkg, binutils, xz-utils, zstd, gzip, busybox-static)"
done
[[ -e /usr/share/keyrings/debian-archive-keyring.gpg ]] || die "no /usr/share/keyrings/debian-archive-keyring.gpg (package debian-archive-keyring)"

# --- resolve with a private apt state ----------------------------------------
apt_dir=$NETKIT_CACHE/apt-$suite
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
started=$SECONDS
log "updating the private $suite package index"
apt-get "${apt_opts[@]}" -qq update >&2 || die "apt-get update of $suite failed"

field() { # field PACKAGE NAME -> that field of the package's candidate version
  { apt-cache "${apt_opts[@]}" show --no-all-versions "$1" 2>/dev/null || true; } |
    awk -v k="$2: " 'index($0, k) == 1 && !done { print substr($0, length(k) + 1); done = 1 }'
}
# "a (= 1), b | c, d (>= 2)" -> "a 1" per exact (=) dependency, alternatives skipped
exact_depends() { tr ',' '\n' <<<"$1" | sed -nE 's/^ *([^ |]+) \(= ([^)]+)\) *$/\1 \2/p'; }

if [[ $meta != - ]]; then
  depends=$(field "$meta" Depends)
  read -r package version < <(exact_depends "$depends" | grep -E "^$image_re " | head -n1) ||
    die "$meta in $suite depends on no package matching $image_re: '$depends'"
else
  package= version=
  while read -r p; do
    v=$(field "$p" Version)
    [[ -n $v ]] || continue
    if [[ -z $version ]] || dpkg --compare-versions "$v" gt "$version"; then package=$p version=$v; fi
  done < <(apt-cache "${apt_opts[@]}" pkgnames linux-image- | grep -E "^$image_re\$")
  [[ -n $package ]] || die "no package in $suite matches $image_re"
fi
release=${package#linux-image-}
# The packages to unpack: the image, plus (split packaging) the parts it depends on.
packages=("$package=$version")
while read -r p v; do
  [[ $p =~ ^linux-(binary|modules|base)-"$release"$ && $v == "$version" ]] && packages+=("$p=$v")
done < <(exact_depends "$(field "$package" Depends)")

entry=$flavour_dir/$(cache_key "$version" "$0")
if [[ -d $entry ]]; then
  echo "$entry"
  exit 0
fi

# --- download and unpack, all inside the stage ---------------------------------
stage=$(cache_stage "$entry")
trap 'rm -rf "$stage"' EXIT
work=$stage/.work
mkdir -p "$work/debs" "$work/pkg"
log "downloading ${packages[*]} from $suite"
(cd "$work/debs" && apt-get "${apt_opts[@]}" -qq download "${packages[@]}" >&2) || die "apt-get download ${packages[*]} failed"
fetched=$SECONDS
for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$work/pkg"; done
rm -rf "$work/debs"
unpacked=$SECONDS
pkg=$work/pkg

mods=
for d in "$pkg/lib/modules/$release" "$pkg/usr/lib/modules/$release"; do [[ -d $d/kernel ]] && mods=$d; done
[[ -n $mods ]] || die "no modules directory for $release in ${packages[*]}"
vmlinuz= config=
for f in "$pkg/boot/vmlinuz-$release" "$mods/vmlinuz"; do [[ -s $f ]] && vmlinuz=$f; done
for f in "$pkg/boot/config-$release" "$mods/config"; do [[ -s $f ]] && config=$f; done
[[ -n $vmlinuz ]] || die "no vmlinuz for $release (neither boot/vmlinuz-$release nor ${mods#"$pkg"}/vmlinuz) in ${packages[*]}"
[[ -n $config ]] || die "no config for $release (neither boot/config-$release nor ${mods#"$pkg"}/config) in ${packages[*]}"
[[ -s $mods/modules.builtin ]] || die "no ${mods#"$pkg"}/modules.builtin in ${packages[*]}"

# --- modules: wanted ones plus dependencies, dependencies first ----------------
# Module names use "_" where file names may use "-".
declare -A file_of=()
while IFS= read -r f; do
  n=${f##*/}; n=${n%%.ko*}; file_of[${n//-/_}]=$f
done < <(find "$mods/kernel" -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst')

plain() { # the uncompressed module, in the work dir
  local src=${file_of[$1]} dst=$work/ko/$1.ko
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
is_builtin() { grep -q "/${1//_/[_-]}\.ko$" "$mods/modules.builtin"; }

declare -A seen=()
order=() builtins=()
visit() {
  local name=${1//-/_} dep ko
  [[ -n ${seen[$name]:-} ]] && return 0
  seen[$name]=1
  if [[ -z ${file_of[$name]:-} ]]; then
    is_builtin "$name" && { builtins+=("$name"); return 0; }
    die "module $name is neither built into $release nor shipped in ${packages[*]}"
  fi
  ko=$(plain "$name")
  for dep in $(depends_of "$ko"); do visit "$dep"; done
  order+=("$name")
}
for m in "${MODULES[@]}"; do visit "$m"; done

root=$work/root
mkdir -p "$root/modules"
for m in "${order[@]}"; do cp "$work/ko/$m.ko" "$root/modules/$m.ko"; done
if ((${#order[@]})); then printf '%s.ko\n' "${order[@]}" >"$root/modules/load"; else : >"$root/modules/load"; fi
find "$root" -exec touch -h -d @0 {} +
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | busybox cpio -o -H newc -R 0:0 2>/dev/null) | gzip -n -6 >"$stage/modules.cpio.gz"

cp "$vmlinuz" "$stage/vmlinuz"
cp "$config" "$stage/config"
cp "$mods/modules.builtin" "$stage/modules.builtin"
echo "$release" >"$stage/release"
printf '%s\n' "${packages[@]}" >"$stage/packages"
rm -rf "$work"

# --- verify the stage, then commit ---------------------------------------------
verify() { # verify DIR: dies unless DIR is a complete entry for this flavour
  local dir=$1 m kver x=$1/.verify
  [[ -s $dir/vmlinuz ]] || die "verify: vmlinuz missing or empty"
  [[ -s $dir/release && $(<"$dir/release") == "$release" ]] || die "verify: release file missing or not '$release'"
  # The bzImage setup header points at the kernel's version string (boot protocol 2.0+).
  kver=$(dd if="$dir/vmlinuz" bs=1 skip=$((0x200 + $(od -An -tu2 -j $((0x20E)) -N2 "$dir/vmlinuz"))) count=200 status=none | tr '\0' '\n' | head -n1)
  [[ $kver == "$release "* ]] || die "verify: vmlinuz says it is '$kver', not $release"
  [[ -s $dir/config ]] || die "verify: config missing or empty"
  case $netkit in
    yes) grep -qx 'CONFIG_NETKIT=y' "$dir/config" || die "verify: $flavour is a netkit flavour, but $release's config lacks CONFIG_NETKIT=y ($(grep -E '^(# )?CONFIG_NETKIT[= ]' "$dir/config" || echo 'no CONFIG_NETKIT line'))" ;;
    no) ! grep -qE '^CONFIG_NETKIT=[ym]' "$dir/config" || die "verify: $flavour must have no netkit, but $release's config has $(grep -E '^CONFIG_NETKIT=' "$dir/config")" ;;
    *) die "flavour table: netkit must be yes or no, not '$netkit'" ;;
  esac
  [[ -s $dir/modules.cpio.gz ]] || die "verify: modules.cpio.gz missing or empty"
  rm -rf "$x" && mkdir "$x"
  (cd "$x" && gzip -dc "$dir/modules.cpio.gz" | busybox cpio -id 2>/dev/null) || die "verify: modules.cpio.gz does not unpack"
  [[ -f $x/modules/load ]] || die "verify: modules.cpio.gz has no modules/load"
  while read -r m; do
    [[ $(head -c4 "$x/modules/$m" 2>/dev/null) == $'\x7fELF' ]] || die "verify: modules/load names $m, which is not a plain .ko in the archive"
  done <"$x/modules/load"
  for m in "${MODULES[@]}"; do
    grep -qx "$m.ko" "$x/modules/load" || grep -q "/${m//_/[_-]}\.ko$" "$dir/modules.builtin" ||
      die "verify: module $m is neither in modules.cpio.gz nor built in"
  done
  rm -rf "$x"
}
verify "$stage"
cache_commit "$stage" "$entry"
log "cached $package $version ($release, CONFIG_NETKIT $( [[ $netkit == yes ]] && echo y || echo unset)) in $((SECONDS - started)) s" \
  "(resolve+download $((fetched - started)) s, unpack $((unpacked - fetched)) s); modules: ${order[*]:-none}${builtins[*]:+; built in: ${builtins[*]}}"
echo "$entry"
