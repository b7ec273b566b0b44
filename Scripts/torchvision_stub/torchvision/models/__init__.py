from .resnet import BasicBlock, Bottleneck  # noqa: F401
