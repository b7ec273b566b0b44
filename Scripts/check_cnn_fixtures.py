#!/usr/bin/env python3
"""Self-checks of Tests/Fixtures/cnn (run by make_cnn_fixtures.py after writing; also alone):

1. The independent numpy implementation (lrp_numpy.py, float64, reading the ONNX files) gives
   the stored logits and, for every case, the stored zennit relevance
   (max|numpy - zennit| <= 2e-5 * max|zennit|).
2. Conservation: with all biases zero (conv/linear bias, batch-norm mean and shift), zennit's
   input relevance sums to the target logit (relative 1e-4) for every plan that conserves by
   construction (epsilon with eps <= 1e-6, z, flat, w-square, z-box first layers, every cut-off);
   alpha-beta / z-plus sums are printed for information.

    .venv/bin/python Scripts/check_cnn_fixtures.py [--dir Tests/Fixtures/cnn]
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lrp_numpy  # noqa: E402
from lrp_zennit import RulePlan, relevance  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NUMPY_TOLERANCE = 2e-5
CONSERVATION_TOLERANCE = 1e-4


def zero_biases(model):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)) and m.bias is not None:
                m.bias.zero_()
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.zero_()
                m.bias.zero_()


def plan_of(case):
    return RulePlan(case["preset"], epsilon=case["epsilon"], alpha=case["alpha"], beta=case["beta"],
                    first_layer=case["firstLayer"], zbox_low=case["zBoxLow"], zbox_high=case["zBoxHigh"],
                    max_pool=case["maxPool"], cutoff=case["cutoff"])


def conserves(case):
    if case["preset"] == "epsilon":
        return case["epsilon"] <= 1e-6
    return False


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", default=os.path.join(ROOT, "Tests", "Fixtures", "cnn"))
    args = parser.parse_args(argv)
    from make_cnn_fixtures import build
    with open(os.path.join(args.dir, "manifest.json")) as f:
        manifest = json.load(f)
    failures = 0
    for m in manifest["models"]:
        name = m["name"]
        graph = lrp_numpy.Graph(os.path.join(args.dir, m["onnx"]))
        x = np.load(os.path.join(args.dir, m["input"]))
        logits = np.load(os.path.join(args.dir, m["logits"]))
        cases = [c for c in manifest["cases"] if c["model"] == name]
        worst, worst_case = 0.0, None
        for case in cases:
            ref = np.load(os.path.join(args.dir, case["relevance"]))
            assert ref.dtype == np.float32 and ref.shape == x.shape, case["relevance"]
            ours, np_logits = lrp_numpy.relevance(graph, x, case["targets"], case)
            lerr = float(np.abs(np_logits - logits).max())
            if lerr > 1e-5 * max(1.0, float(np.abs(logits).max())):
                print(f"FAIL {name}: numpy logits differ by {lerr:.2e}")
                failures += 1
            err = float(np.abs(ours - ref).max() / np.abs(ref).max())
            if err > worst:
                worst, worst_case = err, case["relevance"]
            if err > NUMPY_TOLERANCE:
                print(f"FAIL {case['relevance']}: numpy vs zennit max|diff|/max|ref| = {err:.2e}")
                failures += 1
        print(f"{name}: numpy (float64, from ONNX) vs zennit fixtures, {len(cases)} cases: "
              f"worst max|diff|/max|ref| {worst:.2e} ({worst_case})")

        model, xt = build(name)
        zero_biases(model)
        with torch.no_grad():
            zlogits = model(xt).numpy()
        info = []
        cons_worst = 0.0
        for case in cases:
            targets = case["targets"]
            rel, _ = relevance(model, xt, targets, plan_of(case))
            total = rel.reshape(rel.shape[0], -1).sum(1)
            want = zlogits[np.arange(len(targets)), targets]
            err = float(np.abs(total - want).max() / np.abs(want).max())
            if conserves(case) or case["firstLayer"] in ("flat", "wsquare", "zbox") and case["preset"] == "epsilon":
                cons_worst = max(cons_worst, err)
                if err > CONSERVATION_TOLERANCE:
                    print(f"FAIL conservation {case['relevance']}: sums {total} vs logits {want}")
                    failures += 1
            else:
                info.append(f"{case['relevance'].split('.', 1)[1][:-4]} {err:.1e}")
        print(f"{name}: conservation with zero biases (epsilon/z/flat plans, all cut-offs): worst rel. error "
              f"{cons_worst:.1e}; other plans (information only): " + ", ".join(info))
    print("all fixture checks passed" if failures == 0 else f"{failures} fixture checks FAILED")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
