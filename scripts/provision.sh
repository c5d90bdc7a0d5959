# Sourced by scripts/test.sh, scripts/demo.sh and scripts/bench.sh: provisions what they need,
# builds, and exports PATH and NETKIT_* for the Node processes that follow. Everything
# expensive is cached outside the repo (scripts/toolchain/cache.sh: an entry is keyed by the
# versions and the hash of the scripts that made it, and written only once verified).
# Arguments: the parts beyond Node and the build — `pulumi`, `yaml`, `sdkgen`, `python`, `gomod`,
# `iproute2`, `ethtool`, `kernel`, `debian-kernels`.
# Each step's wall time goes to $NETKIT_STEP_TIMES when set ("name<TAB>ms" lines, and
# "name<TAB>ms<TAB>parallel" for the parts below), which the test runner prints in its time
# budget; step_done ends the last one.
_step="" _step_t0=0
_now_us() { echo "${EPOCHREALTIME/[.,]/}"; }
step_done() {
  if [[ -n $_step && -n ${NETKIT_STEP_TIMES:-} ]]; then
    local t1
    t1=$(_now_us)
    printf '%s\t%s\n' "$_step" "$(( (t1 - _step_t0) / 1000))" >>"$NETKIT_STEP_TIMES"
  fi
  _step=""
}
step() { step_done; echo "== $*" >&2; _step=$*; _step_t0=$(_now_us); }
wanted() { local p; for p in "${provision[@]}"; do [[ "$p" == "$1" ]] && return 0; done; return 1; }
provision=("$@")
root="$PWD"

step "system packages"
bash scripts/toolchain/system.sh

