#!/usr/bin/env python3
"""Writes Tests/Fixtures/cnn-import/: tiny CNNs exported from PyTorch to ONNX at opsets 11, 13 and
17, each with and without the exporter's constant folding (so batch norms stay separate nodes and
shape sub-graphs such as Shape -> Gather -> Unsqueeze -> Concat -> Reshape survive), plus an input
and PyTorch's output for it. The importer tests (Tests/CNNRelevanceTests/ImportFixtureTests.swift)
import every file and check the imported graph's forward pass against PyTorch's output.

    .venv/bin/python Scripts/make_import_fixtures.py [--out Tests/Fixtures/cnn-import]

Deterministic (fixed seed). Files: <model>.o<opset>.<folded|unfolded>.onnx, <model>.input.npy
([2, C, H, W] float32) and <model>.output.npy (PyTorch's output, [2, classes], after the model's
final softmax if it has one).

Preprocessing references (torchvision's PIL-based transforms on Tests/Fixtures/core/photo.png, 32x24):
preprocess.resize_<w>x<h>.npy (Pillow's 8-bit bilinear resize, HWC float32 with byte values) and
preprocess.<preset>.<fit>.<size>.npy (the model input [3, size, size] for the presets imagenet and caffe,
fit resize = Resize((size, size)), fit center = Resize(size*256//224) + CenterCrop(size)).
"""
import argparse
import os

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from torch import nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def randomize_batch_norms(model, g):
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            c = m.num_features
            with torch.no_grad():
                m.running_mean.copy_(0.3 * torch.randn(c, generator=g))
                m.running_var.copy_(0.5 + torch.rand(c, generator=g))
                m.weight.copy_(0.5 + torch.rand(c, generator=g))
                m.bias.copy_(0.2 * torch.randn(c, generator=g))


class Branchy(nn.Module):
    """Strided padded conv + BN, depthwise conv + BN + ReLU6 (Clip), residual Add, channel Concat,
    MaxPool with ceil_mode, AveragePool with padding (count_include_pad=False), 1x1 conv,
    x.view(x.size(0), -1) (a Shape sub-graph when not folded), Gemm, BatchNorm1d, Softmax."""
    input_shape = (3, 32, 32)

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.bn2 = nn.BatchNorm2d(8)
        self.pool = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.ap = nn.AvgPool2d(2, padding=1, count_include_pad=False)
        self.c2 = nn.Conv2d(16, 12, 1)
        self.fc = nn.Linear(12 * 5 * 5, 10)
        self.bnf = nn.BatchNorm1d(10)

    def forward(self, x):
        a = torch.relu(self.bn1(self.c1(x)))
        b = F.relu6(self.bn2(self.dw(a)))
        y = torch.cat([a + b, b], 1)
        y = self.ap(self.pool(y))
        y = self.c2(y)
        y = y.view(y.size(0), -1)
        return torch.softmax(self.bnf(self.fc(y)), 1)


class Odd(nn.Module):
    """Dilated grouped conv, constant Pad, a BN that cannot be folded (after a ReLU), AveragePool
    with ceil_mode and count_include_pad=True, global max pooling, mean over (2, 3) without
    keepdim (ReduceMean), x @ W + b (MatMul + Add), torch.flatten (Flatten), Gemm."""
    input_shape = (3, 19, 23)

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 12, 3, padding=2, dilation=2)
        self.c2 = nn.Conv2d(12, 12, 3, stride=2, groups=3)
        self.bn = nn.BatchNorm2d(12)
        self.ap = nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=True)
        self.w = nn.Parameter(torch.randn(12, 7) * 0.3)
        self.b = nn.Parameter(torch.randn(7) * 0.1)
        self.fc = nn.Linear(12 + 7, 5)

    def forward(self, x):
        y = torch.relu(self.c1(x))
        y = F.pad(y, (1, 2, 0, 1), value=0.0)
        y = self.bn(torch.relu(self.c2(y)))
        y = self.ap(y)
        g = torch.flatten(F.adaptive_max_pool2d(y, 1), 1)
        m = y.mean((2, 3))
        h = torch.relu(m @ self.w + self.b)
        return self.fc(torch.cat([g, h], 1))


MODELS = {"branchy": Branchy, "odd": Odd}

MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)
CAFFE_MEAN_BGR = np.array([103.939, 116.779, 123.68], np.float32)


def write_preprocessing(out):
    from PIL import Image
    photo = Image.open(os.path.join(ROOT, "Tests/Fixtures/core/photo.png")).convert("RGB")
    for w, h in [(20, 15), (64, 48), (7, 30)]:
        a = np.asarray(photo.resize((w, h), Image.BILINEAR), np.float32)
        np.save(os.path.join(out, f"preprocess.resize_{w}x{h}.npy"), a)
    # size 20: the centre crop offset is (29 - 20) / 2 = 4.5, which torchvision rounds half to even (4).
    for size in (16, 20, 28):
        w, h = photo.size
        short = size * 256 // 224
        # torchvision Resize(int): shorter side to `short`, longer side int(short * long / short_in).
        nw, nh = (short, int(short * h / w)) if w <= h else (int(short * w / h), short)
        resized = photo.resize((nw, nh), Image.BILINEAR)
        left, top = int(round((nw - size) / 2.0)), int(round((nh - size) / 2.0))
        fits = {"resize": photo.resize((size, size), Image.BILINEAR),
                "center": resized.crop((left, top, left + size, top + size))}
        for fit, img in fits.items():
            a = np.asarray(img, np.float32)
            imagenet = ((a / 255.0 - MEAN) / STD).transpose(2, 0, 1)
            caffe = (a[:, :, ::-1] - CAFFE_MEAN_BGR).transpose(2, 0, 1)
            np.save(os.path.join(out, f"preprocess.imagenet.{fit}.{size}.npy"), imagenet.astype(np.float32))
            np.save(os.path.join(out, f"preprocess.caffe.{fit}.{size}.npy"), caffe.astype(np.float32))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=os.path.join(ROOT, "Tests/Fixtures/cnn-import"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    write_preprocessing(args.out)
    g = torch.Generator().manual_seed(1234)
    torch.manual_seed(1234)
    for name, cls in MODELS.items():
        model = cls().eval()
        randomize_batch_norms(model, g)
        x = torch.randn((2,) + cls.input_shape, generator=g)
        with torch.no_grad():
            y = model(x)
        np.save(os.path.join(args.out, f"{name}.input.npy"), x.numpy().astype(np.float32))
        np.save(os.path.join(args.out, f"{name}.output.npy"), y.numpy().astype(np.float32))
        for opset in (11, 13, 17):
            for folded in (True, False):
                path = os.path.join(args.out, f"{name}.o{opset}.{'folded' if folded else 'unfolded'}.onnx")
                torch.onnx.export(model, x[:1], path, dynamo=False, opset_version=opset,
                                  do_constant_folding=folded, input_names=["input"], output_names=["output"],
                                  dynamic_axes={"input": {0: "N"}, "output": {0: "N"}})
                ops = [n.op_type for n in onnx.load(path).graph.node]
                print(f"{os.path.basename(path)}: {len(ops)} nodes: {' '.join(sorted(set(ops)))}")


if __name__ == "__main__":
    main()
