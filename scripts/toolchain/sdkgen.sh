#!/usr/bin/env bash
# Builds sdkgen (scripts/toolchain/sdkgen/main.go), the generator of the Python and Go SDKs,
# against the code generators of the Pulumi release the CLI is built from. Built like
# scripts/toolchain/pulumi.sh (a throw-away wrapper module pinning pkg/sdk, the same flags, so
# that it reuses the CLI build's module and build caches); cached outside the repo, keyed by
# that release and the hash of this script and the generator's source (see cache.sh).
# Prints the path of the binary on stdout, logs on stderr. Exit 3: no `go` to build it with.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/cache.sh"

# The CLI's release (pulumi.sh), so that the generated code is what that release generates.
PULUMI_VERSION="${PULUMI_VERSION:-3.259.0}"
# Non-local replace directives of that release's pkg/go.mod (as in pulumi.sh).
PULUMI_REPLACES=("github.com/atotto/clipboard=github.com/tgummerer/clipboard@v0.0.0-20241001131231-d02d263e614e")

entry="$NETKIT_CACHE/sdkgen/$(cache_key "v$PULUMI_VERSION" "${BASH_SOURCE[0]}" "$here/sdkgen/main.go")"
log() { echo "[toolchain/sdkgen] $*" >&2; }

if [[ -x "$entry/bin/sdkgen" ]]; then
  log "cached: $entry/bin/sdkgen"
  echo "$entry/bin/sdkgen"; exit 0
fi

command -v go >/dev/null || { log "go is required to build the SDK generator (Go packages of github.com/pulumi/pulumi/pkg/v3)"; exit 3; }
work="$(mktemp -d "${TMPDIR:-/tmp}/sdkgen-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cp "$here/sdkgen/main.go" "$work/"
cd "$work"

log "building sdkgen against pulumi pkg v$PULUMI_VERSION with $(go version | cut -d' ' -f3)"
export GOFLAGS=-mod=mod CGO_ENABLED=0 GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
go mod init netkit.local/sdkgen >/dev/null 2>&1
go get "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION" "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION" >&2
for r in "${PULUMI_REPLACES[@]}"; do go mod edit -replace "$r"; done
# Re-resolve the generator's imports (and the replacements) so go.sum covers them.
go get "github.com/pulumi/pulumi/pkg/v3/codegen/python@v$PULUMI_VERSION" "github.com/pulumi/pulumi/pkg/v3/codegen/go@v$PULUMI_VERSION" >&2
got="$(go list -m -f '{{.Version}}' github.com/pulumi/pulumi/pkg/v3)"
[[ "$got" == "v$PULUMI_VERSION" ]] || { log "resolved pulumi pkg/v3 $got, expected v$PULUMI_VERSION"; exit 1; }
mkdir -p out
go build -trimpath -tags osusergo,grpcnotrace -ldflags "-s -w" -o out/sdkgen . >&2

# Verified: it generates both SDKs of a one-resource schema.
cat >probe.json <<'JSON'
{"name": "probe", "version": "1.2.3", "meta": {"supportPack": true}, "language": {"python": {"pyproject": {"enabled": true}}},
 "resources": {"probe:index:Thing": {"description": "A thing.", "inputProperties": {"size": {"type": "integer"}}, "properties": {"size": {"type": "integer"}}}}}
JSON
out/sdkgen -schema probe.json -out probe >&2
for f in probe/python/pyproject.toml probe/python/pulumi_probe/thing.py probe/go/go.mod probe/go/probe/thing.go; do
  [[ -s $f ]] || { log "the built sdkgen did not write $f"; exit 1; }
done
stage="$(cache_stage "$entry")"
mv out "$stage/bin"
cache_commit "$stage" "$entry"
log "built: $entry/bin/sdkgen"
echo "$entry/bin/sdkgen"
