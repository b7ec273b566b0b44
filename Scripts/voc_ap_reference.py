#!/usr/bin/env python3
"""VOC 2007 classification average precision exactly as the VOC devkit's VOCevalcls.m computes
it, and the fixture Tests/Fixtures/eval/voc_ap.json of synthetic cases for the AP tests.

    python3 Scripts/voc_ap_reference.py [--out Tests/Fixtures/eval/voc_ap.json]   (numpy only)

VOCevalcls.m (VOC2007 branch), line by line:
    [so,si] = sort(-out);              % descending score; MATLAB's sort is stable: ties keep file order
    tp = gt(si) > 0;  fp = gt(si) < 0; % label 0 ("difficult") images are neither TP nor FP
    fp = cumsum(fp);  tp = cumsum(tp);
    rec  = tp / sum(gt > 0);           % 0/0 = NaN when there is no positive
    prec = tp ./ (fp + tp);            % 0/0 = NaN while only label-0 images have been seen
    ap = 0;
    for t = 0:0.1:1
        p = max(prec(rec >= t));       % MATLAB's max ignores NaN; NaN >= t is false
        if isempty(p), p = 0; end
        ap = ap + p / 11;
    end
Details that change results and that a port must copy:
- the thresholds are MATLAB's `0:0.1:1`, whose 4th element is 3*0.1 = 0.30000000000000004 (the
  colon operator computes the first half as a + k*d and the second half as b - (n-k)*d, so
  0.6 ... 0.9 are the doubles nearest to 0.6 ... 0.9): a recall of exactly 3/10 (= 0.3 as a
  double) does NOT reach t = 0.3. numpy's arange(0, 1.1, 0.1) differs (0.6000000000000001 and
  0.7000000000000001), so Python ports of the detection AP are not a reference here.
- the precision at a threshold is the plain maximum over the ranks with rec >= t (no monotone
  envelope); p / 11 is accumulated in order t = 0, 0.1, ..., 1.
- NaN precisions (ranks before the first labelled +-1 image) are skipped; with no positives
  every recall is NaN and AP = 0.
"""
import argparse
import json
import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def matlab_colon(a, d, b):
    """MATLAB's a:d:b (Cleve Moler's colonop): first half a + k*d, second half b - (n-k)*d,
    the middle element (even n) (a+b)/2."""
    n = int(round((b - a) / d))
    c = [0.0] * (n + 1)
    if n % 2 == 0:
        h = n // 2
        for k in range(h):
            c[k] = a + k * d
            c[n - k] = b - k * d
        c[h] = (a + b) / 2
    else:
        h = (n - 1) // 2
        for k in range(h + 1):
            c[k] = a + k * d
            c[n - k] = b - k * d
    return c


THRESHOLDS = matlab_colon(0.0, 0.1, 1.0)


def voc07_ap(scores, labels):
    """scores: confidences; labels: +1 / -1 / 0 per image (same order, the ground-truth file's)."""
    scores = np.asarray(scores, dtype=np.float64)
    gt = np.asarray(labels)
    si = np.argsort(-scores, kind="stable")
    tp = np.cumsum(gt[si] > 0).astype(np.float64)
    fp = np.cumsum(gt[si] < 0).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        rec = tp / float(np.sum(gt > 0))
        prec = tp / (fp + tp)
    ap = 0.0
    for t in THRESHOLDS:
        sel = prec[rec >= t]
        sel = sel[~np.isnan(sel)]
        p = float(sel.max()) if sel.size else 0.0
        ap = ap + p / 11
    return ap


def cases():
    rng = np.random.default_rng(7)
    out = []

    def add(name, scores, labels, note):
        out.append({"name": name, "note": note, "scores": [float(s) for s in scores],
                    "labels": [int(v) for v in labels], "ap": voc07_ap(scores, labels)})

    add("perfect", [0.9, 0.8, 0.3, 0.1], [1, 1, -1, -1], "positives ranked first: AP 1")
    add("worst", [0.1, 0.2, 0.8, 0.9], [1, 1, -1, -1], "positives ranked last")
    add("one-positive", [0.5, 0.4, 0.9, 0.2, 0.7], [-1, -1, 1, -1, -1], "a single positive at rank 1")
    add("one-positive-third", [0.9, 0.8, 0.7, 0.2], [-1, -1, 1, -1], "a single positive at rank 3: AP 1/3")
    add("all-negative", [0.3, 0.2, 0.1], [-1, -1, -1], "no positive: recall is 0/0, AP 0")
    add("ties-positive-first", [0.5, 0.5, 0.5, 0.1], [1, -1, -1, 1],
        "equal scores keep file order (stable sort): the tied positive ranks first")
    add("ties-positive-last", [0.5, 0.5, 0.5, 0.1], [-1, -1, 1, 1],
        "equal scores keep file order: the tied positive ranks third")
    add("label-zero", [0.9, 0.8, 0.7, 0.6, 0.5], [0, 1, 0, -1, 1],
        "label-0 images are neither TP nor FP (precision 0/0 at rank 1 is skipped)")
    add("label-zero-only-top", [0.9, 0.8, 0.1], [0, 0, 1], "only label-0 images above the positive: AP 1")
    add("recall-exactly-0.3", [1.0 - i / 20 for i in range(20)],
        [1, 1, 1, -1, -1, 1, -1, 1, 1, -1, 1, 1, -1, -1, 1, -1, 1, -1, -1, -1],
        "10 positives: recall 3/10 (= 0.3) does not reach MATLAB's t = 3*0.1 = 0.30000000000000004 "
        "(thresholds computed as k/10 would give a different AP)")
    add("recall-exactly-0.7", [1.0 - i / 20 for i in range(15)], [1] * 7 + [-1] * 5 + [1] * 3,
        "10 positives: recall 7/10 reaches MATLAB's t = 1 - 3*0.1 = 0.7 (thresholds computed as k*0.1, "
        "e.g. numpy.arange, would not)")
    scores = np.round(rng.random(60), 2)  # rounded: many ties
    labels = rng.choice([1, -1, -1, -1, 0], size=60)
    add("random-60-with-ties-and-zeros", scores, labels, "random scores rounded to 2 decimals, labels in {1,-1,0}")
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(ROOT, "Tests", "Fixtures", "eval", "voc_ap.json"))
    args = parser.parse_args()
    # self-checks of the port on hand-computed values
    assert THRESHOLDS[3] == 0.30000000000000004 and THRESHOLDS[7] == 0.7 and THRESHOLDS[6] == 0.6
    assert abs(voc07_ap([0.9, 0.8, 0.3, 0.1], [1, 1, -1, -1]) - 1.0) < 1e-15
    assert abs(voc07_ap([0.9, 0.8, 0.7, 0.2], [-1, -1, 1, -1]) - 1 / 3) < 1e-15
    assert voc07_ap([0.3, 0.2], [-1, -1]) == 0.0
    data = {"source": "Scripts/voc_ap_reference.py (port of VOCdevkit VOCevalcls.m, VOC2007 11-point AP)",
            "thresholds": THRESHOLDS, "cases": cases()}
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out + ".tmp", "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")
    os.replace(args.out + ".tmp", args.out)
    for c in data["cases"]:
        print(f"{c['name']:32s} AP {c['ap']:.6f}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
