#!/usr/bin/env bash
# `npm run bench [-- --sizes 10,50 --workloads netkit,command,floor,noop]` (docs/benchmark.md):
# provisions like the tests (cached: Node, npm dependencies, the Pulumi CLI and the YAML
# language host the plugin route's program needs, a netkit-aware iproute2, the test-host
# kernel), builds, then runs bench/run.ts, which boots one test host, measures every workload
# and writes docs/benchmark.md.
# PULUMI_COMMAND_PLUGIN=/path/to/pulumi-resource-command measures the real pulumi-command
# plugin as baseline (a) instead of its emulation.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/provision.sh pulumi yaml iproute2 kernel
step "benchmark"
exec node dist/bench/run.js "$@"
