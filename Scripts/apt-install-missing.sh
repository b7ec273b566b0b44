#!/usr/bin/env bash
# Installs those of the named Debian packages that are not installed yet (nothing to do: no
# apt-get, no root needed). Used by install-deps.sh and install-test-deps.sh.
#   Scripts/apt-install-missing.sh WHAT PACKAGE...     (WHAT names them in the progress line)
set -euo pipefail
what=$1
shift
missing=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing $what: ${missing[*]}" >&2
sudo_cmd=""
[ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
$sudo_cmd apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
