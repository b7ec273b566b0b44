#!/usr/bin/env python3
"""Writes Tests/Fixtures/cnn/: small ONNX CNNs with random weights, their inputs and logits, and
zennit's relevance for every rule plan of docs/DESIGN.md §2 at cut-offs 0, 1 and a middle K.

    .venv/bin/python Scripts/make_cnn_fixtures.py [--out Tests/Fixtures/cnn] [--no-checks] [--rule-maps-only]

Deterministic (fixed seeds). How zennit is set up to match docs/DESIGN.md §2: Scripts/lrp_zennit.py.
Self-checks run after writing (see Tests/Fixtures/cnn/README.md): ONNX vs PyTorch logits,
folded/unfolded batch norms and mapping-layer order in the ONNX file, float32 vs float64
relevance, conservation with zero biases, and an independent numpy implementation
(Scripts/lrp_numpy.py) against zennit for every case.
"""
import argparse
import io
import json
import os
import sys

import numpy as np
import onnx
import torch
from onnx.reference import ReferenceEvaluator
from onnx.reference.op_run import OpRun

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lrp_zennit import RulePlan, relevance, execution_order, foldable_batch_norms, is_mapping  # noqa: E402
from cnn_fixture_models import MODELS, randomize_parameters  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OPSET = 13
BATCH = 2
# ImageNet normalisation: inputs are (u - mean) / std with u in [0, 1], so the z-box bounds are
# low = -mean/std and high = (1 - mean)/std per channel.
MEAN = np.array([0.485, 0.456, 0.406])
STD = np.array([0.229, 0.224, 0.225])
ZBOX_LOW = (-MEAN / STD).astype(np.float32)
ZBOX_HIGH = ((1 - MEAN) / STD).astype(np.float32)
SEEDS = {"plain": 11, "mobile": 12, "branchy": 13}
MIDDLE_CUTOFFS = {"plain": [3], "mobile": [4], "branchy": [3, 5]}

# (preset, firstLayer, epsilon, maxPool, file tag)
RULE_PLANS = [
    ("epsilon", None, 1e-6, "wta", "epsilon"),
    ("alpha2beta1", None, 1e-6, "wta", "alpha2beta1"),
    ("epsilon-plus-flat", None, 1e-6, "wta", "epsilon-plus-flat"),
    ("epsilon-alpha2beta1-flat", None, 1e-6, "wta", "epsilon-alpha2beta1-flat"),
    ("epsilon", "flat", 1e-6, "wta", "epsilon.first-flat"),
    ("alpha2beta1", "wsquare", 1e-6, "wta", "alpha2beta1.first-wsquare"),
    ("epsilon-plus-flat", "zbox", 1e-6, "wta", "epsilon-plus-flat.first-zbox"),
    ("epsilon", None, 0.0, "wta", "z"),                 # LRP-0: epsilon preset with epsilon 0
    ("epsilon", None, 0.25, "wta", "epsilon0.25"),
]
EXTRA_PLANS = {  # max pooling explained proportionally (as sum pooling), only where a max pool exists
    "plain": [("epsilon", None, 1e-6, "proportional", "epsilon.maxpool-proportional"),
              ("alpha2beta1", None, 1e-6, "proportional", "alpha2beta1.maxpool-proportional")],
    "branchy": [("epsilon", None, 1e-6, "proportional", "epsilon.maxpool-proportional")],
}


def build(name):
    torch.manual_seed(SEEDS[name])
    model = MODELS[name]()
    randomize_parameters(model, torch.Generator().manual_seed(SEEDS[name] + 100))
    model.eval()
    g = torch.Generator().manual_seed(SEEDS[name] + 200)
    c, h, w = model.input_shape
    u = torch.rand(BATCH, c, h, w, generator=g, dtype=torch.float64)
    x = ((u - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)).float()
    return model, x


def export_onnx(model, x):
    buffer = io.BytesIO()
    torch.onnx.export(model, x, buffer, dynamo=False, opset_version=OPSET, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      do_constant_folding=True)
    proto = onnx.load_from_string(buffer.getvalue())
    onnx.checker.check_model(proto, full_check=True)
    return proto


