"""zennit set up to compute exactly the relevance that docs/DESIGN.md §2 defines.

Shared by make_cnn_fixtures.py, zennit_reference.py and bench_zennit.py. zennit's own composites
are used where they already agree with docs/DESIGN.md §2; where DESIGN differs, this module gives zennit
a matching rule:

- presets: `epsilon` (Epsilon on every conv/linear), `alpha2beta1` (AlphaBeta on every
  conv/linear), `epsilon-plus-flat` and `epsilon-alpha2beta1-flat` (zennit's EpsilonPlusFlat /
  EpsilonAlpha2Beta1Flat: first mapping layer Flat, convs ZPlus / AlphaBeta, linears Epsilon).
  `first_layer` overrides the first mapping layer's rule (Flat, WSquare without bias, ZBox).
- outside the cut-off region: ReLU/ReLU6/Hardtanh and LocalResponseNorm `Pass`; max pooling winner-take-all (plain
  gradient; or proportional to the inputs as sum pooling on request, custom `SumPoolNorm`);
  average and global average pooling `Norm` (proportional); residual sums through
  `zennit.layer.Sum` with `Norm` (models mark them with `Add2`); concatenation and flatten by
  plain gradient; batch norm that reads a conv/linear's output folded into it (as zennit's
  SequentialMergeBatchNorm, but exact and by data flow: `ExactMergeBatchNorm`);
  batch norm that cannot be folded `Epsilon` on the affine map y = s*x + t (zennit's composites
  would `Pass` it).
- cut-off K ≥ 1 (K = 0 is none: nothing flat): every module executed before the (K+1)-th mapping layer (execution order = ONNX
  node order) is in the flat region: conv/linear `Flat` (bias zeroed), max and average pooling
  uniform over each window's real inputs (custom `FlatPool`), residual sums in equal shares
  (custom `EqualShares`), batch norm and activations pass, concatenation by channel.
  The cut-off region takes precedence over `first_layer` (for K >= 1 the first layer is flat).
- rule maps (`rule_map`, the parsed JSON of Sources/CNNRelevance/Rules/RuleMapFile.md): entries
  select conv/linear layers and max pools by ONNX node name (`node_names` maps modules to them),
  by mapping-layer number range (1-based) or by kind; name > layers > kind > the preset (with
  `first_layer` and `max_pool`), the later entry wins among equal ones. The cut-off region still
  takes precedence.

Stabilisers: `epsilon` is the ε of the Epsilon rule (conv/linear/unfolded batch norm); every
other rule (AlphaBeta, ZPlus, Flat, WSquare, ZBox, Norm on sums and average pooling,
proportional max pooling) uses zennit's default stabiliser 1e-6 (added with sign, sign(0)=+1).
"""
import torch
import torch.nn.functional as F
from torch import nn

from zennit.canonizers import MergeBatchNorm
from zennit.core import Composite, Hook, BasicHook, Stabilizer, collect_leaves
from zennit.layer import Sum
from zennit.rules import Epsilon, AlphaBeta, ZPlus, Flat, WSquare, ZBox, Pass, Norm, NoMod
from zennit.types import Activation, AvgPool, MaxPool, BatchNorm

PRESETS = ("epsilon", "alpha2beta1", "epsilon-plus-flat", "epsilon-alpha2beta1-flat")
FIRST_LAYER_RULES = ("flat", "wsquare", "zbox")
MAX_POOL_RULES = ("wta", "proportional")
STABILIZER = 1e-6
MAP_RULES = ("epsilon", "z", "alpha-beta", "z-plus", "flat", "wsquare", "zbox", "wta", "proportional")


class Add2(nn.Module):
    """Residual sum a + b. Under zennit it computes `Sum(stack([a, b], -1))` so that a rule can be
    attached (zennit's own canonizers do the same); in ONNX export it is a plain `Add` node. The
    two forms give bit-identical results."""

    def __init__(self):
        super().__init__()
        self.sum = Sum(dim=-1)

    def forward(self, a, b):
        if torch.onnx.is_in_onnx_export():
            return a + b
        return self.sum(torch.stack([a, b], dim=-1))


def is_mapping(module):
    return isinstance(module, (nn.Conv2d, nn.Linear))


class EqualShares(Hook):
    """Residual sum inside the cut-off region: each summand gets R / n."""

    def backward(self, module, grad_input, grad_output):
        shape = grad_input[0].shape
        n = shape[module.dim]
        return (grad_output[0].unsqueeze(module.dim).expand(shape) / n,)


