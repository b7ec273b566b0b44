/// Datasets (ImageNet folder layout, PASCAL VOC layout) and scores (VOC 2007 AP, mAP, top-1).
public enum Evaluation {}
