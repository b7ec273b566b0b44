#!/usr/bin/env python3
"""Writes Samples/: four photographs from scikit-image's data directory, all public domain or
CC0 (see vendor-notes.md, "Models and sample images"), as JPEG.

    .venv/bin/python Scripts/make_samples.py [--wheel scikit_image-*.whl]

Without --wheel it fetches the scikit-image wheel with `pip download scikit-image --no-deps`
into a temporary folder (the package is not installed). PNG originals are re-encoded as JPEG
(quality 90, 4:2:0); rocket.jpg is copied unchanged.
"""
import argparse
import glob
import io
import os
import subprocess
import sys
import tempfile
import zipfile

from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# sample file -> file in skimage/data (licence as stated in skimage/data/_fetchers.py)
SAMPLES = {
    "chelsea.jpg": "chelsea.png",      # CC0, Stefan van der Walt
    "coffee.jpg": "coffee.png",        # CC0, Rachel Michetti
    "astronaut.jpg": "astronaut.png",  # public domain, NASA
    "rocket.jpg": "rocket.jpg",        # public domain, SpaceX
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--wheel", help="a scikit-image wheel to take the images from")
    parser.add_argument("--out", default=os.path.join(ROOT, "Samples"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel
        if wheel is None:
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
                            "-q", "-d", tmp, "scikit-image"], check=True)
            wheel = glob.glob(os.path.join(tmp, "scikit_image-*.whl"))[0]
        with zipfile.ZipFile(wheel) as z:
            for name, source in SAMPLES.items():
                data = z.read(f"skimage/data/{source}")
                path = os.path.join(args.out, name)
                if source.endswith(".jpg"):
                    with open(path, "wb") as f:
                        f.write(data)
                else:
                    Image.open(io.BytesIO(data)).convert("RGB").save(path, "JPEG", quality=90, subsampling=2)
                w, h = Image.open(path).size
                print(f"{path}: {w}x{h}, {os.path.getsize(path) // 1024} KB (from {os.path.basename(wheel)})")


if __name__ == "__main__":
    main()
