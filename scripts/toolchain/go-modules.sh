#!/usr/bin/env bash
# What a Go project using the generated Go SDK (sdk/go) downloads and compiles: the Pulumi Go
# SDK at the CLI's release and its dependencies. A throw-away package importing the SDK's
# packages the generated code imports is tidied and compiled, which fills Go's own module
# cache (GOMODCACHE, checked against go.sum by go itself) and build cache, so the tests' `go mod
# tidy` and the language host's `go build` find everything there. Nothing of ours is cached:
# Go's caches are content-addressed, and a warm run is a second of `go` finding it all.
set -euo pipefail
PULUMI_VERSION="${PULUMI_VERSION:-3.259.0}"
log() { echo "[toolchain/go-modules] $*" >&2; }

command -v go >/dev/null || { log "go is required for the Go SDK's tests"; exit 1; }
work="$(mktemp -d "${TMPDIR:-/tmp}/go-modules.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cd "$work"
cat >go.mod <<MOD
module netkit.local/go-modules

go 1.25

require github.com/pulumi/pulumi/sdk/v3 v$PULUMI_VERSION
MOD
cat >prime.go <<'GO'
// Package prime imports what the generated Go SDK imports.
package prime

import (
	_ "github.com/blang/semver"
	_ "github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	_ "github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)
GO
start=$SECONDS
GOTOOLCHAIN="${GOTOOLCHAIN:-auto}" go mod tidy >&2
GOTOOLCHAIN="${GOTOOLCHAIN:-auto}" go build . >&2
log "pulumi sdk/v3 v$PULUMI_VERSION and its dependencies are in Go's caches ($((SECONDS - start)) s)"
