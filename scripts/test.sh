#!/usr/bin/env bash
# The one test command (README: `npm test`). Provisions what the tiers need (Debian
# packages, Node >= 22, npm dependencies, the Pulumi CLI, the test-host kernel; all cached
# outside the repo), builds, then runs every tier in order:
#   unit → ssh (real OpenSSH on loopback) → testhost/kernel (real netkit kernel in a VM over
#   SSH) → lifecycle (real `pulumi` engine against the VM).
# `npm test -- unit` (or `ssh`, `kernel`, …) runs only the named tiers.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
tiers=("$@"); (( ${#tiers[@]} )) || tiers=(unit ssh testhost kernel lifecycle)
wants() { local t; for t in "${tiers[@]}"; do [[ "$t" == "$1" ]] && return 0; done; return 1; }
step() { echo "== $*" >&2; }

step "system packages"
bash scripts/toolchain/system.sh

step "node"
node_bin="$(bash scripts/toolchain/node.sh)"
export PATH="$node_bin:$PATH"
echo "node $(node -v), npm $(npm -v)" >&2

step "npm dependencies"
# Reinstall only when the lockfile changed since the last install.
lock_sum="$(sha256sum package-lock.json | cut -c1-16)"
if [[ "$(cat node_modules/.netkit-lock 2>/dev/null)" != "$lock_sum" ]]; then
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_sum" > node_modules/.netkit-lock
fi
# Serialized dynamic providers require the implementation by package name (see
# sdk/provider-shim.ts); inside this repo the package resolves to itself through this link.
ln -sfn .. node_modules/pulumi-netkit

if wants kernel || wants lifecycle; then
  step "iproute2 with netkit"
  # Tests make devices "by hand" with it, as an operator would (see the script).
  NETKIT_IP="$(bash scripts/toolchain/iproute2.sh)"
  export NETKIT_IP
fi

if wants lifecycle; then
  step "pulumi CLI"
  pulumi_bin="$(bash scripts/toolchain/pulumi.sh)"
  # bin/ holds our pulumi-resource-pulumi-nodejs launcher for dynamic providers.
  export PATH="$root/bin:$pulumi_bin:$PATH"
  export NETKIT_PULUMI_ROOT="$(dirname "$pulumi_bin")"
  echo "pulumi CLI $(pulumi version) at $pulumi_bin" >&2
fi

step "build"
rm -rf dist
npm run --silent build

if wants testhost || wants kernel || wants lifecycle; then
  step "test-host kernel"
  node dist/testhost/cli.js kernel >&2
fi

files=()
for t in "${tiers[@]}"; do
  [[ -d "dist/test/$t" ]] || continue
  while IFS= read -r f; do files+=("$f"); done < <(find "dist/test/$t" -name '*.test.js' | sort)
done
(( ${#files[@]} )) || { echo "no test files for tiers: ${tiers[*]}" >&2; exit 1; }

step "tests: ${tiers[*]}"
exec npx mocha --reporter dist/test/support/reporter.js --require dist/test/support/hooks.js \
  --timeout 600000 --slow 5000 "${files[@]}"
