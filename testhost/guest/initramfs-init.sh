#!/bin/busybox sh
# Stage 1 of a test-host VM: the /init of the tiny busybox initramfs.
#
# Builds the real root without any disk image: the host's own / (shared
# read-only over virtio-9p as "hostroot") under a tmpfs upper via overlayfs,
# so the guest looks like the host (python3, sshd, iproute2, users) but every
# write stays in guest memory. The per-VM config share ("vmconfig", read-only)
# is mounted at /run/netkit and its init.sh becomes PID 1 after switch_root.

/bin/busybox mkdir -p /bin /proc /sys /lower /rw /newroot
/bin/busybox --install -s /bin
export PATH=/bin

mount -t devtmpfs devtmpfs /dev
mount -t proc proc /proc
exec </dev/console >/dev/console 2>&1

fail() {
	echo "netkit-initramfs: FATAL: $*"
	# PID 1 exiting panics the kernel; with panic=-1 and qemu -no-reboot the
	# VM ends at once and the harness reports this log instead of timing out.
	exit 1
}

# A Debian kernel (kernel/debian.sh) has virtio, 9p and overlayfs as modules: its
# modules.cpio.gz, appended to this initramfs, lists them in load order.
if [ -f /modules/load ]; then
	while read -r m; do
		insmod "/modules/$m" || fail "insmod $m failed"
	done </modules/load
fi

# 9p options: cache=loose lets the guest cache the (read-only) host tree;
# a large msize cuts round trips when python/sshd load their libraries.
p9='trans=virtio,version=9p2000.L,msize=512000'
mount -t 9p -o "$p9,cache=loose,ro" hostroot /lower || fail "cannot mount 9p share hostroot"
mount -t tmpfs -o mode=0755 rw /rw || fail "cannot mount tmpfs for the overlay upper"
mkdir -p /rw/upper /rw/work
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work root /newroot ||
	fail "cannot mount overlayfs root"

# /run must be the guest's own tmpfs before the config share can sit inside it.
mount -t tmpfs -o mode=0755,nosuid,nodev run /newroot/run || fail "cannot mount /run"
mkdir -p /newroot/run/netkit
mount -t 9p -o "$p9,ro" vmconfig /newroot/run/netkit || fail "cannot mount 9p share vmconfig"
[ -f /newroot/run/netkit/init.sh ] || fail "vmconfig has no init.sh"

mount --move /dev /newroot/dev
umount /proc
exec switch_root /newroot /bin/busybox sh /run/netkit/init.sh
