#!/usr/bin/env python3
"""Outside acceptance check of `lrp-cnn` against zennit and PyTorch on ImageNet CNNs that are not
in the repository.

    swift build -c release
    .venv/bin/python Scripts/check_cnn_against_zennit.py [--lrp-cnn .build/release/lrp-cnn]
        [--arch mobilenet_v2 --arch resnet18 ...] [--variants op11,op13,op17,op13-nofold]
        [--workdir DIR] [--quick] [--no-double] [--threads 2]

For each architecture (Scripts/acceptance_models.py: MobileNetV2 with its ImageNet weights; ResNet-18,
VGG-11-BN, DenseNet-121, AlexNet with LRN and ceil-mode pooling, GoogLeNet with random He-normal
weights and batch-norm statistics measured on the Samples/ photographs — no other pretrained
weights are available here) the script
1. exports the model to ONNX with `torch.onnx.export(dynamo=False)` at opsets 11, 13, 17 (constant
   folding on, dynamic batch) and once at opset 13 without constant folding (BatchNormalization
   nodes and Shape/Gather/Unsqueeze/Concat → Reshape sub-graphs stay in the file);
2. runs zennit (Scripts/lrp_zennit.py, docs/DESIGN.md §2) in float32 and float64 on two Samples/
   photographs preprocessed like torchvision (Resize(256), CenterCrop(224)) for the presets
   epsilon, alpha2beta1, epsilon-plus-flat, epsilon-alpha2beta1-flat at cut-off 0, a middle K and
   the last K, plus first-layer variants, --epsilon 0.25 and proportional max pooling;
3. runs `lrp-cnn explain --model X.onnx --input-npy IN.npy` for the same cases on every export and
   compares maps (`.relevance.npy`, C×H×W): max|ours − zennit| / max|zennit| per sample, worst
   sample; pass at 1e-3 against zennit float64 (the exact map), zennit float32 shown beside it
   together with zennit's own float32-vs-float64 error (the conditioning of the case); a case
   above 1e-3 is "LIMIT" (at the float32 limit), not "FAIL", when its error is within 4× of what
   rounding alone does: zennit's own float32 error, the float64 map's change under 2^-24
   perturbations of weights and input, and zennit float32's error on 3 such perturbed copies;
4. checks `lrp-cnn predict` top-5 against PyTorch: on the exact input tensors, and on the
   photographs (plus a 257×256 crop whose centre crop offset is a .5 case) with `--crop center` vs
   torchvision Resize(256)+CenterCrop(224) and the default mode vs Resize((224, 224));
5. checks `lrp-cnn layers` (K range = number of conv/linear layers in PyTorch).

Prints the tables and exits 1 if anything fails. A manual acceptance tool (slow: about
15–30 minutes for everything on 2 cores; `--quick` runs MobileNetV2 and ResNet-18 on opset 13
only), not part of `swift test`.
"""
import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from acceptance_models import ARCHITECTURES, PREPROCESS, build  # noqa: E402
from lrp_zennit import RulePlan, relevance, trace, is_mapping  # noqa: E402

TOLERANCE = 1e-3
MEAN = {"imagenet": np.array([0.485, 0.456, 0.406]) * 255, "caffe": np.array([103.939, 116.779, 123.68])}
STD = {"imagenet": np.array([0.229, 0.224, 0.225]) * 255, "caffe": np.array([1.0, 1.0, 1.0])}
DEFAULT_ARCHS = ("alexnet_lrn", "googlenet", "resnet18", "mobilenet_v2", "densenet121", "vgg11_bn_tv")
VARIANTS = {"op11": (11, True), "op13": (13, True), "op17": (17, True), "op13-nofold": (13, False),
            "op11-nofold": (11, False)}
EXPLAIN_PHOTOS = ("chelsea.jpg", "coffee.jpg")


# ---------------------------------------------------------------- preprocessing (torchvision's)

def tv_resize_shorter(img, size):
    """torchvision Resize(size) on a PIL image: shorter side to size, longer int(size*long/short)."""
    w, h = img.size
    short, long = min(w, h), max(w, h)
    new_short, new_long = size, int(size * long / short)
    new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    return img.resize((new_w, new_h), Image.BILINEAR)


