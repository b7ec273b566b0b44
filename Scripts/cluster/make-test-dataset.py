#!/usr/bin/env python3
"""Writes a small synthetic ImageNet-layout dataset for the cluster test: <root>/<split>/<class>/*.png.

Usage: make-test-dataset.py ROOT [--classes 3] [--per-class 8] [--size 40] [--split val]

Standard library only (PNG via zlib), deterministic: class c gets stripes at angle c plus
per-image noise, so the model's scores differ from image to image (ties would hide a lost or
doubled image in the AP).
"""
import argparse, os, random, struct, zlib


def write_png(path, width, height, rgb):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + bytes(rgb[y * width * 3:(y + 1) * width * 3]) for y in range(height))
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) \
        + chunk(b"IDAT", zlib.compress(rows, 6)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("root")
    p.add_argument("--classes", type=int, default=3)
    p.add_argument("--per-class", type=int, default=8)
    p.add_argument("--size", type=int, default=40)
    p.add_argument("--split", default="val")
    a = p.parse_args()
    rng = random.Random(1234)
    n = a.size
    for c in range(a.classes):
        folder = os.path.join(a.root, a.split, "class%d" % c)
        os.makedirs(folder, exist_ok=True)
        for i in range(a.per_class):
            period = 4 + (i % 5)
            rgb = []
            for y in range(n):
                for x in range(n):
                    t = (x, y, x + y, x - y)[c % 4]
                    base = 200 if (t // period) % 2 == 0 else 50
                    for ch in range(3):
                        v = base + (40 if ch == c % 3 else 0) + rng.randint(-30, 30)
                        rgb.append(max(0, min(255, v)))
            write_png(os.path.join(folder, "img%02d.png" % i), n, n, rgb)


if __name__ == "__main__":
    main()
