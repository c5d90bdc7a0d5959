#!/usr/bin/env bash
# Installs the Debian packages the tests need (qemu for test-host VMs, OpenSSH for the SSH
# tier and inside the VMs, busybox for the VM's initramfs) when a command is missing.
set -euo pipefail
log() { echo "[toolchain/system] $*" >&2; }
declare -A need=(
  [qemu-system-x86_64]=qemu-system-x86 [sshd:/usr/sbin/sshd]=openssh-server [ssh]=openssh-client
  [ssh-keygen]=openssh-client [busybox:/bin/busybox]=busybox-static [setpriv]=util-linux
  [sudo:/usr/bin/sudo]=sudo [cpio]=cpio [python3:/usr/bin/python3]=python3 [ip:/usr/sbin/ip]=iproute2
)
missing=()
for k in "${!need[@]}"; do
  cmd="${k%%:*}"; path="${k#*:}"; [[ "$path" == "$k" ]] && path=""
  if [[ -n "$path" ]]; then [[ -x "$path" ]] && continue; else command -v "$cmd" >/dev/null && continue; fi
  missing+=("${need[$k]}")
done
(( ${#missing[@]} == 0 )) && { log "all system packages present"; exit 0; }
pkgs="$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')"
if [[ $(id -u) -ne 0 ]]; then log "missing Debian packages: $pkgs— install them (apt-get install $pkgs)"; exit 1; fi
log "installing $pkgs"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
# policy-rc.d keeps the package scripts from starting a system sshd we do not want.
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get install -y -qq --no-install-recommends $pkgs >&2
