#!/usr/bin/env bash
# The README's Table 1 analogue: per-class AP, mAP and top-1 on a dataset split for the bundled
# Fisher-vector model and for the bundled MobileNetV2 restricted to the same classes.
#   Scripts/table1.sh [DATASET_DIR] [SPLIT]      (default: ../shared/data/imagenette val)
# The CNN's --classes list maps the dataset's sorted WordNet ids to ImageNet indices (Imagenette).
set -euo pipefail
cd "$(dirname "$0")/.."
dataset="${1:-../shared/data/imagenette}"
split="${2:-val}"
out="${TABLE1_OUT:-out/table1}"
mkdir -p "$out"
swift build -c release --product lrp-cnn >&2
swift build -c release --product lrp-fv >&2
bin=$(swift build -c release --show-bin-path)
"$bin/lrp-fv" eval --dataset "$dataset" --split "$split" --json "$out/fv.json" >&2
"$bin/lrp-cnn" eval --dataset "$dataset" --split "$split" \
  --classes 0,217,482,491,497,566,569,571,574,701 --out "$out/cnn.json" >&2
python3 - "$out/fv.json" "$out/cnn.json" <<'PY'
import json, sys
fv, cnn = (json.load(open(p)) for p in sys.argv[1:3])
print("| class | Fisher vectors | MobileNetV2 (10 logits) |")
print("|---|---:|---:|")
for c, name in zip(fv["classes"], fv["classNames"]):
    print(f"| {name} | {100 * fv['averagePrecision'][c]:.2f} | {100 * cnn['averagePrecision'][c]:.2f} |")
print(f"| **mAP** | **{100 * fv['meanAveragePrecision']:.2f}** | **{100 * cnn['meanAveragePrecision']:.2f}** |")
print(f"| top-1 accuracy | {100 * fv['top1']:.2f} | {100 * cnn['top1']:.2f} |")
PY
