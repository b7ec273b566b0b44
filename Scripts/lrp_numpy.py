"""A direct numpy (float64) implementation of docs/DESIGN.md §2 on ONNX files, independent of PyTorch
and zennit: it reads the exported graph (Conv, Gemm, Relu, Clip, MaxPool, AveragePool,
GlobalAveragePool, BatchNormalization, Add, Concat, Flatten, Identity, Constant) and walks it
backwards with the rules of the table. The cut-off counts Conv/Gemm nodes in ONNX node order.

Used by check_cnn_fixtures.py to cross-check the zennit fixtures; slow (Python loops over
pooling windows), meant for the small fixture models only.
"""
import numpy as np
import onnx
from onnx import numpy_helper

STABILIZER = 1e-6


def stab(z, eps):
    """z + eps * sign(z) with sign(0) = +1 (zennit's Stabilizer)."""
    return z + eps * np.where(z >= 0, 1.0, -1.0)


# ----------------------------------------------------------------------------- graph

class Graph:
    def __init__(self, path_or_proto):
        proto = path_or_proto if isinstance(path_or_proto, onnx.ModelProto) else onnx.load(path_or_proto)
        self.consts = {i.name: numpy_helper.to_array(i).astype(np.float64) for i in proto.graph.initializer}
        self.nodes = []
        for n in proto.graph.node:
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
            if n.op_type == "Constant":
                self.consts[n.output[0]] = numpy_helper.to_array(attrs["value"]).astype(np.float64)
                continue
            self.nodes.append((n.op_type, list(n.input), n.output[0], attrs, n.name))
        self.input = proto.graph.input[0].name
        self.output = proto.graph.output[0].name

    def mapping_nodes(self):
        return [i for i, n in enumerate(self.nodes) if n[0] in ("Conv", "Gemm")]


# ----------------------------------------------------------------------------- convolution

def _conv_geometry(attrs, w_shape):
    kh, kw = w_shape[2], w_shape[3]
    pads = attrs.get("pads", [0, 0, 0, 0])
    strides = attrs.get("strides", [1, 1])
    dil = attrs.get("dilations", [1, 1])
    return kh, kw, pads, strides, dil, attrs.get("group", 1)


def conv(x, w, attrs):
    """ONNX Conv without bias, x [N,C,H,W], w [O,C/g,kh,kw]."""
    kh, kw, (pt, pl, pb, pr), (sh, sw), (dh, dw), g = _conv_geometry(attrs, w.shape)
    n, c, h, wd = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    oh = (h + pt + pb - (dh * (kh - 1) + 1)) // sh + 1
    ow = (wd + pl + pr - (dw * (kw - 1) + 1)) // sw + 1
    o = w.shape[0]
    cg, og = c // g, o // g
    out = np.zeros((n, o, oh, ow))
    for gi in range(g):
        xs = xp[:, gi * cg:(gi + 1) * cg]
        ws = w[gi * og:(gi + 1) * og]
        for ky in range(kh):
            for kx in range(kw):
                patch = xs[:, :, ky * dh: ky * dh + sh * (oh - 1) + 1: sh, kx * dw: kx * dw + sw * (ow - 1) + 1: sw]
                out[:, gi * og:(gi + 1) * og] += np.einsum("oc,nchw->nohw", ws[:, :, ky, kx], patch)
    return out


def conv_transpose(g_out, w, attrs, x_shape):
    """Gradient of `conv` with respect to its input: sum_j w_ij g_j."""
    kh, kw, (pt, pl, pb, pr), (sh, sw), (dh, dw), g = _conv_geometry(attrs, w.shape)
    n, c, h, wd = x_shape
    _, o, oh, ow = g_out.shape
    cg, og = c // g, o // g
    gp = np.zeros((n, c, h + pt + pb, wd + pl + pr))
    for gi in range(g):
        ws = w[gi * og:(gi + 1) * og]
        gs = g_out[:, gi * og:(gi + 1) * og]
        for ky in range(kh):
            for kx in range(kw):
                gp[:, gi * cg:(gi + 1) * cg, ky * dh: ky * dh + sh * (oh - 1) + 1: sh,
                   kx * dw: kx * dw + sw * (ow - 1) + 1: sw] += np.einsum("oc,nohw->nchw", ws[:, :, ky, kx], gs)
    return gp[:, :, pt:pt + h, pl:pl + wd]


