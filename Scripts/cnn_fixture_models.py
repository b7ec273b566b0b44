"""The small CNNs of the relevance fixtures (Tests/Fixtures/cnn). Random weights, fixed seeds.

Modules are registered in the order the forward pass runs them, so that module order, zennit's
leaf order (batch-norm merging) and the exported ONNX node order all agree.
"""
import torch
from torch import nn

from lrp_zennit import Add2


def randomize_parameters(model, generator):
    """He-normal weights (activations stay of order one through the layers), small random
    biases, and non-trivial batch-norm statistics and affine parameters (eval mode uses them)."""
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            fan_in = m.weight[0].numel()
            with torch.no_grad():
                m.weight.copy_(torch.randn(m.weight.shape, generator=generator) * (2.0 / fan_in) ** 0.5)
                if m.bias is not None:
                    m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=generator))
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            with torch.no_grad():
                m.running_mean.copy_(0.2 * torch.randn(c, generator=generator))
                m.running_var.copy_(0.5 + torch.rand(c, generator=generator))
                m.weight.copy_(0.6 + 0.8 * torch.rand(c, generator=generator))
                m.bias.copy_(0.2 * torch.randn(c, generator=generator))


class Plain(nn.Module):
    """Sequential: padded conv + folded BN, strided conv, ReLU6 (Clip), dilated conv, max pooling
    with ceil_mode, flatten, two linear layers. Input 3x16x16."""
    covers = ["conv", "strided-conv", "padded-conv", "dilated-conv", "batchnorm-folded", "relu", "relu6",
              "maxpool", "maxpool-ceil", "flatten", "linear"]
    input_shape = (3, 16, 16)

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(8, 8, 3, stride=2, padding=1)
        self.relu2 = nn.ReLU6()
        self.conv3 = nn.Conv2d(8, 12, 3, padding=2, dilation=2)
        self.relu3 = nn.ReLU()
        self.pool = nn.MaxPool2d(3, stride=2, ceil_mode=True)   # 8x8 -> 4x4 (last window partial)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(12 * 4 * 4, 16)
        self.relu4 = nn.ReLU()
        self.fc2 = nn.Linear(16, 10)

    def forward(self, x):
        x = self.relu1(self.bn1(self.conv1(x)))
        x = self.relu2(self.conv2(x))
        x = self.relu3(self.conv3(x))
        x = self.flatten(self.pool(x))
        return self.fc2(self.relu4(self.fc1(x)))


class Mobile(nn.Module):
    """MobileNet-like: depthwise and pointwise convs with folded BN and ReLU6, an inverted-residual
    sum, a grouped strided conv, average pooling followed by a batch norm that cannot be folded,
    global average pooling, linear. Input 3x16x16."""
    covers = ["conv", "depthwise", "grouped-conv", "strided-conv", "batchnorm-folded", "batchnorm-unfolded",
              "relu6", "relu", "residual-sum", "avgpool", "global-avgpool", "flatten", "linear"]
    input_shape = (3, 16, 16)

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.act1 = nn.ReLU6()
        self.dw = nn.Conv2d(16, 16, 3, padding=1, groups=16, bias=False)
        self.bn_dw = nn.BatchNorm2d(16)
        self.act_dw = nn.ReLU6()
        self.pw = nn.Conv2d(16, 16, 1, bias=False)
        self.bn_pw = nn.BatchNorm2d(16)
        self.add = Add2()
        self.grouped = nn.Conv2d(16, 24, 3, stride=2, padding=1, groups=4)
        self.act2 = nn.ReLU()
        self.avg = nn.AvgPool2d(2, stride=2)                   # 8x8 -> 4x4
        self.bn_after_pool = nn.BatchNorm2d(24)                # cannot be folded
        self.conv3 = nn.Conv2d(24, 32, 1)
        self.act3 = nn.ReLU()
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = self.act1(self.bn1(self.conv1(x)))
        y = self.act_dw(self.bn_dw(self.dw(x)))
        y = self.bn_pw(self.pw(y))
        x = self.add(x, y)
        x = self.act2(self.grouped(x))
        x = self.bn_after_pool(self.avg(x))
        x = self.act3(self.conv3(x))
        return self.fc(self.flatten(self.gap(x)))


class Branchy(nn.Module):
    """Inception/ResNet-like on 3x32x32: strided 5x5 conv, padded max pooling, two branches joined
    by concatenation, a residual sum followed by a batch norm that cannot be folded, padded
    average pooling (count_include_pad), global average pooling, linear."""
    covers = ["conv", "strided-conv", "padded-conv", "relu", "maxpool", "maxpool-padded", "concat",
              "residual-sum", "batchnorm-folded", "batchnorm-unfolded", "avgpool", "avgpool-padded",
              "global-avgpool", "flatten", "linear"]
    input_shape = (3, 32, 32)

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 5, stride=2, padding=2)     # 32 -> 16
        self.stem_act = nn.ReLU()
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)        # 16 -> 8
        self.branch_a = nn.Conv2d(8, 8, 1)
        self.act_a = nn.ReLU()
        self.branch_b1 = nn.Conv2d(8, 4, 3, padding=1)
        self.act_b1 = nn.ReLU()
        self.branch_b2 = nn.Conv2d(4, 8, 3, padding=1)
        self.act_b2 = nn.ReLU()
        self.res_conv = nn.Conv2d(16, 16, 3, padding=1, bias=False)
        self.res_bn = nn.BatchNorm2d(16)
        self.add = Add2()
        self.bn_after_add = nn.BatchNorm2d(16)                  # cannot be folded
        self.act = nn.ReLU()
        self.avg = nn.AvgPool2d(3, stride=2, padding=1)         # 8 -> 4, count_include_pad
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = self.pool(self.stem_act(self.stem(x)))
        a = self.act_a(self.branch_a(x))
        b = self.act_b2(self.branch_b2(self.act_b1(self.branch_b1(x))))
        x = torch.cat([a, b], dim=1)
        y = self.res_bn(self.res_conv(x))
        x = self.act(self.bn_after_add(self.add(x, y)))
        x = self.avg(x)
        return self.fc(self.flatten(self.gap(x)))


MODELS = {"plain": Plain, "mobile": Mobile, "branchy": Branchy}
