#!/usr/bin/env python3
"""Writes Samples/: the sample photographs, all public domain, CC0 or GPL (see vendor-notes.md,
"Models and sample images"), as JPEG.

    .venv/bin/python Scripts/make_samples.py [--wheel scikit_image-*.whl]
        [--gcompris gcompris-qt-data_3.1-2_all.deb] [--tuxpaint tuxpaint-stamps-default_2022.06.04-1_all.deb]

Four general photographs come from scikit-image's data directory; without --wheel the wheel is
fetched with `pip download scikit-image --no-deps` into a temporary folder (not installed). PNG
originals are re-encoded as JPEG (quality 90, 4:2:0); rocket.jpg is copied unchanged.

Five pictures of classes the bundled Fisher-vector model was trained on (Imagenette: church,
garbage truck, parachute) come from two Debian bookworm packages; without --gcompris/--tuxpaint they are
fetched with `apt-get download PKG=VERSION` into a temporary folder (not installed):
- gcompris-qt-data 3.1-2: Wikimedia Commons photographs packed in Qt resource files
  (`usr/share/gcompris-qt/rcc/*.rcc`, read by `rcc_files` below) as WebP; the licence of each is in
  the README next to it inside the same .rcc. Scaled to at most 640 px (Lanczos).
- tuxpaint-stamps-default 2022.06.04-1: cut-out photographs (PNG with alpha) of a garbage truck and
  of a paratrooper under his canopy, each composited onto a plain light grey background with a
  10 px margin, then scaled to at most 640 px.
"""
import argparse
import glob
import io
import os
import struct
import subprocess
import sys
import tarfile
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
GCOMPRIS = ("gcompris-qt-data", "3.1-2")
TUXPAINT = ("tuxpaint-stamps-default", "2022.06.04-1")
# sample file -> (.rcc in usr/share/gcompris-qt/rcc, path inside it); licences in the README beside each.
# Numbered, not named by city: DenseSIFTTests picks each sample's vl_dsift bin size and step by its
# index in sorted order, and these photographs pass at these positions (vendor-notes.md).
GCOMPRIS_SAMPLES = {
    # CC0-1.0, Gary Todd, commons.wikimedia.org/wiki/File:Berlin_Cathedral_(28668994926).jpg
    "church-1.jpg": ("explore_monuments.rcc",
                     "gcompris/src/activities/explore_monuments/resource/germany/berlinCathedral.webp"),
    # public domain, Immanuel Giel, commons.wikimedia.org/wiki/File:Dommodell_Worms_04.jpg
    "church-2.jpg": ("explore_monuments.rcc",
                     "gcompris/src/activities/explore_monuments/resource/germany/wormsCathedral.webp"),
    # public domain, Michelangelo-36, commons.wikimedia.org/wiki/File:Catedral_de_Santiago_de_Compostela7.jpg
    "church-3.jpg": ("categorization.rcc",
                     "gcompris/src/activities/categorization/resource/images/monuments/cathedral.webp"),
}
# sample file -> stamp in usr/share/tuxpaint/stamps (all GPL-2+ by debian/copyright; contributors as
# the package's changelog names them)
TUXPAINT_SAMPLES = {
    "garbage-truck.jpg": "vehicles/garbagetruck.png",  # Caroline Ford
    "parachute.jpg": "military/paratrooper.png",       # Albert Cahalan
}
MAX_SIDE = 640
BACKGROUND = (235, 235, 235)