def tv_center_crop(img, size):
    """torchvision CenterCrop: offsets int(round((in - out) / 2)) with Python's round (half to even)."""
    w, h = img.size
    top, left = int(round((h - size) / 2.0)), int(round((w - size) / 2.0))
    return img.crop((left, top, left + size, top + size))


def to_tensor(img, preprocess):
    a = np.asarray(img.convert("RGB"), dtype=np.float64)
    if preprocess == "caffe":
        a = a[:, :, ::-1]
    x = (a - MEAN[preprocess]) / STD[preprocess]
    return x.transpose(2, 0, 1).astype(np.float32)


def photo_input(path, preprocess, mode):
    img = Image.open(path).convert("RGB")
    if mode == "center":
        img = tv_center_crop(tv_resize_shorter(img, 256), 224)
    else:
        img = img.resize((224, 224), Image.BILINEAR)
    return to_tensor(img, preprocess)


def calibration_batches(preprocess, seed=0, batches=4, size=8):
    """Random resized crops and flips of the Samples/ photographs (natural image statistics)."""
    rng = np.random.default_rng(seed)
    photos = [Image.open(p).convert("RGB") for p in sorted(glob.glob(os.path.join(ROOT, "Samples", "*.jpg")))]
    out = []
    for _ in range(batches):
        xs = []
        for _ in range(size):
            img = photos[rng.integers(len(photos))]
            w, h = img.size
            s = rng.uniform(0.3, 1.0) * min(w, h)
            left, top = rng.uniform(0, w - s), rng.uniform(0, h - s)
            crop = img.crop((int(left), int(top), int(left + s), int(top + s))).resize((224, 224), Image.BILINEAR)
            if rng.random() < 0.5:
                crop = crop.transpose(Image.FLIP_LEFT_RIGHT)
            xs.append(to_tensor(crop, preprocess))
        out.append(torch.from_numpy(np.stack(xs)))
    return out


# ---------------------------------------------------------------- export and our CLI

def export(model, path, opset, fold):
    import onnx
    x = torch.zeros(1, 3, 224, 224)
    torch.onnx.export(model, x, path, dynamo=False, opset_version=opset, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      do_constant_folding=fold)
    proto = onnx.load(path)
    onnx.checker.check_model(proto)
    ops = {}
    for n in proto.graph.node:
        ops[n.op_type] = ops.get(n.op_type, 0) + 1
    return ops


def run(cmd, timeout=900):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def first_error(stderr):
    lines = [l for l in stderr.splitlines() if l.strip()]
    return lines[-1] if lines else "(no message)"


def parse_predict(stdout):
    """`lrp-cnn predict` output → list of [(class index, logit)] per input, in order."""
    rows, cur = [], None
    for line in stdout.splitlines():
        m = re.match(r"\s+\d+\. .*\((\d+)\)\s+logit (-?[\d.]+|nan|-?inf)", line)
        if m:
            cur.append((int(m.group(1)), float(m.group(2))))
        elif line.strip():
            cur = []
            rows.append(cur)
    return rows


# ---------------------------------------------------------------- cases

class Case:
    def __init__(self, preset, cutoff, first_layer=None, epsilon=None, max_pool="wta"):
        self.preset, self.cutoff, self.first_layer = preset, cutoff, first_layer
        self.epsilon, self.max_pool = epsilon, max_pool

    @property
    def name(self):
        s = self.preset
        if self.first_layer:
            s += f" first={self.first_layer}"
        if self.epsilon is not None:
            s += f" eps={self.epsilon:g}"
        if self.max_pool != "wta":
            s += " maxpool=prop"
        return s

    def cli_args(self):
        a = ["--preset", self.preset, "--cutoff", str(self.cutoff)]
        if self.first_layer:
            a += ["--first-layer", self.first_layer]
        if self.epsilon is not None:
            a += ["--epsilon", repr(self.epsilon)]
        if self.max_pool != "wta":
            a += ["--maxpool", "proportional"]
        return a

    def plan(self, preprocess):
        low = list(-MEAN[preprocess] / STD[preprocess])
        high = list((255 - MEAN[preprocess]) / STD[preprocess])
        # MEAN/STD are in the tensor's channel order already (Caffe: B, G, R), as lrp-cnn's bounds are.
        return RulePlan(self.preset, epsilon=1e-6 if self.epsilon is None else self.epsilon,
                        first_layer=self.first_layer, zbox_low=low, zbox_high=high, max_pool=self.max_pool,
                        cutoff=self.cutoff)


