#!/usr/bin/env python3
"""Fixtures for the decoding tests of real-world and large pictures (Tests/Fixtures/core/),
made with Pillow as the reference:
  cmyk.jpg            a small CMYK JPEG as Pillow writes it (Adobe marker, inverted CMYK)
  cmyk.jpg.json       Pillow's Image.open(...).convert("RGB") of it: {"height", "width", "rgb"}
                      with rgb the HWC bytes as one flat list
  gradient.jpg        a smooth 1024x768 RGB JPEG, large enough for DCT scaling (1/8) in tests
Run with any Python that has Pillow and numpy: python Scripts/make_image_fixtures.py
"""
import json
import os
import numpy as np
from PIL import Image

out = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "core")
os.makedirs(out, exist_ok=True)

h, w = 6, 8
y, x = np.mgrid[0:h, 0:w]
cmyk = np.stack([x * 36, y * 50, (x + y) * 18, (x * y * 7) % 256], axis=-1).clip(0, 255).astype(np.uint8)
path = os.path.join(out, "cmyk.jpg")
Image.fromarray(cmyk, "CMYK").save(path, quality=95)
rgb = np.asarray(Image.open(path).convert("RGB"))
with open(path + ".json", "w") as f:
    json.dump({"height": h, "width": w, "rgb": rgb.reshape(-1).tolist()}, f)

h, w = 768, 1024
y, x = np.mgrid[0:h, 0:w].astype(np.float64)
g = np.stack([255 * x / (w - 1), 255 * y / (h - 1), 127.5 + 100 * np.sin(x / 97.0) * np.cos(y / 71.0)], axis=-1)
Image.fromarray(g.round().clip(0, 255).astype(np.uint8), "RGB").save(os.path.join(out, "gradient.jpg"), quality=85)
print("wrote cmyk.jpg, cmyk.jpg.json, gradient.jpg")
