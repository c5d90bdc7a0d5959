#!/usr/bin/env bash
# The Python packages a project using the generated Python SDK (sdk/python) installs from the
# Python package index: the dependencies its pyproject.toml lists, with `pulumi` at the CLI's
# release, and setuptools, which pip needs to build sdk/python (its build backend). Downloaded
# once into a wheelhouse in the cache (see cache.sh), keyed by the release, the interpreter
# (wheels such as grpcio's are per Python version and machine), pyproject.toml and this
# script; tests then run the `pip install` users type with PIP_NO_INDEX and PIP_FIND_LINKS
# pointing at it.
# Verified: a throw-away virtualenv installs `pulumi` from it with no index and imports it.
# Prints the wheelhouse directory on stdout, logs on stderr.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/cache.sh"
pyproject="$here/../../sdk/python/pyproject.toml"

# The CLI's release (pulumi.sh); the SDK's pyproject.toml accepts any 3.x from 3.231 on.
PULUMI_VERSION="${PULUMI_VERSION:-3.259.0}"
log() { echo "[toolchain/python] $*" >&2; }

command -v python3 >/dev/null || { log "python3 is required for the Python SDK's tests"; exit 1; }
interp="$(python3 -c 'import sys, platform; print("cp%d%d-%s" % (sys.version_info[0], sys.version_info[1], platform.machine()))')"
entry="$NETKIT_CACHE/python-wheels/$(cache_key "pulumi$PULUMI_VERSION-$interp" "${BASH_SOURCE[0]}" "$pyproject")"

if [[ -f "$entry/.verified" ]]; then
  log "cached: $entry (pulumi $PULUMI_VERSION for $interp)"
  echo "$entry"; exit 0
fi

stage="$(cache_stage "$entry")"; trap 'rm -rf "$stage"' EXIT
# The SDK's requirements (pyproject.toml's dependencies and build-system requires) and pulumi pinned.
mapfile -t requirements < <(python3 - "$pyproject" <<'PY'
import sys, tomllib
with open(sys.argv[1], "rb") as f:
    project = tomllib.load(f)
for r in project["project"]["dependencies"] + project["build-system"]["requires"]:
    print(r)
PY
)
log "downloading pulumi $PULUMI_VERSION and the Python SDK's other requirements for $interp: ${requirements[*]}"
# The machine's own PIP_FIND_LINKS/PIP_NO_INDEX must not decide what the wheelhouse holds.
export PIP_FIND_LINKS="" PIP_NO_INDEX="" PIP_DISABLE_PIP_VERSION_CHECK=1
python3 -m pip download --quiet --only-binary=:all: --dest "$stage" "pulumi==$PULUMI_VERSION" "${requirements[@]}" >&2

venv="$(mktemp -d "${TMPDIR:-/tmp}/wheels-check.XXXXXX")"
python3 -m venv "$venv"
PIP_NO_INDEX=1 PIP_FIND_LINKS="$stage" "$venv/bin/python" -m pip install --quiet "pulumi==$PULUMI_VERSION" >&2
"$venv/bin/python" -c 'import pulumi.runtime.settings' || { rm -rf "$venv"; log "pulumi from the wheelhouse does not import"; exit 1; }
rm -rf "$venv"
log "pulumi $PULUMI_VERSION installs from the wheelhouse"
touch "$stage/.verified"
cache_commit "$stage" "$entry"
echo "$entry"