def cases_for(n_mapping, has_maxpool, quick):
    mid = n_mapping // 2
    out = []
    for k in (0, mid, n_mapping):
        for p in ("epsilon", "alpha2beta1", "epsilon-plus-flat", "epsilon-alpha2beta1-flat"):
            out.append(Case(p, k))
    out += [Case("epsilon", 0, first_layer="flat"), Case("alpha2beta1", 0, first_layer="wsquare"),
            Case("epsilon-plus-flat", 0, first_layer="zbox")]
    if not quick:
        out.append(Case("epsilon", 0, epsilon=0.25))
        if has_maxpool:
            out.append(Case("alpha2beta1", 0, max_pool="proportional"))
    return out


def perturbed(model, x, seed=1, dtype=torch.float64):
    """Copies of the model and input in `dtype` with every parameter, buffer and input value scaled
    by (1 + u·2^-24), u uniform in [-1, 1]: perturbations at float32's rounding level."""
    import copy
    m = copy.deepcopy(model).to(dtype)
    g = torch.Generator().manual_seed(seed)

    def jitter(t):
        u = torch.rand(t.shape, generator=g, dtype=torch.float64) * 2 - 1
        return (t.double() * (1 + u * 2.0 ** -24)).to(dtype)
    with torch.no_grad():
        for t in list(m.parameters()) + [b for b in m.buffers() if b.is_floating_point()]:
            t.copy_(jitter(t))
    return m, jitter(x)


def float32_spread(model, xt, targets, plan, ref64, trials=3):
    """How far float32 LRP may land from the exact map for rounding reasons alone: the worst of
    (a) the exact (float64) map's change under 2^-24 perturbations of weights and input and
    (b) zennit's own float32 maps of `trials` such perturbed copies, against the exact map."""
    pm, px = perturbed(model, xt)
    spread = rel_err(relevance(pm, px, targets, plan)[0], ref64)
    for t in range(trials):
        pm, px = perturbed(model, xt, seed=2 + t, dtype=torch.float32)
        spread = max(spread, rel_err(relevance(pm, px, targets, plan)[0], ref64))
    return spread


def rel_err(ours, ref):
    """Worst sample of max|ours - ref| / max|ref| (maps C×H×W)."""
    return max(float(np.abs(o.astype(np.float64) - r).max() / max(np.abs(r).max(), 1e-30))
               for o, r in zip(ours, ref))


# ---------------------------------------------------------------- main

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0], epilog=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lrp-cnn", help="the executable (default: newest .build*/release/lrp-cnn)")
    ap.add_argument("--arch", action="append", choices=ARCHITECTURES)
    ap.add_argument("--variants", default="op11,op13,op17,op13-nofold",
                    help=f"exports to check ({', '.join(VARIANTS)}); the first gets the full case table")
    ap.add_argument("--workdir", help="keep exports and outputs here (default: a temporary folder, removed)")
    ap.add_argument("--quick", action="store_true", help="MobileNetV2 and ResNet-18, opset 13, fewer cases")
    ap.add_argument("--no-double", action="store_true", help="skip zennit float64 (then pass/fail uses float32)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    exe = args.lrp_cnn or max(glob.glob(os.path.join(ROOT, ".build*", "release", "lrp-cnn")), key=os.path.getmtime,
                              default=None)
    if not exe or not os.access(exe, os.X_OK):
        raise SystemExit("error: lrp-cnn not found; build it (swift build -c release) or pass --lrp-cnn")
    archs = args.arch or (("mobilenet_v2", "resnet18") if args.quick else DEFAULT_ARCHS)
    variants = ["op13"] if args.quick else args.variants.split(",")
    for v in variants:
        if v not in VARIANTS:
            raise SystemExit(f"error: unknown variant {v} ({', '.join(VARIANTS)})")
    torch.set_num_threads(args.threads)
    work = args.workdir or tempfile.mkdtemp(prefix="lrp-accept-")
    os.makedirs(work, exist_ok=True)
    print(f"lrp-cnn: {exe}\nwork dir: {work}\n")

    relevance_rows, variant_rows, predict_rows, layer_rows = [], [], [], []
    failures = limited = 0
    photos = sorted(glob.glob(os.path.join(ROOT, "Samples", "*.jpg")))
    # A picture whose centre-crop offset is (257 - 224) / 2 = 16.5 after Resize(256): torchvision
    # rounds it half to even (16).
    odd = os.path.join(work, "odd-257x256.png")
    Image.open(os.path.join(ROOT, "Samples", "coffee.jpg")).convert("RGB").crop((40, 60, 297, 316)).save(odd)
    photos.append(odd)
    try:
        for arch in archs:
            try:
                failures, limited = check_architecture(arch, args, exe, work, photos, relevance_rows, variant_rows,
                                                       predict_rows, layer_rows, failures, limited, variants)
            except Exception as e:  # one broken architecture must not hide the others' results
                failures += 1
                layer_rows.append((arch, "-", 0, f"{type(e).__name__}: {e}", False))
                print(f"[{arch}] aborted: {type(e).__name__}: {e}")
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    print_tables(relevance_rows, variant_rows, predict_rows, layer_rows, variants, failures, limited)
    return 1 if failures else 0


