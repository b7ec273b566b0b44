#!/usr/bin/env python3
"""Tests/Fixtures/cnn-lrn: a tiny CNN with nn.LocalResponseNorm exported from PyTorch.

PyTorch does not write an ONNX `LRN` node for local response norm; it writes the decomposition
(x·x, a 5-D view, Pad, AveragePool [size,1,1], an If that squeezes, x / (·alpha + k)^beta)
that the importer recognises (Sources/CNNRelevance/Import/PyTorchLRN.swift).

    .venv/bin/python Scripts/make_lrn_fixtures.py

Files (deterministic, seed 7):
- `torchlrn.o11.onnx`, `torchlrn.o13.onnx`, `torchlrn.o17.onnx` (constant folding on) and
  `torchlrn.o13.unfolded.onnx`; input `input` [N,3,20,20] (dynamic batch), output `logits` [N,5].
  conv1 3x3 pad 1 (3→8) → ReLU → LRN(5, alpha 1, beta 0.75, k 1) → MaxPool 3/2 ceil_mode →
  conv2 3x3 (8→8) → ReLU → LRN(3, alpha 0.5, beta 0.75, k 2) → x.reshape(x.size(0), -1) → fc (512→5).
- `evenlrn.o13.onnx`: the same with LRN size 4 (PyTorch's window is then off-centre; the
  importer must refuse it).
- `torchlrn.input.npy` [2,3,20,20], `torchlrn.logits.npy` [2,5] (PyTorch).
- `torchlrn.<plan>.k<K>.npy` [2,3,20,20]: zennit relevance (Scripts/lrp_zennit.py: LRN passes
  relevance through, like ReLU) for the targets in `torchlrn.targets.json`.
"""
import json
import os
import sys

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from lrp_zennit import RulePlan, relevance  # noqa: E402

ROOT = os.path.dirname(HERE)
CASES = [("epsilon", 0), ("alpha2beta1", 0), ("epsilon-plus-flat", 0), ("epsilon", 1), ("epsilon-alpha2beta1-flat", 2)]


class TorchLRN(nn.Module):
    def __init__(self, size2=3):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.relu1 = nn.ReLU()
        self.lrn1 = nn.LocalResponseNorm(5, alpha=1.0, beta=0.75, k=1.0)
        self.pool = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv2 = nn.Conv2d(8, 8, 3)
        self.relu2 = nn.ReLU()
        self.lrn2 = nn.LocalResponseNorm(size2, alpha=0.5, beta=0.75, k=2.0)
        self.fc = nn.Linear(8 * 8 * 8, 5)

    def forward(self, x):
        x = self.pool(self.lrn1(self.relu1(self.conv1(x))))
        x = self.lrn2(self.relu2(self.conv2(x)))
        return self.fc(x.reshape(x.size(0), -1))


def export(model, path, opset, fold):
    torch.onnx.export(model, torch.zeros(1, 3, 20, 20), path, dynamo=False, opset_version=opset,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, do_constant_folding=fold)


def main():
    out = os.path.join(ROOT, "Tests", "Fixtures", "cnn-lrn")
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(7)
    model = TorchLRN().eval()
    for name, opset, fold in [("o11", 11, True), ("o13", 13, True), ("o17", 17, True), ("o13.unfolded", 13, False)]:
        export(model, os.path.join(out, f"torchlrn.{name}.onnx"), opset, fold)
    torch.manual_seed(8)
    export(TorchLRN(size2=4).eval(), os.path.join(out, "evenlrn.o13.onnx"), 13, True)

    g = torch.Generator().manual_seed(9)
    x = torch.randn(2, 3, 20, 20, generator=g)
    with torch.no_grad():
        logits = model(x)
    # LRN must matter here, or the test would not see a wrong treatment.
    with torch.no_grad():
        y1 = model.relu1(model.conv1(x))
        change = float((model.lrn1(y1) - y1).abs().max() / y1.abs().max())
    assert change > 0.3, change
    targets = [int(logits[0].argmax()), int(logits[1].argsort(descending=True)[1])]
    np.save(os.path.join(out, "torchlrn.input.npy"), x.numpy())
    np.save(os.path.join(out, "torchlrn.logits.npy"), logits.numpy())
    for preset, k in CASES:
        rel, _ = relevance(model, x, targets, RulePlan(preset, cutoff=k))
        rel64, _ = relevance(model.double(), x.double(), targets, RulePlan(preset, cutoff=k))
        model.float()
        err = float(np.abs(rel - rel64).max() / np.abs(rel64).max())
        print(f"{preset} K={k}: sum {rel.sum():.4f}, float32 vs float64 {err:.1e}")
        np.save(os.path.join(out, f"torchlrn.{preset}.k{k}.npy"), rel64.astype(np.float32))
    with open(os.path.join(out, "torchlrn.targets.json"), "w") as f:
        json.dump({"targets": targets, "cases": [{"preset": p, "cutoff": k} for p, k in CASES]}, f, indent=1)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
