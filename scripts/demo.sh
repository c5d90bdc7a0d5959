#!/usr/bin/env bash
# `npm run demo` (README): provisions like the tests (cached), then runs scripts/demo.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/provision.sh pulumi kernel
step "demo"
exec node dist/scripts/demo.js