def limit_status(status, e64, self32, key, spread, cache):
    """A failed comparison becomes "float32 limit" when its error is within 4× of what rounding
    alone does to float32 LRP on this case (zennit's own float32 error, `float32_spread`); the
    spread is computed once per case (`key`) and kept in `cache`."""
    if status is not False or not (e64 == e64):
        return status
    if key not in cache:
        cache[key] = spread()
    sens = cache[key]
    if e64 <= 4 * max(sens, self32):
        return f"float32 limit: rounding-level perturbations move float32 LRP by up to {sens:.1e}"
    return status


def check_architecture(arch, args, exe, work, photos, relevance_rows, variant_rows, predict_rows, layer_rows,
                       failures, limited, variants):
    """Exports, explains, predicts and lists one architecture; appends to the row lists."""
    t0 = time.time()
    pre = PREPROCESS[arch]
    model = build(arch, seed=args.seed, calibration=calibration_batches(pre, args.seed))
    adir = os.path.join(work, arch)
    os.makedirs(adir, exist_ok=True)
    x = np.stack([photo_input(os.path.join(ROOT, "Samples", p), pre, "center") for p in EXPLAIN_PHOTOS])
    xin = os.path.join(adir, "in.npy")
    np.save(xin, x)
    xt = torch.from_numpy(x)
    with torch.no_grad():
        logits = model(xt).numpy()
    targets = [int(i) for i in logits.argmax(1)]
    order, _ = trace(model, xt[:1])
    n_mapping = sum(1 for m in order if is_mapping(m))
    has_maxpool = any(isinstance(m, torch.nn.MaxPool2d) for m in order)
    cases = cases_for(n_mapping, has_maxpool, args.quick)
    sensitivity = {}

    exports = {}
    for v in variants:
        opset, fold = VARIANTS[v]
        path = os.path.join(adir, f"{arch}.{v}.onnx")
        ops = export(model, path, opset, fold)
        exports[v] = path
        shape_ops = sum(ops.get(o, 0) for o in ("Shape", "Gather", "Unsqueeze", "Concat", "Reshape"))
        print(f"[{arch}] exported {v}: {sum(ops.values())} nodes, BatchNormalization "
              f"{ops.get('BatchNormalization', 0)}, Shape/Gather/Unsqueeze/Concat/Reshape {shape_ops}, "
              f"LRN {ops.get('LRN', 0)}, MaxPool {ops.get('MaxPool', 0)}", flush=True)

    # layers: K range equals PyTorch's number of conv/linear layers
    for v, path in exports.items():
        rc, out, err = run([exe, "layers", "--model", path])
        m = re.search(r"--cutoff accepts 0\.\.\.(\d+)", out)
        ok = rc == 0 and m is not None and int(m.group(1)) == n_mapping
        with open(os.path.join(adir, f"layers.{v}.txt"), "w") as f:
            f.write(out + err)
        layer_rows.append((arch, v, n_mapping, m.group(1) if m else first_error(err), ok))
        failures += not ok

    # predict on the exact tensors and on photographs
    for v, path in exports.items():
        rc, out, err = run([exe, "predict", "--model", path, "--input-npy", xin, "--preprocess", pre])
        got = parse_predict(out) if rc == 0 else []
        want = [list(np.argsort(-row)[:5]) for row in logits]
        agree = len(got) == len(want) and all([c for c, _ in g] == w for g, w in zip(got, want))
        dlogit = max((float(abs(l - logits[i][c])) for i, g in enumerate(got) for c, l in g),
                     default=float("nan"))
        predict_rows.append((arch, v, "input-npy", f"{sum(1 for g, w in zip(got, want) if [c for c, _ in g] == w)}"
                             f"/{len(want)}", dlogit, agree if rc == 0 else first_error(err)))
        failures += not agree
    path = exports[variants[0]]
    for mode, flag in (("center", ["--crop", "center"]), ("resize", [])):
        rc, out, err = run([exe, "predict", "--model", path, "--preprocess", pre] + flag + photos)
        got = parse_predict(out) if rc == 0 else []
        xs = torch.from_numpy(np.stack([photo_input(p, pre, mode) for p in photos]))
        with torch.no_grad():
            ref = model(xs).numpy()
        want = [list(np.argsort(-row)[:5]) for row in ref]
        same = sum(1 for g, w in zip(got, want) if [c for c, _ in g] == w)
        dlogit = max((float(abs(l - ref[i][c])) for i, g in enumerate(got) for c, l in g),
                     default=float("nan"))
        ok = rc == 0 and same == len(want)
        predict_rows.append((arch, variants[0], f"photos --crop {'center' if mode == 'center' else 'none'}",
                             f"{same}/{len(want)}", dlogit, ok if rc == 0 else first_error(err)))
        failures += not ok

    # relevance
    sweep_refs, sweep_plans = {}, {}
    for case in cases:
        plan = case.plan(pre)
        ref32, _ = relevance(model, xt, targets, plan)
        if args.no_double:
            ref64 = None
        else:
            ref64, _ = relevance(model.double(), xt.double(), targets, case.plan(pre))
            model.float()
            ref64 = ref64.astype(np.float64)
        if case.preset == "epsilon-plus-flat" and case.first_layer is None:
            sweep_refs[case.cutoff] = (ref32, ref64)
            sweep_plans[case.cutoff] = plan
        for vi, v in enumerate(variants):
            if vi > 0 and case.cutoff not in (0, n_mapping // 2):
                continue
            odir = os.path.join(adir, "out", v, re.sub(r"[^A-Za-z0-9=.-]+", "_", case.name) + f".k{case.cutoff}")
            shutil.rmtree(odir, ignore_errors=True)
            rc, out, err = run([exe, "explain", "--model", exports[v], "--input-npy", xin, "--preprocess", pre,
                                "--out", odir] + case.cli_args())
            if rc != 0:
                e32 = e64 = float("nan")
                status = first_error(err)
            else:
                ours, tgt = [], []
                for i in range(len(x)):
                    ours.append(np.load(os.path.join(odir, f"in-{i}.relevance.npy")))
                    with open(os.path.join(odir, f"in-{i}.json")) as f:
                        tgt.append(json.load(f)["target"]["index"])
                if tgt != targets:
                    status = f"target {tgt} != PyTorch's {targets}"
                    e32 = e64 = float("nan")
                else:
                    e32 = rel_err(ours, ref32)
                    e64 = rel_err(ours, ref64) if ref64 is not None else float("nan")
                    status = (e64 if ref64 is not None else e32) <= TOLERANCE
            self32 = rel_err(ref32, ref64) if ref64 is not None else float("nan")
            status = limit_status(status, e64, self32, f"{case.name}@{case.cutoff}", lambda: float32_spread(
                model, xt, targets, case.plan(pre), ref64), sensitivity)
            limited += str(status).startswith("float32 limit")
            row = (arch, v, case.name, case.cutoff, e64, e32, self32, status)
            (relevance_rows if vi == 0 else variant_rows).append(row)
            failures += status is not True and not str(status).startswith("float32 limit")
    # --cutoff all: one run, every K; its maps must equal the single-K runs' references.
    odir = os.path.join(adir, "out", variants[0], "sweep")
    shutil.rmtree(odir, ignore_errors=True)
    rc, out, err = run([exe, "explain", "--model", exports[variants[0]], "--input-npy", xin, "--preprocess", pre,
                        "--out", odir, "--preset", "epsilon-plus-flat", "--cutoff", "all"])
    for k, (ref32, ref64) in sorted(sweep_refs.items()):
        if rc != 0:
            e64 = e32 = float("nan")
            status = first_error(err)
        else:
            ours = [np.load(os.path.join(odir, f"in-{i}.cutoff-{k}.relevance.npy")) for i in range(len(x))]
            e32 = rel_err(ours, ref32)
            e64 = rel_err(ours, ref64) if ref64 is not None else float("nan")
            status = (e64 if ref64 is not None else e32) <= TOLERANCE
        self32 = rel_err(ref32, ref64) if ref64 is not None else float("nan")
        # The same case as the single-K run of epsilon-plus-flat at this K (same spread).
        status = limit_status(status, e64, self32, f"epsilon-plus-flat@{k}", lambda: float32_spread(
            model, xt, targets, sweep_plans[k], ref64), sensitivity)
        limited += str(status).startswith("float32 limit")
        relevance_rows.append((arch, variants[0], "epsilon-plus-flat (--cutoff all)", k, e64, e32, self32, status))
        failures += status is not True and not str(status).startswith("float32 limit")
    print(f"[{arch}] {len(cases)} cases, {n_mapping} mapping layers, {time.time() - t0:.0f} s", flush=True)
    return failures, limited


def print_tables(relevance_rows, variant_rows, predict_rows, layer_rows, variants, failures, limited):
    def fmt(v):
        return f"{v:.1e}" if isinstance(v, float) and v == v else "-"

    def verdict(s):
        if isinstance(s, str) and s.startswith("float32 limit"):
            return f"LIMIT ({s})"
        return "pass" if s is True else ("FAIL" if s is False else f"FAIL ({s})")

    print(f"\n## Relevance maps vs zennit ({variants[0]} exports): max|ours - zennit| / max|zennit|, worst of "
          f"{len(EXPLAIN_PHOTOS)} photos; pass at {TOLERANCE:g} vs float64")
    print(f"{'model':14} {'plan':38} {'K':>4} {'vs f64':>8} {'vs f32':>8} {'z32-z64':>8}  result")
    for a, v, name, k, e64, e32, s32, st in relevance_rows:
        print(f"{a:14} {name:38} {k:>4} {fmt(e64):>8} {fmt(e32):>8} {fmt(s32):>8}  {verdict(st)}")
    if variant_rows:
        print("\n## Other exports (cut-off 0 and middle K cases): worst over cases")
        worst = {}
        for a, v, name, k, e64, e32, s32, st in variant_rows:
            w = worst.setdefault((a, v), [0.0, 0, 0, []])
            w[0] = max(w[0], e64 if e64 == e64 else float("inf"))
            w[1] += 1
            w[2] += st is True
            if st is not True:
                w[3].append(f"{name} K={k}: {verdict(st)}")
        print(f"{'model':14} {'export':12} {'cases':>6} {'passed':>6} {'worst vs f64':>12}")
        for (a, v), (e, n, p, bad) in worst.items():
            print(f"{a:14} {v:12} {n:>6} {p:>6} {fmt(e):>12}" + ("  " + "; ".join(bad[:3]) if bad else ""))
    print("\n## predict top-5 vs PyTorch (order must match)")
    print(f"{'model':14} {'export':12} {'inputs':22} {'agree':>6} {'max|dlogit|':>11}  result")
    for a, v, mode, agree, d, st in predict_rows:
        print(f"{a:14} {v:12} {mode:22} {agree:>6} {fmt(d):>11}  {verdict(st)}")
    print("\n## layers: --cutoff range vs PyTorch's conv/linear count")
    for a, v, n, got, ok in layer_rows:
        print(f"{a:14} {v:12} PyTorch {n:>4}  lrp-cnn {got:>4}  {verdict(ok)}")
    print(f"\n{failures} failure(s); {limited} relevance comparison(s) above {TOLERANCE:g} that are at the float32 "
          f"limit (error ≤ 4x the largest of zennit's own float32 error, the exact map's change and zennit float32's error under 2^-24 "
          f"perturbations of weights and input)")


if __name__ == "__main__":
    sys.exit(main())
