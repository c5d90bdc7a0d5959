#!/usr/bin/env bash
# The one test command (README: `npm test`). Provisions what the chosen tests need (Debian
# packages, Node >= 22, npm dependencies, the Pulumi CLI, the test-host kernel; all cached
# outside the repo), builds what changed, then runs the tests (test/support/runner.ts) and ends
# with where the time went and "tests: N passed, N failed, N skipped".
#
#   npm test                              every tier: unit → controllers → ssh → testhost →
#                                         kernel → lifecycle → docs (README, the guides and the
#                                         examples' READMEs run as printed), then any other
#                                         folder of test/
#   npm test -- unit controllers          some tiers
#   npm test -- test/unit/host/relay-queue.test.ts test/ssh   files or folders (.ts or dist/ .js)
#   npm test -- unit --grep 'relay queue' tests whose full title matches (--fgrep S: a plain
#                                         string; --invert: those that do not match)
#   --jobs N                              files run N at a time (default $NETKIT_TEST_JOBS, else
#                                         one per core, at most 4)
#   --bail, --timeout MS, --slow MS       as mocha's
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "npm test: $*" >&2; exit 2; }

# Every folder of test/ but the harness is a tier. A tier not named here is a new one: it gets
# everything provisioned and runs after these.
KNOWN_TIERS=(unit controllers ssh testhost kernel lifecycle docs)
tier_needs() {
  case $1 in
    unit) echo "sdkgen" ;;
    controllers | ssh) echo "" ;;
    testhost) echo "kernel debian-kernels" ;;
    kernel) echo "iproute2 ethtool kernel" ;;
    docs) echo "iproute2 ethtool pulumi yaml python gomod kernel" ;;
    *) echo "iproute2 ethtool pulumi yaml python gomod kernel debian-kernels" ;;
  esac
}
# Tiers whose files use the shared test host (test/support/shared-host.ts): each worker boots
# its own as it starts, beside its first files.
uses_shared_host() { case $1 in unit | controllers | ssh | testhost) return 1 ;; *) return 0 ;; esac; }
all_tiers=("${KNOWN_TIERS[@]}")
while IFS= read -r d; do
  [[ " ${KNOWN_TIERS[*]} " == *" $d "* ]] || all_tiers+=("$d")
done < <(find test -mindepth 1 -maxdepth 1 -type d ! -name support ! -name fixtures -printf '%f\n' | LC_ALL=C sort)
is_tier() { [[ " ${all_tiers[*]} " == *" $1 "* ]]; }

