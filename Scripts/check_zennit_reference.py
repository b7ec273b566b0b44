#!/usr/bin/env python3
"""Cross-checks zennit_reference.py on the full-size ImageNet architectures: for each
architecture and a few rule plans, zennit's relevance (PyTorch model) against the independent
numpy implementation of docs/DESIGN.md §2 running on the exported ONNX file (Scripts/lrp_numpy.py).
Slow (numpy, minutes). Prints max|numpy - zennit| / max|zennit| per case.

    .venv/bin/python Scripts/check_zennit_reference.py [--arch mobilenet_v2 ...] [--input x.npy]
"""
import argparse
import io
import os
import sys
import time

import numpy as np
import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lrp_numpy  # noqa: E402
from imagenet_models import ARCHITECTURES, load  # noqa: E402
from lrp_zennit import RulePlan, relevance, trace, is_mapping  # noqa: E402

MEAN = np.array([0.485, 0.456, 0.406])
STD = np.array([0.229, 0.224, 0.225])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--arch", nargs="*", default=list(ARCHITECTURES))
    parser.add_argument("--input", help="[1,3,224,224] .npy (default: uniform random pixels, normalised)")
    parser.add_argument("--tolerance", type=float, default=1e-4)
    args = parser.parse_args()
    if args.input:
        x = torch.from_numpy(np.load(args.input).astype(np.float32))
    else:
        u = np.random.default_rng(0).random((1, 3, 224, 224))
        x = torch.from_numpy(((u - MEAN[None, :, None, None]) / STD[None, :, None, None]).astype(np.float32))
    failures = 0
    for arch in args.arch:
        model = load(arch)
        buffer = io.BytesIO()
        torch.onnx.export(model, x, buffer, dynamo=False, opset_version=13, input_names=["input"],
                          output_names=["logits"], do_constant_folding=True)
        graph = lrp_numpy.Graph(onnx.load_from_string(buffer.getvalue()))
        n_mapping = sum(is_mapping(m) for m in trace(model, x)[0])
        with torch.no_grad():
            target = int(model(x).argmax())
        low, high = list(-MEAN / STD), list((1 - MEAN) / STD)
        plans = [("epsilon", None, 0), ("alpha2beta1", None, 0), ("epsilon-plus-flat", None, 0),
                 ("epsilon-alpha2beta1-flat", "zbox", 0), ("epsilon-alpha2beta1-flat", None, n_mapping // 2),
                 ("epsilon", "wsquare", n_mapping - 1)]
        for preset, first, cutoff in plans:
            case = {"preset": preset, "epsilon": 1e-6, "alpha": 2.0, "beta": 1.0, "firstLayer": first,
                    "zBoxLow": low, "zBoxHigh": high, "maxPool": "wta", "cutoff": cutoff}
            t0 = time.time()
            ref, _ = relevance(model, x, [target], RulePlan(preset, first_layer=first, zbox_low=low, zbox_high=high,
                                                            cutoff=cutoff))
            ours, _ = lrp_numpy.relevance(graph, x.numpy(), [target], case)
            err = float(np.abs(ours - ref).max() / np.abs(ref).max())
            status = "ok" if err <= args.tolerance else "FAIL"
            failures += status == "FAIL"
            print(f"{status} {arch} {preset} first={first} K={cutoff}/{n_mapping}: numpy vs zennit "
                  f"{err:.2e} ({time.time() - t0:.0f} s)", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
