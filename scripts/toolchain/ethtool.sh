#!/usr/bin/env bash
# The kernel's own `ethtool` (7.x, with tcp-data-split, hds-thresh and RSS over netlink) for
# tests that read a NIC back with a tool other than the provider's codec. The machine has none
# (and bookworm's 6.1 predates those settings): Debian sid's, unpacked (not installed) into the
# cache with a private apt state (see cache.sh); it needs only libc and libmnl, which the
# machine has. Test hosts see it at the same path, their root being this machine's.
# Prints the path of `ethtool`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/cache.sh"
log() { echo "[toolchain/ethtool] $*" >&2; }

# The newest cached entry made by this very script answers without network: sid drops old
# versions, so a pinned version would not stay downloadable.
suffix=$(cache_hash "${BASH_SOURCE[0]}")
for d in $(ls -d "$NETKIT_CACHE"/ethtool/*-"$suffix" 2>/dev/null | sort -V -r); do
  if [[ -x "$d/bin/ethtool" ]]; then echo "$d/bin/ethtool"; exit 0; fi
done

apt_dir="$NETKIT_CACHE/apt-sid-tools"
mkdir -p "$apt_dir"/lists/partial "$apt_dir"/cache/archives/partial
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian sid main" >"$apt_dir/sources.list"
opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null -o Dir::Etc::Preferences=/dev/null
  -o Dir::Etc::PreferencesParts=/dev/null -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
  -o Dir::State::status=/dev/null -o Acquire::Languages=none -o "APT::Sandbox::User=$(id -un)")
log "asking sid for ethtool"
apt-get "${opts[@]}" -qq update >&2
version=$(apt-cache "${opts[@]}" show --no-all-versions ethtool 2>/dev/null | sed -n 's/^Version: //p' | head -n1)
[[ -n $version ]] || { log "ethtool not found in sid"; exit 1; }
entry="$NETKIT_CACHE/ethtool/${version//:/_}-$suffix"
stage="$(cache_stage "$entry")"; trap 'rm -rf "$stage"' EXIT
(cd "$stage" && apt-get "${opts[@]}" -qq download "ethtool=$version" >&2)
dpkg-deb -x "$stage"/ethtool_*.deb "$stage/x"
install -D -m 0755 "$stage/x/usr/sbin/ethtool" "$stage/bin/ethtool"
rm -rf "$stage/x" "$stage"/ethtool_*.deb
# It must run here (libc, libmnl) and be new enough to show header/data split.
"$stage/bin/ethtool" --version >&2
"$stage/bin/ethtool" --help 2>&1 | grep -q "hds-thresh" || { log "ethtool $version does not know hds-thresh"; exit 1; }
cache_commit "$stage" "$entry"
log "ready: ethtool $version"
echo "$entry/bin/ethtool"