class BatchNormalization(OpRun):
    """Inference-mode batch normalisation for onnx's reference evaluator, whose own opset 9-13
    implementation treats the `momentum` attribute (which PyTorch's exporter writes on inference
    nodes) as training mode and normalises with batch statistics."""
    op_domain = ""

    def _run(self, x, scale, bias, mean, var, epsilon=1e-5, momentum=None, training_mode=None):
        shape = (-1,) + (1,) * (x.ndim - 2)
        y = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + epsilon) * scale.reshape(shape)
        return ((y + bias.reshape(shape)).astype(x.dtype),)


def run_reference(proto, x):
    return ReferenceEvaluator(proto, new_ops=[BatchNormalization]).run(None, {"input": x})[0]


def check_onnx(name, proto, model, x, logits):
    """The ONNX file computes the same logits, folds exactly the batch norms zennit folds, and lists
    the mapping layers in the same order as the forward pass."""
    onnx_logits = run_reference(proto, x.numpy())
    diff = float(np.abs(onnx_logits - logits).max())
    assert diff <= 1e-5 * max(1.0, float(np.abs(logits).max())), (name, diff)
    order = execution_order(model, x)
    bn_total = sum(isinstance(m, torch.nn.BatchNorm2d) for m in order)
    bn_unfolded = bn_total - len(foldable_batch_norms(model, x))
    ops = [n.op_type for n in proto.graph.node]
    assert ops.count("BatchNormalization") == bn_unfolded, (name, ops)
    names = {id(m): n for n, m in model.named_modules()}
    torch_mapping = [names[id(m)] for m in order if is_mapping(m)]
    onnx_mapping = [n.name for n in proto.graph.node if n.op_type in ("Conv", "Gemm", "MatMul")]
    assert len(torch_mapping) == len(onnx_mapping), (torch_mapping, onnx_mapping)
    for t, o in zip(torch_mapping, onnx_mapping):
        assert o.startswith(f"/{t.replace('.', '/')}/"), (t, o)
    return diff, onnx_mapping, sorted(set(ops))


# Hand-written rule maps (Sources/CNNRelevance/Rules/RuleMapFile.md), committed next to the
# fixtures; their cases go to rulemaps.json so manifest.json and its cases stay as they are.
RULE_MAP_CASES = {"branchy": [0, 1, 3], "mobile": [0, 4]}


def onnx_node_names(model, proto):
    """id(module) -> the ONNX node the exporter wrote for it ("/branch_b2/Conv")."""
    names = {}
    for name, module in model.named_modules():
        if not name:
            continue
        prefix = f"/{name.replace('.', '/')}/"
        hits = [n.name for n in proto.graph.node if n.name.startswith(prefix) and n.op_type != "Constant"]
        if len(hits) == 1:
            names[id(module)] = hits[0]
    return names


