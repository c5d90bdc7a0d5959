#!/usr/bin/env bash
# The Pulumi CLI as users have it installed: one directory holding `pulumi` and the plugins an
# official install ships beside it, which the engine finds there ("bundled") without a PATH
# warning: pulumi-language-nodejs, -python and -go (ours, for tests: scripts/toolchain/
# language-host/, one host serving the three runtimes, since upstream's cannot be built here),
# pulumi-resource-pulumi-nodejs (Node dynamic providers) and, when built, pulumi-language-yaml. The language host gets its own node_modules, so it does not
# depend on the checkout that provisioned it. Run after the build (it copies the compiled host).
# Usage: cli.sh PULUMI_BIN [YAML_BIN] -> prints the entry's bin directory.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
source "$here/cache.sh"
log() { echo "[toolchain/cli] $*" >&2; }
pulumi_bin=$1
yaml_bin=${2:-}
host_js="$root/dist/scripts/toolchain/language-host"
dyn_launcher="$root/bin/pulumi-resource-pulumi-nodejs"
[[ -f $host_js/main.js ]] || { log "no $host_js/main.js: build first (npm run build)"; exit 1; }
sdk_version="$(node -p 'require(process.argv[1]).version' "$root/node_modules/@pulumi/pulumi/package.json")"

# Keyed by the CLI and YAML host entries it links (their names carry their own keys), the SDK
# the language host runs on, and every file it copies.
version="$(basename "$(dirname "$pulumi_bin")")${yaml_bin:+-yaml-$(basename "$(dirname "$yaml_bin")")}-sdk$sdk_version"
languages=(nodejs python go)
entry="$NETKIT_CACHE/pulumi-cli/$(cache_key "$version" "${BASH_SOURCE[0]}" "$dyn_launcher" $(find "$host_js" -name '*.js' -o -name '*.py' | LC_ALL=C sort))"
if [[ -x $entry/bin/pulumi && -x $entry/bin/pulumi-language-go ]]; then
  log "cached: $entry/bin"
  echo "$entry/bin"; exit 0
fi

stage="$(cache_stage "$entry")"; trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/language-host"
# Hard links where the cache allows (entries never change once made), copies otherwise.
link() { ln "$1" "$2" 2>/dev/null || cp "$1" "$2"; }
link "$pulumi_bin/pulumi" "$stage/bin/pulumi"
[[ -z $yaml_bin ]] || link "$yaml_bin/pulumi-language-yaml" "$stage/bin/pulumi-language-yaml"
install -m 0755 "$dyn_launcher" "$stage/bin/pulumi-resource-pulumi-nodejs"
(cd "$host_js" && find . \( -name '*.js' -o -name '*.py' \) -exec install -D -m 0644 {} "$stage/language-host/{}" \;)
printf '{ "private": true, "dependencies": { "@pulumi/pulumi": "%s" } }\n' "$sdk_version" >"$stage/language-host/package.json"
log "installing @pulumi/pulumi $sdk_version for the language host"
(cd "$stage/language-host" && npm install --no-audit --no-fund --loglevel=error --no-package-lock >&2)
for lang in "${languages[@]}"; do
  cat >"$stage/bin/pulumi-language-$lang" <<SH
#!/bin/sh
# The language host of \`runtime: $lang\` projects (see scripts/toolchain/cli.sh). exec, never npx:
# nothing may reach stdout before the port.
exec node "\$(dirname "\$(readlink -f "\$0")")/../language-host/main.js" --runtime=$lang "\$@"
SH
  chmod 0755 "$stage/bin/pulumi-language-$lang"
done

# Verified: the CLI answers with its version, and each language host prints a port and exits
# when its stdin closes (as when the engine goes away).
"$stage/bin/pulumi" version >/dev/null
for lang in "${languages[@]}"; do
  coproc HOST { exec "$stage/bin/pulumi-language-$lang" 127.0.0.1:1 2>/dev/null; }
  host_pid=$HOST_PID
  port=""; read -t 20 -r port <&"${HOST[0]}" || true
  eval "exec ${HOST[1]}>&-"
  for _ in $(seq 100); do kill -0 "$host_pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$host_pid" 2>/dev/null; then kill "$host_pid"; log "pulumi-language-$lang did not exit when its stdin closed"; exit 1; fi
  [[ $port =~ ^[0-9]+$ ]] || { log "pulumi-language-$lang did not print a port (got '${port}')"; exit 1; }
done
cache_commit "$stage" "$entry"
log "ready: $entry/bin"
echo "$entry/bin"
