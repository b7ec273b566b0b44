"""Stub of torchvision for this project's Python scripts.

The real torchvision wheel on PyPI is built against CUDA torch and does not import with the CPU
torch used here. zennit only needs `torchvision.models.resnet.BasicBlock` and `Bottleneck` (for
its ResNet canonizer), which this stub provides with torchvision's own definitions.
"""
__version__ = "0.0.0+lrpstub"