def _pool_geometry(module):
    def pair(v):
        return tuple(v) if isinstance(v, (tuple, list)) else (v, v)
    if isinstance(module, nn.MaxPool2d) and pair(module.dilation) != (1, 1):
        raise NotImplementedError("flat/proportional rules for dilated max pooling")
    stride = module.stride if module.stride is not None else module.kernel_size
    return dict(kernel_size=pair(module.kernel_size), stride=pair(stride), padding=pair(module.padding),
                ceil_mode=module.ceil_mode)


def _window_mean(module, x):
    """Mean of x over each window's real inputs (padding excluded), in the module's geometry."""
    if isinstance(module, (nn.AdaptiveAvgPool2d,)):
        return F.adaptive_avg_pool2d(x, module.output_size)
    if isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)):
        return F.avg_pool2d(x, count_include_pad=False, **_pool_geometry(module))
    raise NotImplementedError(f"flat rule for {type(module).__name__}")


class FlatPool(Hook):
    """Max or average pooling inside the cut-off region: each output's relevance is spread
    uniformly over the real (non-padding) inputs of its window, R_i = sum_j R_j / |W_j|.
    Computed as zennit's Flat rule does: ones as input, the window mean (every output is 1, its
    gradient 1/|W_j| on the window's inputs)."""

    def forward(self, module, input, output):
        self.stored_tensors['input'] = input

    def backward(self, module, grad_input, grad_output):
        x = self.stored_tensors['input'][0]
        ones = torch.ones_like(x).requires_grad_()
        with torch.enable_grad():
            out = _window_mean(module, ones)
        relevance, = torch.autograd.grad(out, ones, grad_output[0] / out)
        return (relevance,)


class SumPoolNorm(Hook):
    """Max pooling explained proportionally to the inputs, as if it were sum pooling:
    R_i = x_i * sum_j R_j / stab(sum_{i' in W_j} x_i')."""

    def __init__(self, stabilizer=STABILIZER):
        super().__init__()
        self.stabilizer = stabilizer

    def copy(self):
        return self.__class__(self.stabilizer)

    def forward(self, module, input, output):
        self.stored_tensors['input'] = input

    def backward(self, module, grad_input, grad_output):
        x = self.stored_tensors['input'][0].detach().requires_grad_()
        with torch.enable_grad():
            out = F.avg_pool2d(x, count_include_pad=True, divisor_override=1, **_pool_geometry(module))
        grad, = torch.autograd.grad(out, x, grad_output[0] / Stabilizer.ensure(self.stabilizer)(out))
        return (x.detach() * grad,)


class ExactMergeBatchNorm(MergeBatchNorm):
    """Folds the given (conv/linear, batch norm) pairs like zennit's MergeBatchNorm, but leaves an
    exact identity behind. zennit sets running_var = 1 and keeps eps, so its emptied batch norm
    computes x / sqrt(1 + eps): the canonized model's activations are off by ~5e-6 relative per
    folded batch norm, which showed as 2e-4 of the map's maximum next to a nearly cancelling
    denominator in the fixtures. Here eps is 0 while merged, so the canonized model is the folded
    model that the ONNX exporter (and docs/DESIGN.md §2) describe.

    The pairs come from the data flow (`trace`), not from zennit's leaf order: a batch norm that
    merely follows a conv in module order (DenseNet: BN after a concatenation) is not folded."""

    def __init__(self, pairs=()):
        super().__init__()
        self.pairs = list(pairs)

    def apply(self, root_module):
        instances = []
        for linear, batch_norm in self.pairs:
            instance = ExactMergeBatchNorm()
            instance.register((linear,), batch_norm)
            instances.append(instance)
        return instances

    def register(self, linears, batch_norm):
        self.batch_norm_eps = batch_norm.eps
        super().register(linears, batch_norm)
        batch_norm.eps = 0.0

    def remove(self):
        super().remove()
        self.batch_norm.eps = self.batch_norm_eps

    def copy(self):
        return ExactMergeBatchNorm(self.pairs)


def trace(model, x):
    """Leaf modules in the order the forward pass first calls them, and the (conv/linear, batch
    norm) pairs where the batch norm reads exactly the conv/linear's output."""
    order, seen, handles, produced, pairs, keep = [], set(), [], {}, [], []
    for leaf in collect_leaves(model):
        def pre(module, inputs):
            if id(module) not in seen:
                seen.add(id(module))
                order.append(module)
            if isinstance(module, BatchNorm) and id(inputs[0]) in produced:
                pairs.append((produced[id(inputs[0])], module))

        def post(module, inputs, output):
            if is_mapping(module):
                keep.append(output)           # keep alive so ids stay unique during the pass
                produced[id(output)] = module
        handles.append(leaf.register_forward_pre_hook(pre))
        handles.append(leaf.register_forward_hook(post))
    try:
        with torch.no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
    return order, pairs


