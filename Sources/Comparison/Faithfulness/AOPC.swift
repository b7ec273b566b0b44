/// Area over the perturbation curve (docs/DESIGN.md §10.2, Samek et al. 2017, eq. 12):
/// AOPC = 1/P · Σ over the P scored steps k (step 0 included) of f(x⁽⁰⁾) − f(x⁽ᵏ⁾).
/// Higher for MoRF means removing what the map calls relevant hurts the score quickly;
/// ABPC = AOPC(MoRF) − AOPC(LeRF) also rewards keeping the score while the irrelevant goes.
public enum AOPC {
    /// AOPC of one curve of f values (first value f(x⁽⁰⁾)).
    public static func of(_ curve: [Double]) -> Double {
        guard let f0 = curve.first else { return 0 }
        return curve.reduce(0.0) { $0 + (f0 - $1) } / Double(curve.count)
    }
}
