/// Fisher-vector classifier (dense SIFT → PCA → GMM → improved Fisher vectors → linear SVMs)
/// and its relevance at descriptor and SIFT-bin resolution (docs/DESIGN.md §3–§4).
public enum FisherVectors {}