def rcc_files(data):
    """{path: bytes} of a Qt resource file (rcc format versions 1-3; zlib or uncompressed)."""
    if data[:4] != b"qres":
        raise ValueError("not a Qt resource file")
    version, tree, payload, names = struct.unpack(">IIII", data[4:20])
    entry_size = 14 if version < 2 else 22

    def name(offset):
        (length,) = struct.unpack(">H", data[names + offset:names + offset + 2])
        return data[names + offset + 6:names + offset + 6 + 2 * length].decode("utf-16-be")

    out = {}

    def walk(index, prefix):
        e = tree + index * entry_size
        name_offset, flags = struct.unpack(">IH", data[e:e + 6])
        path = f"{prefix}/{name(name_offset)}" if index else ""
        if flags & 2:  # directory
            count, first = struct.unpack(">II", data[e + 6:e + 14])
            for child in range(first, first + count):
                walk(child, path)
            return
        (offset,) = struct.unpack(">I", data[e + 10:e + 14])
        (size,) = struct.unpack(">I", data[payload + offset:payload + offset + 4])
        blob = data[payload + offset + 4:payload + offset + 4 + size]
        if flags & 4:
            raise ValueError(f"{path}: zstd-compressed entry")
        out[path.lstrip("/")] = zlib_decompress(blob[4:]) if flags & 1 else blob

    walk(0, "")
    return out


def zlib_decompress(blob):
    import zlib
    return zlib.decompress(blob)


def deb_member(deb, path):
    """The bytes of ./PATH in the data archive of a .deb (an ar archive)."""
    with open(deb, "rb") as f:
        data = f.read()
    if data[:8] != b"!<arch>\n":
        raise ValueError(f"{deb}: not a .deb")
    pos = 8
    while pos < len(data):
        header = data[pos:pos + 60]
        member, size = header[:16].decode().strip().rstrip("/"), int(header[48:58])
        body = data[pos + 60:pos + 60 + size]
        if member.startswith("data.tar"):
            with tarfile.open(fileobj=io.BytesIO(body)) as tar:  # xz, gz, bz2 (zstd is not used by bookworm)
                return tar.extractfile("./" + path).read()
        pos += 60 + size + (size & 1)
    raise ValueError(f"{deb}: no data archive")


def fetch_deb(package, version, folder):
    subprocess.run(["apt-get", "download", "-q", f"{package}={version}"], check=True, cwd=folder)
    return glob.glob(os.path.join(folder, f"{package}_*.deb"))[0]


def save_jpeg(image, path):
    image = image.convert("RGB")
    if max(image.size) > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.LANCZOS)
    image.save(path, "JPEG", quality=90, subsampling=2)


def report(path, source):
    w, h = Image.open(path).size
    print(f"{path}: {w}x{h}, {os.path.getsize(path) // 1024} KB (from {source})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--wheel", help="a scikit-image wheel to take the images from")
    parser.add_argument("--gcompris", help=f"the {GCOMPRIS[0]} {GCOMPRIS[1]} .deb")
    parser.add_argument("--tuxpaint", help=f"the {TUXPAINT[0]} {TUXPAINT[1]} .deb")
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
                report(path, os.path.basename(wheel))

        deb = args.gcompris or fetch_deb(*GCOMPRIS, tmp)
        resources = {}
        for name, (rcc, inner) in GCOMPRIS_SAMPLES.items():
            if rcc not in resources:
                resources[rcc] = rcc_files(deb_member(deb, f"usr/share/gcompris-qt/rcc/{rcc}"))
            path = os.path.join(args.out, name)
            save_jpeg(Image.open(io.BytesIO(resources[rcc][inner])), path)
            report(path, f"{os.path.basename(deb)}: {rcc}:{inner}")

        deb = args.tuxpaint or fetch_deb(*TUXPAINT, tmp)
        for name, stamp in TUXPAINT_SAMPLES.items():
            cutout = Image.open(io.BytesIO(deb_member(deb, f"usr/share/tuxpaint/stamps/{stamp}"))).convert("RGBA")
            canvas = Image.new("RGBA", (cutout.width + 20, cutout.height + 20), BACKGROUND + (255,))
            canvas.alpha_composite(cutout, (10, 10))
            path = os.path.join(args.out, name)
            save_jpeg(canvas, path)
            report(path, f"{os.path.basename(deb)}: {stamp}")


if __name__ == "__main__":
    main()
