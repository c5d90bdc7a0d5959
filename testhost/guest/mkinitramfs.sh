#!/usr/bin/env bash
# Builds (once, cached) the test-host initramfs: busybox-static plus
# initramfs-init.sh as /init, as a gzip-compressed newc cpio. No image, no
# root needed: the kernel's built-in initramfs already provides /dev/console.
#
# Usage: mkinitramfs.sh   -> prints the path of initramfs.cpio.gz
# Env:   NETKIT_CACHE       cache root (default ~/.cache/pulumi-netkit)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
init=$here/initramfs-init.sh
source "$here/../../scripts/toolchain/cache.sh"

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

# Keyed by this script, the init it packs, and the busybox binary (see cache.sh).
out=$NETKIT_CACHE/initramfs/$(cache_key busybox "${BASH_SOURCE[0]}" "$init" "$busybox")
if [[ -s $out/initramfs.cpio.gz ]]; then
  echo "$out/initramfs.cpio.gz"
  exit 0
fi

stage=$(cache_stage "$out")
trap 'rm -rf "$stage"' EXIT
root=$stage/root
mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys" "$root/lower" "$root/rw" "$root/newroot"
install -m 0755 "$busybox" "$root/bin/busybox"
install -m 0755 "$init" "$root/init"
# Fixed mtimes and owner keep the archive byte-identical across machines.
find "$root" -exec touch -h -d @0 {} +
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | "$busybox" cpio -o -H newc -R 0:0 2>/dev/null) |
  gzip -n -6 >"$stage/initramfs.cpio.gz"
# Verified: the archive lists the init and busybox.
listing=$(gzip -dc "$stage/initramfs.cpio.gz" | "$busybox" cpio -t 2>/dev/null)
grep -qx init <<<"$listing" && grep -qx bin/busybox <<<"$listing" || die "the built initramfs lacks init or bin/busybox"
rm -rf "$root"
cache_commit "$stage" "$out"
log "built $out/initramfs.cpio.gz"
echo "$out/initramfs.cpio.gz"
