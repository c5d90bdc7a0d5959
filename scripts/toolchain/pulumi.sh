#!/usr/bin/env bash
# Builds the real Pulumi CLI from Pulumi's published Go modules (the npm `pulumi` package would download the CLI at run time, which these
# machines cannot). The result is cached outside the repo, keyed by version and by this
# script's hash (see cache.sh). Prints the bin directory on stdout.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/cache.sh"

# The CLI and the npm @pulumi/pulumi must be one release (package.json pins the same).
# pulumi-language-nodejs (module .../sdk/nodejs/cmd/pulumi-language-nodejs/v3, untagged) is
# not built: the module proxy these machines reach refuses it at every commit (403); tests use
# our own (scripts/toolchain/language-host/, placed beside the CLI by cli.sh).
PULUMI_VERSION="${PULUMI_VERSION:-3.259.0}"
# Non-local replace directives of that release's pkg/go.mod (go install refuses modules
# with replaces, hence the wrapper module below).
PULUMI_REPLACES=("github.com/atotto/clipboard=github.com/tgummerer/clipboard@v0.0.0-20241001131231-d02d263e614e")

entry="$NETKIT_CACHE/pulumi/$(cache_key "v$PULUMI_VERSION" "${BASH_SOURCE[0]}")"
log() { echo "[toolchain/pulumi] $*" >&2; }

if [[ -x "$entry/bin/pulumi" ]]; then
  log "cached: $entry/bin (pulumi v$PULUMI_VERSION)"
  echo "$entry/bin"; exit 0
fi

command -v go >/dev/null || { log "go is required to build the Pulumi CLI"; exit 1; }
work="$(mktemp -d "${TMPDIR:-/tmp}/pulumi-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cd "$work"

log "building pulumi v$PULUMI_VERSION with $(go version | cut -d' ' -f3) — a cold build takes 10-25 min"
export GOFLAGS=-mod=mod CGO_ENABLED=0 GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
go mod init netkit.local/pulumi-build >/dev/null 2>&1
go get "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION" "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION" >&2
for r in "${PULUMI_REPLACES[@]}"; do go mod edit -replace "$r"; done
# Re-resolve after the replaces so go.sum covers the replacement modules.
go get "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@v$PULUMI_VERSION" >&2

ldflags="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION"
mkdir -p "$work/out"
go build -trimpath -tags osusergo,grpcnotrace -ldflags "$ldflags" -o "$work/out/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi >&2

v="$("$work/out/pulumi" version)"
[[ "$v" == "v$PULUMI_VERSION" ]] || { log "built CLI reports '$v', expected v$PULUMI_VERSION"; exit 1; }
stage="$(cache_stage "$entry")"
mv "$work/out" "$stage/bin"
cache_commit "$stage" "$entry"
log "built: $entry/bin (pulumi $v)"
echo "$entry/bin"
