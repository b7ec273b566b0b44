"""More ImageNet architectures for the outside acceptance check (Scripts/check_cnn_against_zennit.py),
and "realistic random" weights for every architecture that has no pretrained weights here.

Architectures (torchvision's layouts unless said otherwise; modules everywhere so that zennit can
attach a rule to every activation and pooling, activations not in-place):
- `alexnet_lrn`: BVLC/Caffe AlexNet (CaffeNet order): conv 11x11/4 → ReLU → LRN(5) → max pool 3/2
  ceil_mode → conv 5x5 groups 2 → ReLU → LRN → max pool ceil → conv 3x3 → conv 3x3 groups 2 →
  conv 3x3 groups 2 → max pool ceil → fc 4096 → fc 4096 → fc 1000. Flattened with
  `x.reshape(x.size(0), -1)` (old torchvision style: Shape/Gather/Unsqueeze/Concat → Reshape in ONNX).
  Meant for Caffe preprocessing (BGR, 0..255 minus the mean), where LRN does change the values.
- `googlenet`: torchvision's GoogLeNet without auxiliary heads and without `transform_input`
  (BasicConv2d = conv without bias + BN(eps 1e-3) + ReLU; inception blocks of four branches, the
  pool branch a 3x3/1 max pool with ceil_mode; stem and stage max pools 3/2 ceil_mode), flattened
  with `x.reshape(x.size(0), -1)`.
- `densenet121`: torchvision's DenseNet-121 (growth 32, blocks 6/12/24/16, BN-ReLU-conv layers
  whose first BN reads a concatenation and so cannot be folded, transitions with 2x2 average
  pooling), ReLU/global pooling/flatten as modules.
- `resnet18`, `vgg11_bn`, `mobilenet_v2`, `densenet_tiny` come from Scripts/imagenet_models.py;
  `vgg11_bn_tv` adds torchvision's AdaptiveAvgPool2d((7, 7)) (an identity-sized AveragePool in ONNX).

`realistic(model, images, seed)`: He-normal (fan-in) conv/linear weights, small biases, batch-norm
scales/shifts drawn around 1/0, and batch-norm running statistics measured by forward passes over
natural inputs (random crops and flips of the given pictures) — so that activations have the
magnitudes of a trained net rather than exploding or vanishing, and folded batch norms are not
trivial. Only MobileNetV2 has real (ImageNet) weights here.
"""
import torch
from torch import nn

from imagenet_models import DenseLayer, VGG11BN, load as load_reference


class AlexNetLRN(nn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 96, 11, 4), nn.ReLU(), nn.LocalResponseNorm(5, 1e-4, 0.75, 1.0),
            nn.MaxPool2d(3, 2, ceil_mode=True),
            nn.Conv2d(96, 256, 5, padding=2, groups=2), nn.ReLU(), nn.LocalResponseNorm(5, 1e-4, 0.75, 1.0),
            nn.MaxPool2d(3, 2, ceil_mode=True),
            nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(),
            nn.Conv2d(384, 384, 3, padding=1, groups=2), nn.ReLU(),
            nn.Conv2d(384, 256, 3, padding=1, groups=2), nn.ReLU(),
            nn.MaxPool2d(3, 2, ceil_mode=True))
        self.classifier = nn.Sequential(nn.Linear(256 * 6 * 6, 4096), nn.ReLU(), nn.Dropout(),
                                        nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(),
                                        nn.Linear(4096, num_classes))

    def forward(self, x):
        x = self.features(x)
        return self.classifier(x.reshape(x.size(0), -1))


class BasicConv2d(nn.Module):
    def __init__(self, inp, out, **kwargs):
        super().__init__()
        self.conv = nn.Conv2d(inp, out, bias=False, **kwargs)
        self.bn = nn.BatchNorm2d(out, eps=0.001)
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.bn(self.conv(x)))


class Inception(nn.Module):
    def __init__(self, inp, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj):
        super().__init__()
        self.branch1 = BasicConv2d(inp, ch1x1, kernel_size=1)
        self.branch2 = nn.Sequential(BasicConv2d(inp, ch3x3red, kernel_size=1),
                                     BasicConv2d(ch3x3red, ch3x3, kernel_size=3, padding=1))
        # torchvision's GoogLeNet uses 3x3 here too (a known deviation from the paper's 5x5).
        self.branch3 = nn.Sequential(BasicConv2d(inp, ch5x5red, kernel_size=1),
                                     BasicConv2d(ch5x5red, ch5x5, kernel_size=3, padding=1))
        self.branch4 = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1, ceil_mode=True),
                                     BasicConv2d(inp, pool_proj, kernel_size=1))

    def forward(self, x):
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


