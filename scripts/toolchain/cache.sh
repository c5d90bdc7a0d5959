# Sourced by every provisioning script. A cache entry is a directory under $NETKIT_CACHE
# named by what made it: the versions it was built from and the sha256 of the files that
# built it (the script itself, its inputs and this file), so a change to any provisioning
# step makes that step run cold in the next run. An entry is built in a staging directory
# beside it, verified there, and only then moved into place in one rename: an entry that
# exists is complete and verified, and a killed run leaves nothing that looks finished.
NETKIT_CACHE=${NETKIT_CACHE:-$HOME/.cache/pulumi-netkit}
_cache_lib=${BASH_SOURCE[0]}

# cache_hash FILE... -> the sha256 (12 hex) of the files' contents and of this library
cache_hash() {
  cat "$@" "$_cache_lib" | sha256sum | cut -c1-12
}

# cache_key VERSION FILE... -> "VERSION-<cache_hash FILE...>"
cache_key() {
  local version=$1
  shift
  printf '%s-%s\n' "$version" "$(cache_hash "$@")"
}

# cache_stage ENTRY -> a new, empty staging directory beside ENTRY (same filesystem, so the
# final rename is atomic). Stages left by killed runs (over a day old) are removed first.
cache_stage() {
  local parent
  parent=$(dirname "$1")
  mkdir -p "$parent"
  find "$parent" -maxdepth 1 -name '.stage-*' -mmin +1440 -exec rm -rf {} + 2>/dev/null || true
  local stage
  stage=$(mktemp -d "$parent/.stage-$(basename "$1").XXXXXX")
  # Entries hold no secrets; test hosts read some (e.g. `ip`) through their 9p root.
  chmod 0755 "$stage"
  echo "$stage"
}

# cache_commit STAGE ENTRY: renames the verified stage to ENTRY. If another run committed the
# same entry first, its copy wins and ours is dropped (both were built from the same inputs).
cache_commit() {
  if mv -T "$1" "$2" 2>/dev/null; then return 0; fi
  rm -rf "$1"
  [[ -d $2 ]] || { echo "cache: could not move $1 to $2" >&2; return 1; }
}
