#!/usr/bin/env python3
"""Fixtures for LRPCore's image tests (Tests/Fixtures/core/), made with Pillow as the
independent reference:
  photo.jpg / photo.png       a small synthetic picture (smooth gradients + edges), RGB
  grey.png                    its greyscale version (8-bit, mode L)
  photo.png.npy               the PNG's pixels, HWC uint8 as float32 (lossless reference)
  photo.jpg.npy               Pillow/libjpeg's decoding of the JPEG (same libjpeg-turbo family)
  resize_<w>x<h>.npy          Pillow's Image.resize((w, h), BILINEAR) of photo.png, HWC float32,
                              computed in float ("F" mode per channel) so rounding does not hide
                              differences in the filter.
Run with the project venv: .venv/bin/python Scripts/make_core_fixtures.py
"""
import os
import numpy as np
from PIL import Image

out = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "core")
os.makedirs(out, exist_ok=True)

h, w = 24, 32
y, x = np.mgrid[0:h, 0:w].astype(np.float64)
r = 255 * x / (w - 1)
g = 255 * y / (h - 1)
b = np.where((x // 8 + y // 8) % 2 == 0, 230.0, 20.0)
rgb = np.stack([r, g, b], axis=-1).round().clip(0, 255).astype(np.uint8)
img = Image.fromarray(rgb, "RGB")
img.save(os.path.join(out, "photo.png"))
img.save(os.path.join(out, "photo.jpg"), quality=90)
img.convert("L").save(os.path.join(out, "grey.png"))
np.save(os.path.join(out, "photo.png.npy"), rgb.astype(np.float32))
np.save(os.path.join(out, "photo.jpg.npy"), np.asarray(Image.open(os.path.join(out, "photo.jpg")).convert("RGB")).astype(np.float32))

for (tw, th) in [(13, 10), (64, 48), (20, 30)]:
    chans = [np.asarray(Image.fromarray(rgb[..., c].astype(np.float32), "F").resize((tw, th), Image.BILINEAR))
             for c in range(3)]
    np.save(os.path.join(out, f"resize_{tw}x{th}.npy"), np.stack(chans, axis=-1).astype(np.float32))
print("wrote", sorted(os.listdir(out)))
