#!/usr/bin/env bash
# The one test command (README: `npm test`). Provisions what the tiers need (Debian
# packages, Node >= 22, npm dependencies, the Pulumi CLI, the test-host kernel; all cached
# outside the repo), builds, then runs every tier in order:
#   unit → controllers (controller lifecycles replayed from recorded kernel replies) → ssh
#   (real OpenSSH on loopback) → testhost/kernel (real netkit kernel in a VM over SSH) →
#   lifecycle (real `pulumi` engine against the VM).
# `npm test -- unit` (or `ssh`, `kernel`, …) runs only the named tiers.
set -euo pipefail
cd "$(dirname "$0")/.."
tiers=("$@"); (( ${#tiers[@]} )) || tiers=(unit controllers ssh testhost kernel lifecycle)
wants() { local t; for t in "${tiers[@]}"; do [[ "$t" == "$1" ]] && return 0; done; return 1; }

needs=()
if wants kernel || wants lifecycle; then needs+=(iproute2); fi
if wants lifecycle; then needs+=(pulumi yaml); fi
if wants testhost || wants kernel || wants lifecycle; then needs+=(kernel); fi
source scripts/provision.sh "${needs[@]}"

files=()
for t in "${tiers[@]}"; do
  [[ -d "dist/test/$t" ]] || continue
  while IFS= read -r f; do files+=("$f"); done < <(find "dist/test/$t" -name '*.test.js' | sort)
done
(( ${#files[@]} )) || { echo "no test files for tiers: ${tiers[*]}" >&2; exit 1; }

step "tests: ${tiers[*]}"
exec npx mocha --reporter dist/test/support/reporter.js --require dist/test/support/hooks.js \
  --timeout 600000 --slow 5000 "${files[@]}"
