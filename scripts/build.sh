#!/usr/bin/env bash
# `npm run build`: compiles the repository into dist/, incrementally. tsc keeps what it knows
# in dist/.tsbuildinfo (inside dist/, so removing dist/ starts from scratch) and compiles only
# what changed, judged by content. Outputs whose source is gone are deleted, so that a removed
# module or test never runs from a stale dist/; an output missing for a source (dist/ edited
# by hand, or `npm pack`'s build replacing part of it) makes tsc start from scratch. When no
# input changed since the last build that succeeded (every .ts and tsconfig, the installed
# dependencies), tsc is not started at all.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
tsc=node_modules/.bin/tsc
info=dist/.tsbuildinfo
stamp=dist/.build-inputs
# Files the compiled code runs beside it: the host relay, and the Python runner of the test
# language host.
assets() {
  cp provider/host/relay.py dist/provider/host/
  cp scripts/toolchain/language-host/python-runner.py dist/scripts/toolchain/language-host/
}

inputs=$({
  find . \( -name node_modules -o -name dist -o -name .git -o -name '.pulumi-*' \) -prune -o \
    -type f \( -name '*.ts' -o -name 'tsconfig*.json' \) -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
  cat package-lock.json node_modules/.netkit-lock 2>/dev/null || true
} | sha256sum | cut -c1-32)
if [[ -f $info && $(cat "$stamp" 2>/dev/null) == "$inputs" ]]; then
  assets
  exit 0
fi
rm -f "$stamp"

# The program's sources, as tsc expands tsconfig.json's include.
mapfile -t sources < <("$tsc" -p . --showConfig | sed -n 's/^ *"\.\/\(.*\)\.ts",\{0,1\}$/\1/p' | grep -v '\.d$')
((${#sources[@]})) || { echo "build: tsc --showConfig listed no sources" >&2; exit 1; }
declare -A known=()
for s in "${sources[@]}"; do
  known[$s]=1
  [[ -f dist/$s.js ]] || rm -f "$info"
done

"$tsc" -p . --incremental --tsBuildInfoFile "$info"
assets

# Outputs of sources that no longer exist.
while IFS= read -r -d '' out; do
  rel=${out#dist/}
  case $rel in
    *.js.map) src=${rel%.js.map} ;;
    *.d.ts) src=${rel%.d.ts} ;;
    *.js) src=${rel%.js} ;;
    *) continue ;;
  esac
  [[ -n ${known[$src]:-} ]] || rm -f "$out"
done < <(find dist -type f \( -name '*.js' -o -name '*.js.map' -o -name '*.d.ts' \) -print0)
find dist -mindepth 1 -type d -empty -delete
echo "$inputs" >"$stamp"