def execution_order(model, x):
    return trace(model, x)[0]


def foldable_batch_norms(model, x):
    """ids of the batch norms that are folded into the conv/linear whose output they read."""
    return {id(bn) for _, bn in trace(model, x)[1]}


class RulePlan:
    """One docs/DESIGN.md §2 rule plan: preset, parameters, first-layer override, max-pool rule, cut-off."""

    def __init__(self, preset, epsilon=1e-6, alpha=2.0, beta=1.0, first_layer=None, zbox_low=None,
                 zbox_high=None, max_pool="wta", cutoff=0, rule_map=None, node_names=None):
        if preset not in PRESETS:
            raise ValueError(f"unknown preset {preset!r}")
        if first_layer not in (None,) + FIRST_LAYER_RULES:
            raise ValueError(f"unknown first-layer rule {first_layer!r}")
        if max_pool not in MAX_POOL_RULES:
            raise ValueError(f"unknown max-pool rule {max_pool!r}")
        if first_layer == "zbox" and (zbox_low is None or zbox_high is None):
            raise ValueError("zbox needs low and high bounds")
        self.preset, self.epsilon, self.alpha, self.beta = preset, float(epsilon), float(alpha), float(beta)
        self.first_layer, self.zbox_low, self.zbox_high = first_layer, zbox_low, zbox_high
        self.max_pool, self.cutoff = max_pool, int(cutoff)
        self.rule_map, self.node_names = rule_map, node_names or {}
        if rule_map is not None:
            if set(rule_map) - {"preset", "rules", "comment"}:
                raise ValueError(f"unknown rule map keys {sorted(set(rule_map) - {'preset', 'rules', 'comment'})}")
            self.preset = rule_map.get("preset", self.preset)
            if self.preset not in PRESETS:
                raise ValueError(f"unknown preset {self.preset!r}")
            for entry in rule_map["rules"]:
                if entry["rule"] not in MAP_RULES:
                    raise ValueError(f"unknown rule {entry['rule']!r}")

    @staticmethod
    def _layer_range(value):
        text = str(value)
        lo, _, hi = text.partition("-")
        return int(lo), int(hi or lo)

    def _user_entry(self, module, number, kind):
        """The rule map entry for a module (number: 1-based mapping-layer number or None):
        name > layers > kind, the later entry among equal ones; None if no entry matches."""
        mapping_rule = kind in ("conv", "linear")
        best, best_rank = None, -1
        for entry in (self.rule_map or {}).get("rules", []):
            if (entry["rule"] not in ("wta", "proportional")) != mapping_rule:
                continue
            if "name" in entry:
                rank, hit = 2, self.node_names.get(id(module)) == entry["name"]
            elif "layers" in entry:
                lo, hi = self._layer_range(entry["layers"])
                rank, hit = 1, number is not None and lo <= number <= hi
            else:
                rank, hit = 0, entry["kind"].lower() == kind.lower()
            if hit and rank >= best_rank:
                best, best_rank = entry, rank
        return best

    def _map_rule(self, entry):
        """zennit rule of a conv/linear rule map entry (missing parameters: the plan's)."""
        name = entry["rule"]
        if name == "epsilon":
            return Epsilon(epsilon=float(entry.get("epsilon", self.epsilon)))
        if name == "z":
            return Epsilon(epsilon=0.0)
        if name == "alpha-beta":
            if "alpha" in entry or "beta" in entry:
                alpha = float(entry["alpha"]) if "alpha" in entry else float(entry["beta"]) + 1
                beta = float(entry["beta"]) if "beta" in entry else alpha - 1
            else:
                alpha, beta = self.alpha, self.beta
            return AlphaBeta(alpha=alpha, beta=beta, stabilizer=STABILIZER)
        if name == "z-plus":
            return ZPlus(stabilizer=STABILIZER)
        if name == "flat":
            return Flat(stabilizer=STABILIZER)
        if name == "wsquare":
            return WSquare(stabilizer=STABILIZER, zero_params='bias')
        if name == "zbox":
            return self._zbox()
        raise ValueError(f"rule {name!r} is not a conv/linear rule")

    def _zbox(self):
        low = torch.as_tensor(self.zbox_low, dtype=torch.float32).reshape(1, -1, 1, 1)
        high = torch.as_tensor(self.zbox_high, dtype=torch.float32).reshape(1, -1, 1, 1)
        return ZBox(low=low, high=high, stabilizer=STABILIZER)

    def _mapping_rule(self, module, index):
        """Rule of the index-th (0-based) mapping layer outside the cut-off region."""
        if index == 0 and self.first_layer is not None:
            if self.first_layer == "flat":
                return Flat(stabilizer=STABILIZER)
            if self.first_layer == "wsquare":
                return WSquare(stabilizer=STABILIZER, zero_params='bias')
            return self._zbox()
        if self.preset == "epsilon":
            return Epsilon(epsilon=self.epsilon)
        if self.preset == "alpha2beta1":
            return AlphaBeta(alpha=self.alpha, beta=self.beta, stabilizer=STABILIZER)
        if index == 0:  # the *-flat composites
            return Flat(stabilizer=STABILIZER)
        if isinstance(module, nn.Linear):
            return Epsilon(epsilon=self.epsilon)
        if self.preset == "epsilon-plus-flat":
            return ZPlus(stabilizer=STABILIZER)
        return AlphaBeta(alpha=self.alpha, beta=self.beta, stabilizer=STABILIZER)

    def hooks(self, model, x):
        """Map id(module) -> zennit hook template for every module that gets a rule."""
        order, pairs = trace(model, x)
        self.fold_pairs = pairs
        mapping = [m for m in order if is_mapping(m)]
        if self.cutoff < 0 or self.cutoff > len(mapping):
            raise ValueError(f"cut-off {self.cutoff} outside 0...{len(mapping)}")
        # K = 0 is "no cut-off": nothing is flat, not even modules before the first mapping layer.
        if self.cutoff == 0:
            boundary = 0
        else:
            boundary = order.index(mapping[self.cutoff]) if self.cutoff < len(mapping) else len(order)
        flat_region = {id(m) for m in order[:boundary]}
        folded = {id(bn) for _, bn in pairs}
        mapping_index = {id(m): i for i, m in enumerate(mapping)}
        hooks = {}
        for module in order:
            flat = id(module) in flat_region
            if is_mapping(module):
                index = mapping_index[id(module)]
                entry = self._user_entry(module, index + 1, "linear" if isinstance(module, nn.Linear) else "conv")
                if flat:
                    rule = Flat(stabilizer=STABILIZER)
                else:
                    rule = self._map_rule(entry) if entry is not None else self._mapping_rule(module, index)
            elif isinstance(module, (Activation, nn.LocalResponseNorm)):
                rule = Pass()   # docs/DESIGN.md §2: activations and LRN pass relevance through
            elif isinstance(module, Sum):
                rule = EqualShares() if flat else Norm(stabilizer=STABILIZER)
            elif isinstance(module, AvgPool):
                rule = FlatPool() if flat else Norm(stabilizer=STABILIZER)
            elif isinstance(module, MaxPool):
                if flat:
                    rule = FlatPool()
                else:
                    entry = self._user_entry(module, None, "maxPool")
                    pool = entry["rule"] if entry is not None else self.max_pool
                    rule = SumPoolNorm() if pool == "proportional" else None
            elif isinstance(module, BatchNorm):
                rule = Pass() if (flat or id(module) in folded) else Epsilon(epsilon=self.epsilon)
            elif isinstance(module, (nn.Flatten, nn.Dropout, nn.Identity)):
                rule = None
            else:
                raise NotImplementedError(f"no docs/DESIGN.md §2 rule for {type(module).__name__}")
            if rule is not None:
                hooks[id(module)] = rule
        return hooks

    def composite(self, model, x):
        hooks = self.hooks(model, x)
        return Composite(module_map=lambda ctx, name, module: hooks.get(id(module)),
                         canonizers=[ExactMergeBatchNorm(self.fold_pairs)])


def relevance(model, x, targets, plan):
    """Input relevance [N, C, H, W] and logits [N, classes] (numpy) for R = one-hot(target) * logit."""
    model.eval()
    x = x.detach().clone().requires_grad_()
    composite = plan.composite(model, x.detach())
    with composite.context(model) as modified:
        logits = modified(x)
        seed = torch.zeros_like(logits)
        rows = torch.arange(logits.shape[0])
        seed[rows, torch.as_tensor(targets)] = logits[rows, torch.as_tensor(targets)].detach()
        rel, = torch.autograd.grad(logits, x, seed)
    return rel.detach().numpy(), logits.detach().numpy()