# Paths are as typed where `npm test` was run (npm runs this script from the package root).
from=${INIT_CWD:-$PWD}
tiers=() paths=() runner_opts=() jobs=${NETKIT_TEST_JOBS:-}
while (($#)); do
  arg=$1
  shift
  case $arg in
    --grep=* | --fgrep=* | --timeout=* | --slow=* | --jobs=*) set -- "${arg%%=*}" "${arg#*=}" "$@"; continue ;;
    -g | --grep | -f | --fgrep | -t | --timeout | -s | --slow | -j | --jobs)
      (($#)) || die "$arg needs a value"
      case $arg in -g) arg=--grep ;; -f) arg=--fgrep ;; -t) arg=--timeout ;; -s) arg=--slow ;; -j) arg=--jobs ;; esac
      if [[ $arg == --jobs ]]; then jobs=$1; else runner_opts+=("$arg" "$1"); fi
      shift ;;
    -i | --invert) runner_opts+=(--invert) ;;
    -b | --bail) runner_opts+=(--bail) ;;
    -*) die "unknown option $arg (known: --grep RE, --fgrep S, --invert, --bail, --jobs N, --timeout MS, --slow MS)" ;;
    *)
      if is_tier "$arg"; then
        tiers+=("$arg")
        continue
      fi
      p=$arg
      [[ $p == /* ]] || p=$from/$p
      p=$(realpath -m "$p")
      p=${p#"$PWD"/}
      p=${p#dist/}
      p=${p%/}
      [[ $p == *.test.js ]] && p=${p%.js}.ts
      [[ $p =~ ^test/([^/]+)(/|$) ]] && is_tier "${BASH_REMATCH[1]}" && [[ -e $p ]] ||
        die "'$arg' is neither a tier (${all_tiers[*]}) nor a test file or folder under test/<tier>/"
      paths+=("$p") ;;
  esac
done
((${#tiers[@]} + ${#paths[@]})) || tiers=("${all_tiers[@]}")

# In tier order, whether named as tiers or through their files.
run_tiers=()
for t in "${all_tiers[@]}"; do
  want=""
  [[ " ${tiers[*]} " == *" $t "* ]] && want=1
  for p in "${paths[@]}"; do [[ $p == test/$t || $p == test/$t/* ]] && want=1; done
  [[ -n $want ]] && run_tiers+=("$t")
done
needs=()
shared_host_tiers=()
for t in "${run_tiers[@]}"; do
  for n in $(tier_needs "$t"); do [[ " ${needs[*]} " == *" $n "* ]] || needs+=("$n"); done
  if uses_shared_host "$t"; then shared_host_tiers+=("$t"); fi
done

# One worker per core, at most 4 (each may hold several test hosts): a worker keeps about one
# core busy (its test host's emulated CPU, the engine and the provider take turns), so two
# workers on CI's two cores run about twice the files (CONTRIBUTING.md, "How tests run").
[[ -n $jobs ]] || jobs=$(($(nproc) < 4 ? $(nproc) : 4))

# Node keeps the V8 code of the modules it compiled and reuses it in the hundreds of node
# processes a run starts (provider plugins, language hosts, workers, npm): a provider plugin
# loads @pulumi/pulumi, gRPC and the provider in ~0.57 s of CPU instead of ~0.85 s. A module
# loaded for the first time from a path costs ~0.6 s more once (its entry written), so it pays
# from a path's third load on: the repo's node_modules and dist load hundreds of times a run, a
# test's project directory a handful. Node's own cache, never needed to be right: an entry is
# named by the module's absolute path (checkouts never share one), used only if the module's
# size and checksum match, under a directory per Node version, V8 and user, and written to a
# temporary file then renamed. Kept with the toolchain (an empty NETKIT_CACHE is cold in this
# too); entries not written for a day are pruned, since the tests' throw-away project
# directories add several MB each. NODE_DISABLE_COMPILE_CACHE=1 turns it off.
node_compile_cache=${NETKIT_CACHE:-$HOME/.cache/pulumi-netkit}/node-compile-cache
export NODE_COMPILE_CACHE=${NODE_COMPILE_CACHE:-$node_compile_cache}
[[ -d $node_compile_cache ]] && find "$node_compile_cache" -type f -mmin +1440 -delete 2>/dev/null || true

NETKIT_STEP_TIMES=$(mktemp "${TMPDIR:-/tmp}/netkit-steps.XXXXXX")
export NETKIT_STEP_TIMES
source scripts/provision.sh "${needs[@]}"
step_done

files=()
add() { while IFS= read -r f; do files+=("$f"); done < <(find "$1" -name '*.test.js' | LC_ALL=C sort); }
for t in "${run_tiers[@]}"; do
  if [[ " ${tiers[*]} " == *" $t "* ]]; then
    [[ -d dist/test/$t ]] && add "dist/test/$t"
    continue
  fi
  for p in "${paths[@]}"; do
    [[ $p == test/$t || $p == test/$t/* ]] || continue
    if [[ -d $p ]]; then add "dist/$p"; else files+=("dist/${p%.ts}.js"); fi
  done
done
((${#files[@]})) || die "no test files for: ${tiers[*]} ${paths[*]}"

echo "== tests: ${run_tiers[*]} (${#files[@]} files, $jobs at a time)" >&2
# Whether the run started with Node's compile cache cold or warm, as its toolchain's steps say theirs.
if [[ -z ${NODE_DISABLE_COMPILE_CACHE:-} ]]; then
  echo "-- node compile cache: $(find "$NODE_COMPILE_CACHE" -type f 2>/dev/null | wc -l) entries at the start ($NODE_COMPILE_CACHE)" >&2
else
  echo "-- node compile cache: off (NODE_DISABLE_COMPILE_CACHE)" >&2
fi
rc=0
node dist/test/support/runner.js --jobs "$jobs" --tiers "$(IFS=,; echo "${run_tiers[*]}")" \
  --shared-host-tiers "$(IFS=,; echo "${shared_host_tiers[*]}")" "${runner_opts[@]}" "${files[@]}" || rc=$?
rm -f "$NETKIT_STEP_TIMES"
exit "$rc"
