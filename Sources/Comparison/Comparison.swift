/// Comparison of the two model families on the same images (docs/DESIGN.md §10):
/// - `Drawing/`: Cairo canvas for figures and plots;
/// - `Figure/`: Figure-1 panels on the photograph's own geometry;
/// - `Faithfulness/`: region perturbation, AOPC/ABPC with bootstrap intervals;
/// - `Report/`: the self-contained HTML report.
public enum Comparison {}