class GoogLeNet(nn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        self.conv1 = BasicConv2d(3, 64, kernel_size=7, stride=2, padding=3)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = BasicConv2d(64, 64, kernel_size=1)
        self.conv3 = BasicConv2d(64, 192, kernel_size=3, padding=1)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.inception3a = Inception(192, 64, 96, 128, 16, 32, 32)
        self.inception3b = Inception(256, 128, 128, 192, 32, 96, 64)
        self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.inception4a = Inception(480, 192, 96, 208, 16, 48, 64)
        self.inception4b = Inception(512, 160, 112, 224, 24, 64, 64)
        self.inception4c = Inception(512, 128, 128, 256, 24, 64, 64)
        self.inception4d = Inception(512, 112, 144, 288, 32, 64, 64)
        self.inception4e = Inception(528, 256, 160, 320, 32, 128, 128)
        self.maxpool4 = nn.MaxPool2d(2, stride=2, ceil_mode=True)
        self.inception5a = Inception(832, 256, 160, 320, 32, 128, 128)
        self.inception5b = Inception(832, 384, 192, 384, 48, 128, 128)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(0.2)
        self.fc = nn.Linear(1024, num_classes)

    def forward(self, x):
        x = self.maxpool1(self.conv1(x))
        x = self.maxpool2(self.conv3(self.conv2(x)))
        x = self.maxpool3(self.inception3b(self.inception3a(x)))
        for name in ("4a", "4b", "4c", "4d", "4e"):
            x = getattr(self, "inception" + name)(x)
        x = self.inception5b(self.inception5a(self.maxpool4(x)))
        x = self.avgpool(x)
        return self.fc(self.dropout(x.reshape(x.size(0), -1)))


class DenseNet121(nn.Module):
    def __init__(self, num_classes=1000, growth=32, blocks=(6, 12, 24, 16), init_features=64):
        super().__init__()
        layers = [nn.Conv2d(3, init_features, 7, 2, 3, bias=False), nn.BatchNorm2d(init_features), nn.ReLU(),
                  nn.MaxPool2d(3, 2, 1)]
        c = init_features
        for i, n in enumerate(blocks):
            for j in range(n):
                layers.append(DenseLayer(c + j * growth, growth))
            c += n * growth
            if i != len(blocks) - 1:
                layers += [nn.BatchNorm2d(c), nn.ReLU(), nn.Conv2d(c, c // 2, 1, bias=False), nn.AvgPool2d(2, 2)]
                c //= 2
        layers += [nn.BatchNorm2d(c), nn.ReLU()]
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d((1, 1))
        self.flatten = nn.Flatten()
        self.classifier = nn.Linear(c, num_classes)

    def forward(self, x):
        return self.classifier(self.flatten(self.pool(self.features(x))))


class VGG11BNTorchvision(VGG11BN):
    """VGG-11-BN with torchvision's AdaptiveAvgPool2d((7, 7)) between features and classifier."""

    def __init__(self, num_classes=1000):
        super().__init__(num_classes)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))

    def forward(self, x):
        return self.classifier(self.flatten(self.avgpool(self.features(x))))


ARCHITECTURES = ("mobilenet_v2", "resnet18", "vgg11_bn_tv", "densenet121", "alexnet_lrn", "googlenet",
                 "densenet_tiny", "vgg11_bn")
# The pictures each architecture expects: torchvision's ImageNet normalisation, or Caffe's.
PREPROCESS = {name: ("caffe" if name == "alexnet_lrn" else "imagenet") for name in ARCHITECTURES}


def he_init(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                fan_in = m.weight[0].numel()
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) * (2.0 / fan_in) ** 0.5)
                if m.bias is not None:
                    m.bias.copy_(0.05 * torch.randn(m.bias.shape, generator=g))
            elif isinstance(m, nn.BatchNorm2d):
                c = m.num_features
                m.weight.copy_(0.6 + 0.8 * torch.rand(c, generator=g))
                m.bias.copy_(0.1 * torch.randn(c, generator=g))
    return model


def calibrate_batch_norms(model, batches):
    """Running statistics = the average over `batches` of the batch statistics (train-mode forward)."""
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    if not bns:
        return model
    saved = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None            # cumulative average over the calibration batches
    model.train()
    with torch.no_grad():
        for b in batches:
            model(b)
    for m, mom in zip(bns, saved):
        m.momentum = mom
    return model.eval()


def build(name, seed=0, calibration=None):
    """The named architecture in eval mode: MobileNetV2 with ImageNet weights; the others He-init
    with batch-norm statistics from `calibration` (an iterable of [N,3,224,224] batches)."""
    if name == "mobilenet_v2":
        return load_reference("mobilenet_v2")
    ctor = {"alexnet_lrn": AlexNetLRN, "googlenet": GoogLeNet, "densenet121": DenseNet121,
            "vgg11_bn_tv": VGG11BNTorchvision}.get(name)
    if ctor is None:
        model = load_reference(name, seed=seed)   # resnet18, vgg11_bn, densenet_tiny: skeleton
    else:
        torch.manual_seed(seed)
        model = ctor()
    he_init(model, seed)
    if calibration is not None:
        calibrate_batch_norms(model, calibration)
    return model.eval()
