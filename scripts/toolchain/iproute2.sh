#!/usr/bin/env bash
# A netkit-aware `ip` (iproute2 >= 6.7) for tests and the benchmark to make devices "by hand"
# the way an operator would, on test hosts whose userland is this machine's (bookworm's
# iproute2 6.1 predates netkit). Taken from bookworm-backports, built for this libc and its
# libraries, unpacked (not installed) into the cache with a private apt state (see cache.sh).
# Prints the path of `ip`; test hosts see it at the same path, their root being this machine's.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/cache.sh"
VERSION="${IPROUTE2_VERSION:-6.15.0-1~bpo12+1}"
entry="$NETKIT_CACHE/iproute2/$(cache_key "$VERSION" "${BASH_SOURCE[0]}")"
log() { echo "[toolchain/iproute2] $*" >&2; }
if [[ -x "$entry/bin/ip" ]]; then echo "$entry/bin/ip"; exit 0; fi

apt_dir="$NETKIT_CACHE/apt-bookworm-backports"
mkdir -p "$apt_dir"/lists/partial "$apt_dir"/cache/archives/partial
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm-backports main" >"$apt_dir/sources.list"
opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null -o Dir::Etc::Preferences=/dev/null
  -o Dir::Etc::PreferencesParts=/dev/null -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
  -o Dir::State::status=/dev/null -o Acquire::Languages=none -o "APT::Sandbox::User=$(id -un)")
log "fetching iproute2 $VERSION from bookworm-backports"
apt-get "${opts[@]}" -qq update >&2
stage="$(cache_stage "$entry")"; trap 'rm -rf "$stage"' EXIT
(cd "$stage" && apt-get "${opts[@]}" -qq download "iproute2=$VERSION" >&2)
dpkg-deb -x "$stage"/iproute2_*.deb "$stage/x"
install -D -m 0755 "$stage/x/bin/ip" "$stage/bin/ip"
rm -rf "$stage/x" "$stage"/iproute2_*.deb
# `ip link help` exits 255 after printing its help: capture the text, then look for netkit.
help="$("$stage/bin/ip" link help 2>&1 || true)"
grep -qw netkit <<<"$help" || { log "iproute2 $VERSION does not know netkit: $(head -c 300 <<<"$help")"; exit 1; }
version="$("$stage/bin/ip" -V)"
cache_commit "$stage" "$entry"
log "ready: $version"
echo "$entry/bin/ip"
