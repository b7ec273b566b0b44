#!/usr/bin/env bash
# Installs the Debian packages the toolkit builds against, if any is missing:
# VLFeat (reference for SIFT/GMM/Fisher; linked by tests and the benchmark), OpenBLAS,
# libjpeg, libpng, OpenSSL (SHA-256), Cairo and a font (figures and plots). Needs root or sudo. Swift itself is expected on PATH (or in /opt/swift).
set -euo pipefail
"$(dirname "$0")/apt-install-missing.sh" "build dependencies" \
    libvlfeat-dev libopenblas-dev libjpeg-dev libpng-dev libssl-dev libcairo2-dev fonts-dejavu-core pkg-config
if ! command -v swift >/dev/null 2>&1; then
  if [ -x /opt/swift/usr/bin/swift ]; then
    echo "note: add /opt/swift/usr/bin to PATH" >&2
  else
    echo "error: swift not found on PATH (install Swift 6.x from swift.org)" >&2
    exit 1
  fi
fi
