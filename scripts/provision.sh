# Sourced by scripts/test.sh and scripts/demo.sh: provisions what they need, all cached
# outside the repo (Debian packages, Node >= 22, npm dependencies, the Pulumi CLI, a
# netkit-aware iproute2, the test-host kernel), builds, and exports PATH and NETKIT_* for
# the Node processes that follow. Arguments: the parts beyond Node and the build —
# `pulumi`, `yaml`, `iproute2`, `kernel`.
step() { echo "== $*" >&2; }
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
# Reinstall only when the lockfile changed since the last install.
lock_sum="$(sha256sum package-lock.json | cut -c1-16)"
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
  # bin/ holds the plugins the engine starts by name: pulumi-resource-pulumi-nodejs (dynamic
  # providers) and pulumi-resource-netkit (this package's provider plugin).
  export PATH="$root/bin:$pulumi_bin:$PATH"
  export NETKIT_PULUMI_ROOT="$(dirname "$pulumi_bin")"
  echo "pulumi CLI $(pulumi version) at $pulumi_bin" >&2
fi

if wanted yaml; then
  step "pulumi-language-yaml"
  # The language host of `runtime: yaml` projects, for the provider plugin's YAML tests.
  yaml_bin="$(bash scripts/toolchain/yaml.sh)"
  export PATH="$yaml_bin:$PATH"
fi

step "build"
rm -rf dist
npm run --silent build

if wanted kernel; then
  step "test-host kernel"
  node dist/testhost/cli.js kernel >&2
fi
