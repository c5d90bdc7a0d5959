#!/bin/busybox sh
# Stage 2 of a test-host VM: PID 1 on the overlay root (see initramfs-init.sh,
# which already put devtmpfs on /dev, a tmpfs on /run and this VM's read-only
# config share on /run/netkit).
#
# Mounts the usual API filesystems, brings up the network qemu's user-mode
# stack expects, installs the per-VM SSH host key and authorized_keys from
# /run/netkit and runs the host's sshd with a config of its own: never the
# host's /etc/ssh/sshd_config or host keys.
#
# Runs under the host's static busybox sh: Debian builds it "standalone", so
# mount, ip, install, ... run as busybox applets instead of dynamic binaries
# loaded over 9p, which cost ~50 ms each under TCG.
set -u
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH

cfg=/run/netkit
ssh=/run/netkit-ssh

say() { echo "netkit-init: $*"; }
fail() {
	say "FATAL: $*"
	exit 1 # PID 1 exits -> panic=-1 + qemu -no-reboot: the VM ends at once
}

# Until the guest's own /proc is mounted, /proc is the host's, seen through 9p, and
# /proc/self/exe (which busybox execs for its applets) names the qemu binary:
# call busybox by path for this one mount.
/bin/busybox mount -t proc -o nosuid,nodev,noexec proc /proc
mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o nosuid,nodev shm /dev/shm
mount -t tmpfs -o nosuid,nodev,mode=1777 tmp /tmp
mount -t bpf -o mode=0700 bpf /sys/fs/bpf
mount -t debugfs debugfs /sys/kernel/debug # netdevsim exposes its knobs here
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
# A clean, empty home for root: the host's dotfiles (pyenv init and the like
# in .bashrc, which Debian's bash reads for every ssh command) cost seconds per
# command under TCG, and the host's ~/.ssh has no business in the guest.
mount -t tmpfs -o mode=0700 roothome /root
# `ip netns add` bind-mounts into /run/netns and needs shared propagation,
# which systemd would normally set up.
mount --make-rshared /

hostname "$(cat "$cfg/hostname" 2>/dev/null || echo netkit-testhost)"

# qemu user networking (slirp): guest 10.0.2.15/24, gateway 10.0.2.2.
ip link set lo up
ip link set eth0 up || fail "no eth0 (virtio-net missing?)"
ip addr add 10.0.2.15/24 dev eth0
ip route add default via 10.0.2.2

# sshd refuses public-key logins to a locked account ("!" in the shadow
# password field) when PAM is off; unlock root in the guest's copy only.
if grep -q '^root:!' /etc/shadow 2>/dev/null; then
	sed -i 's/^root:![^:]*:/root:*:/' /etc/shadow
fi

# Tests can hide host programs from this guest (StartOptions.hideCommands), e.g.
# python3 to play a host without it. Removing them from the overlay leaves
# whiteouts in guest memory; the host's files are untouched.
if [ -f "$cfg/hide" ]; then
	while read -r name; do
		for d in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin; do
			rm -f "$d/$name" "$d/$name".[0-9]*
			[ -e "$d/$name" ] && fail "cannot hide $d/$name"
		done
		say "hid $name"
	done <"$cfg/hide"
fi

[ -x /usr/sbin/sshd ] || fail "the host has no /usr/sbin/sshd (apt-get install openssh-server)"

# Key material: copied to a root-only tmpfs dir with the modes sshd demands.
mkdir -m 0700 "$ssh"
mkdir -m 0755 /run/sshd # Debian's privilege-separation chroot
install -m 0600 "$cfg/ssh_host_ed25519_key" "$ssh/ssh_host_ed25519_key" || fail "no host key in $cfg"
install -m 0644 "$cfg/ssh_host_ed25519_key.pub" "$ssh/ssh_host_ed25519_key.pub"
install -m 0600 "$cfg/authorized_keys" "$ssh/authorized_keys" || fail "no authorized_keys in $cfg"

# LogLevel VERBOSE logs one "Connection from" and one "Accepted publickey"
# line per handshake, so tests can count SSH connections from the console log.
cat >"$ssh/sshd_config" <<EOF
Port 22
ListenAddress 0.0.0.0
HostKey $ssh/ssh_host_ed25519_key
AuthorizedKeysFile $ssh/authorized_keys
PidFile /run/sshd.pid
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
UseDNS no
MaxSessions 64
MaxStartups 64:30:128
MaxAuthTries 6
LoginGraceTime 60
LogLevel VERBOSE
PrintMotd no
PrintLastLog no
AcceptEnv LANG LC_*
Subsystem sftp /usr/lib/openssh/sftp-server
EOF

say "booted $(uname -r) in $(cut -d' ' -f1 /proc/uptime) s; starting sshd"
# PID 1 must stay a shell: waiting on sshd also reaps orphans reparented to
# us. Restart sshd if it dies so one crash does not strand the test run.
# While /run/netkit-sshd-hold exists, the restart waits: tests use it to keep
# the SSH server down for a while (an outage, not just a blip).
# -r: each connection is served by a fork of the listener, not a fresh exec of
# sshd (loading and linking it again over 9p under emulation): an SSH session
# starts in ~0.7 s instead of ~1.2 s here. Re-exec re-randomizes each
# connection's address space, which a disposable test host does not need.
while :; do
	/usr/sbin/sshd -D -e -r -f "$ssh/sshd_config"
	say "sshd exited with status $?; restarting in 1 s"
	sleep 1
	while [ -e /run/netkit-sshd-hold ]; do sleep 0.2; done
done