# The parts that take minutes when cold (the Go builds of the CLI and the YAML host, the kernel
# build, Debian's kernels) need nothing from each other or from Node: each starts now in the
# background, in a session of its own, with its output kept apart; `collect` waits for one
# where its result is needed and prints its log then. Their downloads and single-threaded
# stretches (unpacking, linking) overlap the others' compiling.
parts_dir="$(mktemp -d "${TMPDIR:-/tmp}/netkit-provision.XXXXXX")"
declare -A part_title=() part_pid=()
part() { # part NAME TITLE [--after OTHER] COMMAND...
  local name=$1 after=""
  part_title[$name]=$2
  shift 2
  if [[ ${1:-} == --after ]]; then
    after=$2
    shift 2
  fi
  (
    # Starts when OTHER has ended (its .rc written), or never if the run stopped meanwhile.
    if [[ -n $after ]]; then
      while [[ -d $parts_dir && ! -e $parts_dir/$after.rc ]]; do sleep 1; done
      [[ -d $parts_dir ]] || exit 1
    fi
    t0=$(_now_us)
    setsid "$@" >"$parts_dir/$name.out" 2>"$parts_dir/$name.log" </dev/null &
    echo $! >"$parts_dir/$name.pid"
    rc=0
    wait $! || rc=$?
    t1=$(_now_us)
    echo "$rc $(( (t1 - t0) / 1000))" >"$parts_dir/$name.rc"
  ) &
  part_pid[$name]=$!
}
collect() { # collect NAME [VAR]: waits for the part, prints its log; VAR = its last stdout line
  local name=$1 rc ms t0 t1
  t0=$(_now_us)
  wait "${part_pid[$name]}" || true
  t1=$(_now_us)
  read -r rc ms <"$parts_dir/$name.rc"
  { echo "-- ${part_title[$name]}: $((ms / 1000)) s in parallel, $(( (t1 - t0) / 1000000)) s waited for"; cat "$parts_dir/$name.log"; } >&2
  [[ -z ${NETKIT_STEP_TIMES:-} ]] || printf '%s\t%s\tparallel\n' "${part_title[$name]}" "$ms" >>"$NETKIT_STEP_TIMES"
  ((rc == 0)) || { echo "provisioning: ${part_title[$name]} failed (exit $rc)" >&2; exit "$rc"; }
  [[ -z ${2:-} ]] || printf -v "$2" '%s' "$(tail -n1 "$parts_dir/$name.out")"
}
# A run that stops early stops its parts too (each is a process group of its own).
_stop_parts() {
  local f
  for f in "$parts_dir"/*.pid; do [[ -e $f && ! -e ${f%.pid}.rc ]] && kill -- "-$(cat "$f")" 2>/dev/null; done
  rm -rf "$parts_dir"
}
trap _stop_parts EXIT

if wanted iproute2; then part iproute2 "iproute2 with netkit" bash scripts/toolchain/iproute2.sh; fi
if wanted ethtool; then part ethtool "ethtool" bash scripts/toolchain/ethtool.sh; fi
if wanted pulumi; then part pulumi "pulumi CLI" bash scripts/toolchain/pulumi.sh; fi
if wanted yaml; then part yaml "pulumi-language-yaml" bash scripts/toolchain/yaml.sh; fi
# The generator of the Python and Go SDKs (npm run gen, the unit tier's drift test) is built
# with Go: without a `go` command the drift test says so and skips.
# It compiles most of what the CLI does (the same pulumi pkg release, the same build flags), so
# when both are built it starts after the CLI and takes those packages from Go's build cache:
# two cold builds at once would compile them twice over on the same two cores.
if wanted sdkgen && command -v go >/dev/null; then
  part sdkgen "SDK generator" ${part_pid[pulumi]:+--after pulumi} bash scripts/toolchain/sdkgen.sh
fi
# What `pip install sdk/python` fetches from the package index, as a wheelhouse, and what `go
# mod tidy` and `go build` of a project using sdk/go fetch and compile (see the scripts).
if wanted python; then part python "Python SDK's packages" bash scripts/toolchain/python.sh; fi
if wanted gomod; then part gomod "Go SDK's modules" bash scripts/toolchain/go-modules.sh; fi
if wanted kernel; then
  part kernel "test-host kernel" bash testhost/kernel/build.sh
  part initramfs "test-host initramfs" bash testhost/guest/mkinitramfs.sh
fi
debian_kernels=()
if wanted debian-kernels; then
  mapfile -t debian_kernels < <(bash testhost/kernel/debian.sh --list | cut -d" " -f1)
  for f in "${debian_kernels[@]}"; do part "debian-$f" "Debian kernel $f" bash testhost/kernel/debian.sh "$f"; done
fi

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

step "build"
# Incremental: only what changed is compiled; outputs of deleted sources are removed.
bash scripts/build.sh

if wanted iproute2; then
  step "iproute2 with netkit"
  # Tests make devices "by hand" with it, as an operator would (see the script).
  collect iproute2 NETKIT_IP
  export NETKIT_IP
fi

if wanted ethtool; then
  step "ethtool"
  # Tests read NIC settings back with the kernel's own tool, not the provider's codec.
  collect ethtool NETKIT_ETHTOOL
  export NETKIT_ETHTOOL
fi

if wanted pulumi; then
  step "pulumi CLI"
  collect pulumi pulumi_bin
  yaml_bin=""
  # The language host of `runtime: yaml` projects, for the provider plugin's YAML tests.
  if wanted yaml; then collect yaml yaml_bin; fi
  # pulumi and, beside it, the plugins an official install ships (see the script).
  cli_bin="$(bash scripts/toolchain/cli.sh "$pulumi_bin" ${yaml_bin:+"$yaml_bin"})"
  # bin/ holds this package's provider plugin, pulumi-resource-netkit, for tests that name it
  # by PATH; project-directory tests put only the CLI on PATH, as a user's machine has it.
  export PATH="$cli_bin:$root/bin:$PATH"
  export NETKIT_PULUMI_ROOT="$(dirname "$cli_bin")"
  echo "pulumi CLI $(pulumi version) at $cli_bin" >&2
fi

if [[ -n ${part_pid[sdkgen]:-} ]]; then
  step "SDK generator"
  collect sdkgen NETKIT_SDKGEN
  export NETKIT_SDKGEN
fi
if wanted python; then
  step "Python SDK's packages"
  collect python NETKIT_PY_WHEELS
  export NETKIT_PY_WHEELS
fi
if wanted gomod; then
  step "Go SDK's modules"
  collect gomod
fi

if wanted kernel; then
  step "test-host kernel"
  collect kernel
  collect initramfs
fi
if ((${#debian_kernels[@]})); then
  step "Debian kernels"
  for f in "${debian_kernels[@]}"; do collect "debian-$f"; done
fi
_stop_parts
trap - EXIT
