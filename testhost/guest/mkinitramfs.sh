#!/usr/bin/env bash
# Builds (once, cached) the test-host initramfs: busybox-static plus
# initramfs-init.sh as /init, as a gzip-compressed newc cpio. No image, no
# root needed: the kernel's built-in initramfs already provides /dev/console.
#
# Usage: mkinitramfs.sh   -> prints the path of initramfs.cpio.gz
# Env:   NETKIT_CACHE       cache root (default ~/.cache/pulumi-netkit)
set -euo pipefail

# Bump when a change here must invalidate cached images.
SCRIPT_VERSION=1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
init=$here/initramfs-init.sh
cache=${NETKIT_CACHE:-$HOME/.cache/pulumi-netkit}

log() { echo "guest/mkinitramfs.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

busybox=
for b in /bin/busybox /usr/bin/busybox; do
  # Only a static busybox runs in the initramfs, which has no libc.
  if [[ -x $b ]] && ! ldd "$b" >/dev/null 2>&1; then
    busybox=$b; break
  fi
done
if [[ -z $busybox ]]; then
  log "installing busybox-static"
  if [[ $(id -u) == 0 ]]; then sudo=(); else sudo=(sudo); fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends busybox-static >&2
  busybox=/bin/busybox
  [[ -x $busybox ]] || die "busybox-static installed but $busybox is missing"
fi

key=$( { echo "v$SCRIPT_VERSION"; sha256sum "$init" "$busybox" | cut -d' ' -f1; } | sha256sum | cut -c1-16)
out=$cache/initramfs/$key
if [[ -s $out/initramfs.cpio.gz ]]; then
  echo "$out/initramfs.cpio.gz"
  exit 0
fi

mkdir -p "$cache/initramfs"
stage=$(mktemp -d "$cache/initramfs/.stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
root=$stage/root
mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys" "$root/lower" "$root/rw" "$root/newroot"
install -m 0755 "$busybox" "$root/bin/busybox"
install -m 0755 "$init" "$root/init"
# Fixed mtimes and owner keep the archive byte-identical across machines.
find "$root" -exec touch -h -d @0 {} +
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | "$busybox" cpio -o -H newc -R 0:0 2>/dev/null) |
  gzip -n -6 >"$stage/initramfs.cpio.gz"
rm -rf "$out"
mkdir "$stage/out" && mv "$stage/initramfs.cpio.gz" "$stage/out/" && mv "$stage/out" "$out"
log "built $out/initramfs.cpio.gz"
echo "$out/initramfs.cpio.gz"
