#!/usr/bin/env bash
# The main job on bundled defaults (README, first command): installs what the build needs,
# builds the tools (release), and explains the sample photographs with both bundled models —
# MobileNetV2 (ONNX) at full resolution and at a coarse cut-off, and the Fisher-vector
# classifier at SIFT-bin and descriptor resolution. Pictures go to out/demo/ (or $1).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
Scripts/install-deps.sh
out="${1:-out/demo}"
echo "building (release) ..." >&2
swift build -c release --product lrp-cnn >&2
swift build -c release --product lrp-fv >&2
swift build -c release --product lrp-compare >&2
bin=$(swift build -c release --show-bin-path)
samples=(Samples/*.jpg)

echo "== CNN (MobileNetV2, preset epsilon-plus-flat): full resolution and cut-off 30 ==" >&2
"$bin/lrp-cnn" explain "${samples[@]}" --out "$out/cnn-fine"
"$bin/lrp-cnn" explain "${samples[@]}" --cutoff 30 --out "$out/cnn-cutoff30"
echo "== Fisher vectors (bundled Imagenette model): bin and descriptor resolution ==" >&2
"$bin/lrp-fv" explain "${samples[@]}" --resolution both --out "$out/fv"
echo "== Figure-1 panels: both models, fine and coarse maps, on each photo (docs/DESIGN.md §10.1) ==" >&2
"$bin/lrp-compare" figure Samples/*.jpg --out "$out/figure1"

echo
echo "Heatmaps and overlays: $out/{cnn-fine,cnn-cutoff30,fv}/<image>.*.png"
echo "Figure-1 panels (CNN and FV rows, same class): $out/figure1/<image>.figure1.png"
echo "Raw relevance (.npy, float32) and a JSON summary per image are next to them."
