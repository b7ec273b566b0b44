#!/usr/bin/env python3
"""Reference timing of zennit on torch CPU for the benchmark executable (lrp-bench).

    .venv/bin/python Scripts/bench_zennit.py --batch B --threads T \\
        --composite epsilon-alpha2beta1-flat --repeats R [--model mobilenet_v2] [--cutoff K]

Prints ONE JSON line:
  {"forward_s": ..., "relevance_s": ..., "threads": T, "batch": B, "max_rss_kb": ..., "torch": "...", "zennit": "..."}
seconds per batch, median over R repeats after one warm-up run. `forward_s`: plain inference
(`torch.no_grad()`). `relevance_s`: what a zennit user runs per batch — the attribution call of
`zennit.attribution.Gradient` with the composite registered (its own forward pass with hooks,
plus the modified backward), with R = one-hot(top class) x logit. The composite (rule plan of
docs/DESIGN.md §2, Scripts/lrp_zennit.py; batch norms folded by the canonizer) is registered once, before
timing, as a user would for a stream of batches. Input: random normalised 224x224 images (fixed
seed), MobileNetV2 with its ImageNet weights (or another architecture of imagenet_models.py, incl.
the timing-only VGG-16 and ResNet-50 with seeded random weights). `max_rss_kb`: this process's peak
resident memory (torch itself, the model, the composite's hooks and the batch).
"""
import argparse
import importlib.metadata
import json
import os
import resource
import statistics
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from imagenet_models import ALL_ARCHITECTURES, load  # noqa: E402
from lrp_zennit import PRESETS, RulePlan  # noqa: E402
from zennit.attribution import Gradient  # noqa: E402


def peak_rss_kb():
    """VmHWM: getrusage's ru_maxrss would also count the parent's resident memory (Linux keeps the
    high-water mark across the execve that started this process, and the parent is lrp-bench
    holding its model)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def median_time(fn, repeats):
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--composite", choices=PRESETS, default="epsilon-alpha2beta1-flat")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--model", choices=ALL_ARCHITECTURES, default="mobilenet_v2")
    parser.add_argument("--cutoff", type=int, default=0)
    parser.add_argument("--size", type=int, default=224)
    args = parser.parse_args()
    if args.batch < 1 or args.threads < 1 or args.repeats < 1:
        parser.error("--batch, --threads and --repeats must be positive")

    torch.set_num_threads(args.threads)
    model = load(args.model)
    g = torch.Generator().manual_seed(0)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    x = (torch.rand(args.batch, 3, args.size, args.size, generator=g) - mean) / std

    def forward():
        with torch.no_grad():
            model(x)

    forward_s = median_time(forward, args.repeats)

    plan = RulePlan(args.composite, cutoff=args.cutoff,
                    zbox_low=list((-mean / std).flatten().tolist()), zbox_high=list(((1 - mean) / std).flatten().tolist()))
    composite = plan.composite(model, x)

    def seed(logits):
        logits = logits.detach()
        out = torch.zeros_like(logits)
        rows = torch.arange(logits.shape[0])
        top = logits.argmax(1)
        out[rows, top] = logits[rows, top]
        return out

    with Gradient(model=model, composite=composite) as attributor:
        def explain():
            _, rel = attributor(x, seed)
            return rel
        rel = explain()
        assert rel.shape == x.shape and bool(torch.isfinite(rel).all())
        relevance_s = median_time(explain, args.repeats)

    print(json.dumps({"forward_s": round(forward_s, 6), "relevance_s": round(relevance_s, 6),
                      "threads": args.threads, "batch": args.batch,
                      "max_rss_kb": peak_rss_kb(), "torch": torch.__version__,
                      "zennit": importlib.metadata.version("zennit")}))


if __name__ == "__main__":
    main()
