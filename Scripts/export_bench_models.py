#!/usr/bin/env python3
"""Exports the timing-only networks of `lrp-bench cnn --networks`: torchvision-shaped VGG-16 and
ResNet-50 (Scripts/imagenet_models.py, seeded random He-normal weights) as ONNX files.

    .venv/bin/python Scripts/export_bench_models.py [--out-dir .build/bench-models] [--arch vgg16 ...]

Writes `<out-dir>/vgg16.onnx` (~553 MB) and `<out-dir>/resnet50.onnx` (~102 MB). They are build
products, never committed: the default folder is under `.build/` (ignored by git), which is where
`lrp-bench cnn --networks` looks for them (`--models-dir`). Export as for the bundled MobileNetV2
(Scripts/export_mobilenet_v2.py): opset 13, eval mode, `dynamo=False`, constant folding (batch
norms folded into the convs by the exporter), dynamic batch axis, input `input` [N,3,224,224],
output `logits` [N,1000]. Each file is checked with onnx's full checker and, unless --skip-check,
its logits on one random input are compared with PyTorch's through the independent numpy forward
pass of Scripts/lrp_numpy.py (float64; about a minute for VGG-16 on two cores).

The weights are the same for the same --seed, so zennit (Scripts/bench_zennit.py builds the
network in PyTorch with the same seed) and the engine time the same network.
"""
import argparse
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from imagenet_models import BENCH_ARCHITECTURES, load  # noqa: E402
import lrp_numpy  # noqa: E402
from export_mobilenet_v2 import OPSET, export_onnx  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DESCRIPTION = {
    "vgg16": "torchvision-shaped VGG-16 (13 convs, 3 linear layers, adaptive 7x7 average pooling)",
    "resnet50": "torchvision-shaped ResNet-50 (v1.5 Bottleneck blocks [3, 4, 6, 3], batch norms folded)",
}


def export(model, name, path, seed):
    return export_onnx(model, path, f"{DESCRIPTION[name]}; random He-normal weights (imagenet_models.randomize, "
                                    f"seed {seed}), for timing only; input RGB 224x224 normalised with ImageNet "
                                    "mean/std; output logits")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out-dir", default=os.path.join(ROOT, ".build", "bench-models"))
    parser.add_argument("--arch", action="append", choices=BENCH_ARCHITECTURES,
                        help="export only this network (repeatable; default: all)")
    parser.add_argument("--seed", type=int, default=0, help="weight seed (bench_zennit.py uses 0)")
    parser.add_argument("--skip-check", action="store_true", help="do not compare with PyTorch through lrp_numpy.py")
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)

    for name in args.arch or BENCH_ARCHITECTURES:
        t0 = time.time()
        model = load(name, seed=args.seed)
        path = os.path.join(args.out_dir, f"{name}.onnx")
        proto = export(model, name, path, args.seed)
        ops = sorted({n.op_type for n in proto.graph.node})
        print(f"wrote {path} ({os.path.getsize(path) / 1e6:.1f} MB, opset {OPSET}, ops {ops}) in {time.time() - t0:.0f} s",
              flush=True)
        if args.skip_check:
            continue
        x = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(1))
        with torch.no_grad():
            ref = model(x).numpy()
        ours = lrp_numpy.forward(lrp_numpy.Graph(proto), x.numpy())["logits"]
        scale = float(np.abs(ref).max())
        diff = float(np.abs(ours - ref).max())
        top5_same = list(np.argsort(-ours[0])[:5]) == list(np.argsort(-ref[0])[:5])
        print(f"  ONNX (numpy forward, float64) vs PyTorch logits on a random input: max|diff| {diff:.2e} "
              f"(max|logit| {scale:.1f}), top-5 identical: {top5_same}", flush=True)
        assert diff <= 1e-4 * max(1.0, scale) and top5_same, f"{name}: the export does not reproduce PyTorch"


if __name__ == "__main__":
    main()
