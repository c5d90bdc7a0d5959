#!/usr/bin/env bash
# Builds pulumi-language-yaml, the language host for `runtime: yaml` projects, from the Go module
# github.com/pulumi/pulumi-yaml (the CLI downloads it at run time otherwise, which these machines
# cannot). Built like scripts/toolchain/pulumi.sh: a throw-away wrapper module that pins the Pulumi
# pkg/sdk it compiles against. Cached outside the repo, keyed by both versions; a second run only
# checks that the binary answers.
# Prints the bin directory on stdout, logs on stderr.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/cache.sh"

YAML_VERSION="${YAML_VERSION:-1.25.0}"
# Not the CLI's release (3.259.0): pulumi-yaml 1.25.0 calls plugin.NewContextWithRoot and
# schema.NewPluginLoader, whose signatures changed in sdk/pkg 3.222 and later (3.221 is not on the
# module proxy), so 3.220.0 is the newest that compiles. We use 3.206.0, the release pulumi-yaml's own
# go.mod requires: the combination upstream tested and shipped. The host talks to the CLI only over
# gRPC, so the two need not share a release. Own variable name: PULUMI_VERSION belongs to pulumi.sh.
YAML_PULUMI_VERSION="${YAML_PULUMI_VERSION:-3.206.0}"
# Non-local replace directives of pulumi-yaml's go.mod at that version (v1.25.0 has none).
YAML_REPLACES=()

entry="$NETKIT_CACHE/pulumi-yaml/$(cache_key "v$YAML_VERSION-pulumi$YAML_PULUMI_VERSION" "${BASH_SOURCE[0]}")"
main_pkg=github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml
log() { echo "[toolchain/yaml] $*" >&2; }

# The host has no --version flag: "answers" means it starts its gRPC server and prints the port,
# as the engine expects of every plugin it launches.
answers() {
  local out pid port=""
  out="$(mktemp "${TMPDIR:-/tmp}/yaml-host.XXXXXX")"
  "$1" >"$out" 2>/dev/null & pid=$!
  for _ in $(seq 50); do
    port="$(head -n1 "$out")"; [[ -n "$port" ]] && break; sleep 0.1
  done
  kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  rm -f "$out"
  [[ "$port" =~ ^[0-9]+$ ]]
}

if [[ -x "$entry/bin/pulumi-language-yaml" ]]; then
  log "cached: $entry/bin (pulumi-language-yaml v$YAML_VERSION, pulumi v$YAML_PULUMI_VERSION)"
  echo "$entry/bin"; exit 0
fi

command -v go >/dev/null || { log "go is required to build pulumi-language-yaml"; exit 1; }
work="$(mktemp -d "${TMPDIR:-/tmp}/pulumi-yaml-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cd "$work"

log "building pulumi-language-yaml v$YAML_VERSION against pulumi v$YAML_PULUMI_VERSION with $(go version | cut -d' ' -f3)"
export GOFLAGS=-mod=mod CGO_ENABLED=0 GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
go mod init netkit.local/pulumi-yaml-build >/dev/null 2>&1
go get "github.com/pulumi/pulumi-yaml@v$YAML_VERSION" \
  "github.com/pulumi/pulumi/pkg/v3@v$YAML_PULUMI_VERSION" "github.com/pulumi/pulumi/sdk/v3@v$YAML_PULUMI_VERSION" >&2
for r in ${YAML_REPLACES[@]+"${YAML_REPLACES[@]}"}; do go mod edit -replace "$r"; done
# Re-resolve the main package's imports (and any replacements) so go.sum covers them.
go get "$main_pkg@v$YAML_VERSION" >&2
# Minimal version selection must not have moved pulumi past the CLI's release.
for m in pkg sdk; do
  got="$(go list -m -f '{{.Version}}' "github.com/pulumi/pulumi/$m/v3")"
  [[ "$got" == "v$YAML_PULUMI_VERSION" ]] || { log "resolved pulumi $m/v3 $got, expected v$YAML_PULUMI_VERSION"; exit 1; }
done

# Upstream's release flags (.goreleaser.yml); the version variable takes the tag, with its "v".
ldflags="-s -w -X github.com/pulumi/pulumi-yaml/pkg/version.Version=v$YAML_VERSION"
mkdir -p "$work/out"
go build -trimpath -ldflags "$ldflags" -o "$work/out/pulumi-language-yaml" "$main_pkg" >&2

answers "$work/out/pulumi-language-yaml" || { log "built pulumi-language-yaml does not start"; exit 1; }
stage="$(cache_stage "$entry")"
mv "$work/out" "$stage/bin"
cache_commit "$stage" "$entry"
log "built: $entry/bin (pulumi-language-yaml v$YAML_VERSION, pulumi v$YAML_PULUMI_VERSION)"
echo "$entry/bin"
