#!/usr/bin/env python3
"""zennit's relevance for an ImageNet architecture, to check `lrp-cnn explain --input-npy`
against zennit on models that are not in the repository.

  # 1. an input tensor (optional: any [N,3,224,224] or [3,224,224] float32 .npy will do)
  .venv/bin/python Scripts/zennit_reference.py make-input Samples/chelsea.jpg --out x.npy
  # 2. the model as ONNX, and zennit's relevance for a rule plan
  .venv/bin/python Scripts/zennit_reference.py explain --arch resnet18 --input x.npy \\
      --preset epsilon-plus-flat --cutoff 3 --onnx resnet18.onnx --out ref.npy
  # 3. our relevance for the same input, then compare maps
  lrp-cnn explain --model resnet18.onnx --input-npy x.npy --preset epsilon-plus-flat --cutoff 3 --out out/
  .venv/bin/python Scripts/zennit_reference.py compare ref.npy out/x.relevance.npy
  # (or in one go, once ours exists: explain ... --out ref.npy --compare out/x.relevance.npy)

Architectures (Scripts/imagenet_models.py): mobilenet_v2 (torchvision's ImageNet weights),
resnet18, vgg11_bn, densenet_tiny (random weights, --seed). Rule plans as docs/DESIGN.md §2 defines them,
set up in Scripts/lrp_zennit.py (the same code that made Tests/Fixtures/cnn). `layers` lists the
mapping layers in the order the cut-off counts them.

Conditioning: compare maps, and know how far float32 itself gets. zennit's float32 map differs
from its own float64 map (`explain --double`) by, relative to the map's maximum, on MobileNetV2:
epsilon preset 5.5e-3 (chelsea; with ε up to 0.01 no better: residual sums whose summands nearly
cancel are divided with zennit's fixed 1e-6 stabiliser and amplify rounding), composites and
alpha2beta1 1e-4 to 8e-4 (chelsea, coffee), random-pixel inputs 2e-6 to 3e-3. A float32
implementation can differ from zennit's float32 map by about twice that; compare against the
float64 map to separate rounding from real differences.
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from imagenet_models import ARCHITECTURES, load  # noqa: E402
from lrp_zennit import (PRESETS, FIRST_LAYER_RULES, MAX_POOL_RULES, RulePlan, relevance, trace,  # noqa: E402
                        is_mapping)

MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def floats(text):
    return [float(v) for v in text.split(",")]


def load_input(path):
    x = np.load(path).astype(np.float32)
    if x.ndim == 3:
        x = x[None]
    if x.ndim != 4 or x.shape[1] != 3:
        raise SystemExit(f"error: {path}: expected [N,3,H,W] or [3,H,W], got {list(x.shape)}")
    return torch.from_numpy(np.ascontiguousarray(x))


def cmd_make_input(args):
    """torchvision's ImageNet evaluation transform: resize shorter side to 256 (bilinear,
    antialiased), centre crop 224, scale to [0,1], normalise with mean/std; [1,3,224,224]."""
    from PIL import Image
    img = Image.open(args.image).convert("RGB")
    w, h = img.size
    s = args.resize / min(w, h)
    img = img.resize((max(args.crop, round(w * s)), max(args.crop, round(h * s))), Image.BILINEAR)
    w, h = img.size
    left, top = (w - args.crop) // 2, (h - args.crop) // 2
    img = img.crop((left, top, left + args.crop, top + args.crop))
    x = (np.asarray(img, dtype=np.float32) / 255.0 - MEAN) / STD
    np.save(args.out, x.transpose(2, 0, 1)[None].astype(np.float32))
    print(f"wrote {args.out} [1,3,{args.crop},{args.crop}]")


def export_onnx(model, x, path):
    import onnx
    import io
    buffer = io.BytesIO()
    torch.onnx.export(model, x[:1], buffer, dynamo=False, opset_version=13, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      do_constant_folding=True)
    proto = onnx.load_from_string(buffer.getvalue())
    onnx.checker.check_model(proto, full_check=True)
    onnx.save(proto, path)


def cmd_explain(args):
    model = load(args.arch, seed=args.seed)
    x = load_input(args.input)
    with torch.no_grad():
        logits = model(x).numpy()
    if args.target == "auto":
        targets = [int(i) for i in logits.argmax(1)]
    else:
        targets = [int(t) for t in args.target.split(",")]
        if len(targets) == 1:
            targets *= x.shape[0]
        if len(targets) != x.shape[0] or not all(0 <= t < logits.shape[1] for t in targets):
            raise SystemExit(f"error: --target needs {x.shape[0]} indices in 0..{logits.shape[1] - 1}")
    plan = RulePlan(args.preset, epsilon=args.epsilon, alpha=args.alpha, beta=args.beta, first_layer=args.first_layer,
                    zbox_low=floats(args.zbox_low) if args.zbox_low else list(-MEAN / STD),
                    zbox_high=floats(args.zbox_high) if args.zbox_high else list((1 - MEAN) / STD),
                    max_pool=args.max_pool, cutoff=args.cutoff)
    torch.set_num_threads(args.threads)
    if args.double:
        model, x = model.double(), x.double()
    rel, zlogits = relevance(model, x, targets, plan)
    np.save(args.out, rel.astype(np.float32))
    if args.logits:
        np.save(args.logits, logits)
    if args.onnx:
        export_onnx(model, x, args.onnx)
        print(f"wrote {args.onnx}")
    for i, t in enumerate(targets):
        top5 = [int(c) for c in np.argsort(-logits[i])[:5]]
        print(f"sample {i}: target {t} logit {logits[i, t]:.4f}, relevance sum {rel[i].sum():.4f}, top-5 {top5}")
    print(f"wrote {args.out} {list(rel.shape)} ({args.arch}, {args.preset}, first layer {args.first_layer}, "
          f"cut-off {args.cutoff})")
    if args.compare:
        return cmd_compare(argparse.Namespace(reference=args.out, ours=args.compare, tolerance=args.tolerance))
    return 0


def cmd_layers(args):
    model = load(args.arch, seed=args.seed)
    names = {id(m): n for n, m in model.named_modules()}
    order, pairs = trace(model, torch.zeros(1, 3, args.size, args.size))
    folded = {id(bn) for _, bn in pairs}
    k = 0
    for m in order:
        if is_mapping(m):
            k += 1
            print(f"{k:4d}  {names[id(m)]:40s} {type(m).__name__}")
        elif type(m).__name__.startswith("BatchNorm") and id(m) not in folded:
            print(f"      {names[id(m)]:40s} {type(m).__name__} (not folded: epsilon)")
    print(f"cut-off K accepts 0...{k}")


def cmd_compare(args):
    ref, ours = np.load(args.reference).astype(np.float64), np.load(args.ours).astype(np.float64)
    if ref.shape != ours.shape:
        if ref.squeeze().shape == ours.squeeze().shape:
            ref, ours = ref.squeeze(), ours.squeeze()
        else:
            raise SystemExit(f"error: shapes differ: {list(ref.shape)} vs {list(ours.shape)}")
    err = float(np.abs(ours - ref).max() / np.abs(ref).max())
    print(f"max|ours - ref| / max|ref| = {err:.3e}  (sum ours {ours.sum():.6g}, sum ref {ref.sum():.6g})")
    if args.tolerance is not None and err > args.tolerance:
        print(f"above tolerance {args.tolerance:g}")
        return 1
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("make-input", help="an image as a preprocessed [1,3,224,224] .npy")
    p.add_argument("image")
    p.add_argument("--out", required=True)
    p.add_argument("--resize", type=int, default=256)
    p.add_argument("--crop", type=int, default=224)
    p.set_defaults(func=cmd_make_input)

    p = sub.add_parser("explain", help="zennit relevance (and the model as ONNX)")
    p.add_argument("--arch", choices=ARCHITECTURES, default="mobilenet_v2")
    p.add_argument("--seed", type=int, default=0, help="weights of the random architectures")
    p.add_argument("--input", required=True, help=".npy [N,3,H,W] or [3,H,W], preprocessed")
    p.add_argument("--preset", choices=PRESETS, default="epsilon-plus-flat")
    p.add_argument("--epsilon", type=float, default=1e-6)
    p.add_argument("--alpha", type=float, default=2.0)
    p.add_argument("--beta", type=float, default=1.0)
    p.add_argument("--first-layer", choices=FIRST_LAYER_RULES)
    p.add_argument("--zbox-low", help="per-channel low bounds a,b,c (default: ImageNet normalisation of 0)")
    p.add_argument("--zbox-high", help="per-channel high bounds a,b,c (default: ImageNet normalisation of 1)")
    p.add_argument("--max-pool", choices=MAX_POOL_RULES, default="wta")
    p.add_argument("--cutoff", type=int, default=0)
    p.add_argument("--target", default="auto", help="auto (top class), an index, or one index per sample a,b,...")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--double", action="store_true",
                   help="compute in float64 (the exact map; compare with a float32 run to see the conditioning)")
    p.add_argument("--out", required=True, help="relevance .npy [N,3,H,W] float32")
    p.add_argument("--logits", help="also write the PyTorch logits .npy")
    p.add_argument("--onnx", help="also export the model (with these weights) to this ONNX file")
    p.add_argument("--compare", metavar="OURS.npy", help="then compare this relevance with zennit's")
    p.add_argument("--tolerance", type=float, help="with --compare: exit 1 above this")
    p.set_defaults(func=cmd_explain)

    p = sub.add_parser("layers", help="mapping layers in cut-off order")
    p.add_argument("--arch", choices=ARCHITECTURES, default="mobilenet_v2")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--size", type=int, default=224)
    p.set_defaults(func=cmd_layers)

    p = sub.add_parser("compare", help="max|ours - ref| / max|ref|")
    p.add_argument("reference")
    p.add_argument("ours")
    p.add_argument("--tolerance", type=float, help="exit 1 above this")
    p.set_defaults(func=cmd_compare)

    args = parser.parse_args(argv)
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
