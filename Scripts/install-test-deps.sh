#!/usr/bin/env bash
# Installs what the test suite needs beyond the build (Scripts/install-deps.sh), if missing:
# Debian's headless-capable Chromium and a font, for the report page test in a real browser
# (Tests/ComparisonTests/ReportBrowserTests.swift, docs/DESIGN.md §10.3). Needs root or sudo.
set -euo pipefail
packages=(chromium fonts-dejavu-core)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing test dependencies: ${missing[*]}" >&2
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