def as_conv(op, ins, attrs, consts):
    """(weight [O,C,kh,kw], bias [O] or zeros, conv attrs) of a Conv or Gemm node."""
    w = consts[ins[1]]
    b = consts[ins[2]] if len(ins) > 2 and ins[2] else np.zeros(w.shape[0])
    if op == "Gemm":
        assert attrs.get("transA", 0) == 0 and attrs.get("alpha", 1.0) == 1.0 and attrs.get("beta", 1.0) == 1.0
        if not attrs.get("transB", 0):
            w = w.T
        return w[:, :, None, None], b, {}
    return w, b, attrs


# ----------------------------------------------------------------------------- pooling windows

def pool_windows(attrs, h, w):
    """Per output position the list of valid (non-padding) input indices, ONNX/PyTorch geometry."""
    kh, kw = attrs["kernel_shape"]
    sh, sw = attrs.get("strides", [1, 1])
    pt, pl, pb, pr = attrs.get("pads", [0, 0, 0, 0])
    dh, dw = attrs.get("dilations", [1, 1])
    ceil = attrs.get("ceil_mode", 0)

    def out_size(size, k, s, p0, p1, d):
        span = size + p0 + p1 - (d * (k - 1) + 1)
        o = (-(-span // s) if ceil else span // s) + 1
        if ceil and (o - 1) * s >= size + p0:   # last window must start inside input or left padding
            o -= 1
        return o

    oh, ow = out_size(h, kh, sh, pt, pb, dh), out_size(w, kw, sw, pl, pr, dw)
    windows = {}
    for oy in range(oh):
        for ox in range(ow):
            ys = [oy * sh - pt + ky * dh for ky in range(kh)]
            xs = [ox * sw - pl + kx * dw for kx in range(kw)]
            # full window size incl. padding (but not beyond the padded input), for count_include_pad
            ys_pad = [y for y in ys if y < h + pb]
            xs_pad = [x for x in xs if x < w + pr]
            valid = [(y, x) for y in ys if 0 <= y < h for x in xs if 0 <= x < w]
            windows[(oy, ox)] = (valid, len(ys_pad) * len(xs_pad))
    return oh, ow, windows


def maxpool(x, attrs):
    n, c, h, w = x.shape
    oh, ow, windows = pool_windows(attrs, h, w)
    out = np.empty((n, c, oh, ow))
    for (oy, ox), (valid, _) in windows.items():
        out[:, :, oy, ox] = np.max(np.stack([x[:, :, y, xx] for y, xx in valid], -1), -1)
    return out


def avgpool(x, attrs):
    n, c, h, w = x.shape
    oh, ow, windows = pool_windows(attrs, h, w)
    out = np.empty((n, c, oh, ow))
    include_pad = attrs.get("count_include_pad", 0)
    for (oy, ox), (valid, padded_count) in windows.items():
        s = sum(x[:, :, y, xx] for y, xx in valid)
        out[:, :, oy, ox] = s / (padded_count if include_pad else len(valid))
    return out


# ----------------------------------------------------------------------------- forward

def forward(graph, x):
    v = dict(graph.consts)
    v[graph.input] = x.astype(np.float64)
    for op, ins, out, attrs, _ in graph.nodes:
        a = v[ins[0]]
        if op in ("Conv", "Gemm"):
            w, b, cattrs = as_conv(op, ins, attrs, graph.consts)
            if op == "Gemm":
                y = conv(a[:, :, None, None], w, cattrs)[:, :, 0, 0] + b
            else:
                y = conv(a, w, cattrs) + b[None, :, None, None]
        elif op == "Relu":
            y = np.maximum(a, 0)
        elif op == "Clip":
            lo = v[ins[1]] if len(ins) > 1 and ins[1] else -np.inf
            hi = v[ins[2]] if len(ins) > 2 and ins[2] else np.inf
            y = np.clip(a, lo, hi)
        elif op == "MaxPool":
            y = maxpool(a, attrs)
        elif op == "AveragePool":
            y = avgpool(a, attrs)
        elif op == "GlobalAveragePool":
            y = a.mean(axis=(2, 3), keepdims=True)
        elif op == "BatchNormalization":
            s, t = bn_affine(graph, ins, attrs)
            y = a * s[None, :, None, None] + t[None, :, None, None]
        elif op == "Add":
            y = a + v[ins[1]]
        elif op == "Concat":
            assert attrs["axis"] == 1
            y = np.concatenate([v[i] for i in ins], axis=1)
        elif op == "Flatten":
            assert attrs.get("axis", 1) == 1
            y = a.reshape(a.shape[0], -1)
        elif op == "Identity":
            y = a
        else:
            raise NotImplementedError(op)
        v[out] = y
    return v


def bn_affine(graph, ins, attrs):
    scale, bias, mean, var = (graph.consts[i] for i in ins[1:5])
    s = scale / np.sqrt(var + attrs.get("epsilon", 1e-5))
    return s, bias - mean * s


# ----------------------------------------------------------------------------- relevance

def conv_rule(rule, x, w, b, attrs, r, eps, alpha=2.0, beta=1.0, low=None, high=None):
    """Input relevance of one conv (Gemm as 1x1 conv) under one rule of the docs/DESIGN.md §2 table."""
    ct = lambda g, ww: conv_transpose(g, ww, attrs, x.shape)  # noqa: E731
    bb = b[None, :, None, None]
    if rule == "epsilon":
        z = conv(x, w, attrs) + bb
        return x * ct(r / stab(z, eps), w)
    if rule in ("alphabeta", "zplus"):
        if rule == "zplus":
            alpha, beta = 1.0, 0.0
        wp, wn, xp, xn = np.maximum(w, 0), np.minimum(w, 0), np.maximum(x, 0), np.minimum(x, 0)
        p = conv(xp, wp, attrs) + conv(xn, wn, attrs) + np.maximum(bb, 0)
        n = conv(xp, wn, attrs) + conv(xn, wp, attrs) + np.minimum(bb, 0)
        sp, sn = r / stab(p, STABILIZER), r / stab(n, STABILIZER)
        return (alpha * (xp * ct(sp, wp) + xn * ct(sp, wn))
                - beta * (xp * ct(sn, wn) + xn * ct(sn, wp)))
    if rule in ("flat", "wsquare"):
        ww = np.ones_like(w) if rule == "flat" else w * w
        z = conv(np.ones_like(x), ww, attrs)
        return ct(r / stab(z, STABILIZER), ww)
    if rule == "zbox":
        lo = np.broadcast_to(np.asarray(low, dtype=np.float64).reshape(1, -1, 1, 1), x.shape)
        hi = np.broadcast_to(np.asarray(high, dtype=np.float64).reshape(1, -1, 1, 1), x.shape)
        wp, wn = np.maximum(w, 0), np.minimum(w, 0)
        z = conv(x, w, attrs) - conv(lo, wp, attrs) - conv(hi, wn, attrs)
        s = r / stab(z, STABILIZER)
        return x * ct(s, w) - lo * ct(s, wp) - hi * ct(s, wn)
    raise ValueError(rule)


def mapping_rule(plan, index, op):
    """Rule name of the index-th mapping node outside the cut-off region."""
    if index == 0 and plan.get("firstLayer"):
        return plan["firstLayer"]
    preset = plan["preset"]
    if preset == "epsilon":
        return "epsilon"
    if preset == "alpha2beta1":
        return "alphabeta"
    if index == 0:
        return "flat"
    if op == "Gemm":
        return "epsilon"
    return "zplus" if preset == "epsilon-plus-flat" else "alphabeta"


def pool_backward(kind, x, attrs, r):
    """kind: 'wta', 'proportional' (max pool as sum pooling), 'flat', 'avg' (proportional)."""
    n, c, h, w = x.shape
    oh, ow, windows = pool_windows(attrs, h, w)
    rin = np.zeros_like(x)
    include_pad = attrs.get("count_include_pad", 0)
    for (oy, ox), (valid, padded_count) in windows.items():
        rj = r[:, :, oy, ox]
        vals = np.stack([x[:, :, y, xx] for y, xx in valid], -1)   # [N, C, |W|]
        if kind == "wta":
            first = np.argmax(vals, axis=-1)                        # first maximum, row-major window order
            for k, (y, xx) in enumerate(valid):
                rin[:, :, y, xx] += np.where(first == k, rj, 0.0)
        elif kind == "flat":
            for y, xx in valid:
                rin[:, :, y, xx] += rj / len(valid)
        elif kind == "proportional":
            s = rj / stab(vals.sum(-1), STABILIZER)
            for y, xx in valid:
                rin[:, :, y, xx] += x[:, :, y, xx] * s
        elif kind == "avg":
            div = padded_count if include_pad else len(valid)
            s = rj / (div * stab(vals.sum(-1) / div, STABILIZER))
            for y, xx in valid:
                rin[:, :, y, xx] += x[:, :, y, xx] * s
    return rin


def relevance(graph, x, targets, plan):
    """Input relevance [N,C,H,W] (float64) for R = one-hot(target) * logit. `plan` is a manifest
    case (keys preset, epsilon, alpha, beta, firstLayer, zBoxLow, zBoxHigh, maxPool, cutoff)."""
    v = forward(graph, x)
    logits = v[graph.output]
    r = {graph.output: np.zeros_like(logits)}
    rows = np.arange(logits.shape[0])
    r[graph.output][rows, targets] = logits[rows, targets]
    mapping = graph.mapping_nodes()
    k = plan["cutoff"]
    boundary = 0 if k == 0 else (mapping[k] if k < len(mapping) else len(graph.nodes))  # K = 0: none
    eps = plan["epsilon"]

    def add(name, value):
        r[name] = r.get(name, 0.0) + value

    for idx in range(len(graph.nodes) - 1, -1, -1):
        op, ins, out, attrs, _ = graph.nodes[idx]
        if out not in r:
            continue
        ro = r.pop(out)
        flat = idx < boundary
        a = v[ins[0]]
        if op in ("Conv", "Gemm"):
            w, b, cattrs = as_conv(op, ins, attrs, graph.consts)
            rule = "flat" if flat else mapping_rule(plan, mapping.index(idx), op)
            xa, ra = (a[:, :, None, None], ro[:, :, None, None]) if op == "Gemm" else (a, ro)
            rin = conv_rule(rule, xa, w, b, cattrs, ra, eps, plan["alpha"], plan["beta"],
                            plan.get("zBoxLow"), plan.get("zBoxHigh"))
            add(ins[0], rin[:, :, 0, 0] if op == "Gemm" else rin)
        elif op in ("Relu", "Clip", "Identity"):
            add(ins[0], ro)
        elif op == "Flatten":
            add(ins[0], ro.reshape(a.shape))
        elif op == "MaxPool":
            add(ins[0], pool_backward("flat" if flat else plan["maxPool"], a, attrs, ro))
        elif op == "AveragePool":
            add(ins[0], pool_backward("flat" if flat else "avg", a, attrs, ro))
        elif op == "GlobalAveragePool":
            hw = a.shape[2] * a.shape[3]
            if flat:
                add(ins[0], np.broadcast_to(ro / hw, a.shape).copy())
            else:
                add(ins[0], a * ro / (hw * stab(v[out], STABILIZER)))
        elif op == "BatchNormalization":
            if flat:
                add(ins[0], ro)
            else:
                s, _ = bn_affine(graph, ins, attrs)
                add(ins[0], a * s[None, :, None, None] * ro / stab(v[out], eps))
        elif op == "Add":
            bval = v[ins[1]]
            if flat:
                add(ins[0], ro / 2)
                add(ins[1], ro / 2)
            else:
                s = ro / stab(a + bval, STABILIZER)
                add(ins[0], a * s)
                add(ins[1], bval * s)
        elif op == "Concat":
            start = 0
            for name in ins:
                c = v[name].shape[1]
                add(name, ro[:, start:start + c])
                start += c
        else:
            raise NotImplementedError(op)
    return r[graph.input], logits
