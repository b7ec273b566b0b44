#!/usr/bin/env python3
"""Writes the photo folder of the end-to-end benchmark (README "Speed", `lrp-bench cnn
--explain-folder DIR`): 50 JPEGs of ImageNet size (500×333, 500×375, 375×500, 640×480) cut from
Samples/*.jpg by crops, flips and resizes.

    .venv/bin/python Scripts/make_bench_photos.py [FOLDER] [--count N]

FOLDER defaults to .build/bench-photos (not committed). The output is deterministic: crops and
flips come from a seeded generator, resampling is Pillow's Lanczos and the JPEGs are written at
quality 90 with 4:2:0 subsampling, so the same Pillow version gives the same bytes.
"""
import argparse
import glob
import os
import random

from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# ImageNet's common sizes, landscape and portrait; each photo gets one in turn
SIZES = [(500, 333), (500, 375), (375, 500), (640, 480), (500, 333)]


def crop_box(rng, width, height, aspect):
    """A box of the given aspect (w/h) covering 60-100% of the largest one that fits."""
    if width / height > aspect:
        bh, bw = height, height * aspect
    else:
        bw, bh = width, width / aspect
    s = rng.uniform(0.6, 1.0)
    bw, bh = bw * s, bh * s
    x = rng.uniform(0, width - bw)
    y = rng.uniform(0, height - bh)
    return (round(x), round(y), round(x + bw), round(y + bh))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", default=os.path.join(ROOT, ".build", "bench-photos"))
    parser.add_argument("--count", type=int, default=50)
    args = parser.parse_args()
    samples = sorted(glob.glob(os.path.join(ROOT, "Samples", "*.jpg")))
    if not samples:
        raise SystemExit("no Samples/*.jpg found")
    os.makedirs(args.folder, exist_ok=True)
    rng = random.Random(10)  # issue 10
    for i in range(args.count):
        with Image.open(samples[i % len(samples)]) as src:
            picture = src.convert("RGB")
        w, h = SIZES[i % len(SIZES)]
        picture = picture.crop(crop_box(rng, picture.width, picture.height, w / h))
        if rng.random() < 0.5:
            picture = picture.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        picture = picture.resize((w, h), Image.Resampling.LANCZOS)
        name = os.path.join(args.folder, "photo%02d.jpg" % i)
        picture.save(name, quality=90, subsampling="4:2:0")
    print("wrote %d photos to %s" % (args.count, args.folder))


if __name__ == "__main__":
    main()