def write_rule_map_cases(out):
    """zennit's relevance for the hand-written rule maps on the models already in `out` (the
    stored logits must match the rebuilt models). Writes only <model>.rulemap.k<K>.npy and
    rulemaps.json."""
    manifest = {"cases": []}
    report = []
    for name, cutoffs in RULE_MAP_CASES.items():
        model, x = build(name)
        with torch.no_grad():
            logits = model(x).numpy()
        stored = np.load(os.path.join(out, f"{name}.logits.npy"))
        # same weights and input; the logits may differ in the last bits (BLAS summation order)
        assert np.abs(stored - logits).max() <= 1e-5 * max(1.0, float(np.abs(stored).max())), \
            f"{name}: rebuilt model differs from the stored fixture"
        assert np.array_equal(np.load(os.path.join(out, f"{name}.input.npy")), x.numpy()), name
        proto = onnx.load(os.path.join(out, f"{name}.onnx"))
        with open(os.path.join(out, f"{name}.rulemap.json")) as f:
            rule_map = json.load(f)
        targets = [int(np.argsort(-logits[0])[0]), int(np.argsort(-logits[1])[1])]
        x64, model64 = x.double(), build(name)[0].double()
        names, names64 = onnx_node_names(model, proto), onnx_node_names(model64, proto)
        worst = 0.0
        for cutoff in cutoffs:
            def plan(node_names):
                return RulePlan("epsilon-plus-flat", zbox_low=ZBOX_LOW, zbox_high=ZBOX_HIGH, cutoff=cutoff,
                                rule_map=rule_map, node_names=node_names)
            rel, _ = relevance(model, x, targets, plan(names))
            assert np.all(np.isfinite(rel)), (name, cutoff)
            rel64, _ = relevance(model64, x64, targets, plan(names64))
            worst = max(worst, float(np.abs(rel - rel64).max()) / float(np.abs(rel64).max()))
            fname = f"{name}.rulemap.k{cutoff}.npy"
            np.save(os.path.join(out, fname), rel.astype(np.float32))
            manifest["cases"].append({
                "model": name, "rules": f"{name}.rulemap.json", "epsilon": 1e-6, "alpha": 2.0, "beta": 1.0,
                "zBoxLow": [float(v) for v in ZBOX_LOW], "zBoxHigh": [float(v) for v in ZBOX_HIGH],
                "cutoff": cutoff, "targets": targets, "relevance": fname})
        report.append(f"{name} rule map: float32 vs float64 zennit relevance, worst max|diff|/max|ref| {worst:.2e}")
    with open(os.path.join(out, "rulemaps.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    print("\n".join(report))
    print(f"wrote {len(manifest['cases'])} rule map cases to {out}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(ROOT, "Tests", "Fixtures", "cnn"))
    parser.add_argument("--no-checks", action="store_true", help="skip the numpy cross-check")
    parser.add_argument("--rule-maps-only", action="store_true",
                        help="only the rule map cases (rulemaps.json), on the models already in --out")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)
    if args.rule_maps_only:
        write_rule_map_cases(args.out)
        return

    manifest = {"models": [], "cases": []}
    report = []
    for name in MODELS:
        model, x = build(name)
        with torch.no_grad():
            logits = model(x).numpy()
        proto = export_onnx(model, x)
        onnx_diff, onnx_mapping, onnx_ops = check_onnx(name, proto, model, x, logits)
        onnx.save(proto, os.path.join(args.out, f"{name}.onnx"))
        np.save(os.path.join(args.out, f"{name}.input.npy"), x.numpy())
        np.save(os.path.join(args.out, f"{name}.logits.npy"), logits)
        manifest["models"].append({"name": name, "onnx": f"{name}.onnx", "input": f"{name}.input.npy",
                                   "logits": f"{name}.logits.npy", "covers": MODELS[name].covers})
        # Targets: sample 0 its top class, sample 1 its second-ranked class.
        targets = [int(np.argsort(-logits[0])[0]), int(np.argsort(-logits[1])[1])]
        report.append(f"{name}: ONNX vs torch logits max|diff| {onnx_diff:.2e}; ops {onnx_ops}; "
                      f"mapping layers {onnx_mapping}; targets {targets}")
        x64, model64 = x.double(), build(name)[0].double()
        worst = 0.0
        for cutoff in [0, 1] + MIDDLE_CUTOFFS[name]:
            for preset, first, eps, max_pool, tag in RULE_PLANS + EXTRA_PLANS.get(name, []):
                plan = RulePlan(preset, epsilon=eps, first_layer=first, zbox_low=ZBOX_LOW, zbox_high=ZBOX_HIGH,
                                max_pool=max_pool, cutoff=cutoff)
                rel, _ = relevance(model, x, targets, plan)
                assert np.all(np.isfinite(rel)), (name, tag, cutoff)
                rel64, _ = relevance(model64, x64, targets, plan)
                scale = float(np.abs(rel64).max())
                worst = max(worst, float(np.abs(rel - rel64).max()) / scale)
                fname = f"{name}.{tag}.k{cutoff}.npy"
                np.save(os.path.join(args.out, fname), rel.astype(np.float32))
                manifest["cases"].append({
                    "model": name, "preset": preset, "epsilon": eps, "alpha": 2.0, "beta": 1.0,
                    "firstLayer": first,
                    "zBoxLow": [float(v) for v in ZBOX_LOW] if first == "zbox" else [],
                    "zBoxHigh": [float(v) for v in ZBOX_HIGH] if first == "zbox" else [],
                    "maxPool": max_pool, "cutoff": cutoff, "targets": targets, "relevance": fname})
        report.append(f"{name}: float32 vs float64 zennit relevance, worst max|diff|/max|ref| {worst:.2e}")

    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    print("\n".join(report))
    print(f"wrote {len(manifest['models'])} models and {len(manifest['cases'])} cases to {args.out}")
    write_rule_map_cases(args.out)
    if not args.no_checks:
        import check_cnn_fixtures
        sys.exit(check_cnn_fixtures.main(["--dir", args.out]))


if __name__ == "__main__":
    main()
