#!/usr/bin/env bash
# A netkit-aware `ip` (iproute2 >= 6.7) for tests and the benchmark to make devices "by hand"
# the way an operator would, on test hosts whose userland is this machine's (bookworm's
# iproute2 6.1 predates netkit). Taken from bookworm-backports, built for this libc and its
# libraries, unpacked (not installed) into the cache with a private apt state. Prints the
# path of `ip`; test hosts see it at the same path, their root being this machine's.
set -euo pipefail
VERSION="${IPROUTE2_VERSION:-6.15.0-1~bpo12+1}"
cache="${NETKIT_CACHE:-$HOME/.cache/pulumi-netkit}/iproute2/$VERSION"
log() { echo "[toolchain/iproute2] $*" >&2; }
if [[ -x "$cache/bin/ip" ]] && "$cache/bin/ip" -V >/dev/null 2>&1; then echo "$cache/bin/ip"; exit 0; fi

apt_dir="${NETKIT_CACHE:-$HOME/.cache/pulumi-netkit}/apt-bookworm-backports"
mkdir -p "$apt_dir"/lists/partial "$apt_dir"/cache/archives/partial
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm-backports main" >"$apt_dir/sources.list"
opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null -o Dir::Etc::Preferences=/dev/null
  -o Dir::Etc::PreferencesParts=/dev/null -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
  -o Dir::State::status=/dev/null -o Acquire::Languages=none -o "APT::Sandbox::User=$(id -un)")
log "fetching iproute2 $VERSION from bookworm-backports"
apt-get "${opts[@]}" -qq update >&2
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get "${opts[@]}" -qq download "iproute2=$VERSION" >&2)
dpkg-deb -x "$work"/iproute2_*.deb "$work/x"
mkdir -p "$cache/bin"
install -m 0755 "$work/x/bin/ip" "$cache/bin/ip.tmp" && mv "$cache/bin/ip.tmp" "$cache/bin/ip"
"$cache/bin/ip" link help 2>&1 | grep -w netkit >/dev/null || { log "iproute2 $VERSION does not know netkit"; exit 1; }
log "ready: $("$cache/bin/ip" -V)"
echo "$cache/bin/ip"
