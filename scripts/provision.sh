# Sourced by scripts/test.sh, scripts/demo.sh and scripts/bench.sh: provisions what they need,
# builds, and exports PATH and NETKIT_* for the Node processes that follow. Everything
# expensive is cached outside the repo (scripts/toolchain/cache.sh: an entry is keyed by the
# versions and the hash of the scripts that made it, and written only once verified).
# Arguments: the parts beyond Node and the build — `pulumi`, `yaml`, `iproute2`, `kernel`.
# Each step's wall time goes to $NETKIT_STEP_TIMES when set ("name<TAB>ms" lines), which the
# test runner prints in its time budget; step_done ends the last one.
_step="" _step_t0=0
_now_us() { echo "${EPOCHREALTIME/[.,]/}"; }
step_done() {
  if [[ -n $_step && -n ${NETKIT_STEP_TIMES:-} ]]; then
    printf '%s\t%s\n' "$_step" "$((($(_now_us) - _step_t0) / 1000))" >>"$NETKIT_STEP_TIMES"
  fi
  _step=""
}
step() { step_done; echo "== $*" >&2; _step=$*; _step_t0=$(_now_us); }
wanted() { local p; for p in "${provision[@]}"; do [[ "$p" == "$1" ]] && return 0; done; return 1; }
provision=("$@")
root="$PWD"

step "system packages"
bash scripts/toolchain/system.sh

step "node"
node_bin="$(bash scripts/toolchain/node.sh)"
export PATH="$node_bin:$PATH"
echo "node $(node -v), npm $(npm -v)" >&2

step "npm dependencies"
# Reinstall when the lockfile or Node changed since the last complete install; the marker is
# written only after `npm ci` succeeded.
lock_sum="$( (cat package-lock.json; node -v) | sha256sum | cut -c1-16)"
if [[ "$(cat node_modules/.netkit-lock 2>/dev/null)" != "$lock_sum" ]]; then
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_sum" > node_modules/.netkit-lock
fi
# Serialized dynamic providers require the implementation by package name (see
# sdk/provider-shim.ts); inside this repo the package resolves to itself through this link.
ln -sfn .. node_modules/pulumi-netkit

if wanted iproute2; then
  step "iproute2 with netkit"
  # Tests make devices "by hand" with it, as an operator would (see the script).
  NETKIT_IP="$(bash scripts/toolchain/iproute2.sh)"
  export NETKIT_IP
fi

if wanted pulumi; then
  step "pulumi CLI"
  pulumi_bin="$(bash scripts/toolchain/pulumi.sh)"
fi
if wanted yaml; then
  step "pulumi-language-yaml"
  # The language host of `runtime: yaml` projects, for the provider plugin's YAML tests.
  yaml_bin="$(bash scripts/toolchain/yaml.sh)"
fi

step "build"
# Incremental: only what changed is compiled; outputs of deleted sources are removed.
bash scripts/build.sh

if wanted pulumi; then
  step "pulumi CLI with its language hosts"
  # pulumi and, beside it, the plugins an official install ships (see the script).
  cli_bin="$(bash scripts/toolchain/cli.sh "$pulumi_bin" ${yaml_bin:+"$yaml_bin"})"
  # bin/ holds this package's provider plugin, pulumi-resource-netkit, for tests that name it
  # by PATH; project-directory tests put only the CLI on PATH, as a user's machine has it.
  export PATH="$cli_bin:$root/bin:$PATH"
  export NETKIT_PULUMI_ROOT="$(dirname "$cli_bin")"
  echo "pulumi CLI $(pulumi version) at $cli_bin" >&2
fi

if wanted kernel; then
  step "test-host kernel"
  node dist/testhost/cli.js kernel >&2
fi
