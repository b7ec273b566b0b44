import LRPCore

/// Rule for the first mapping layer (pixels), overriding the preset's (`--first-layer`).
public enum FirstLayerRule: String, CaseIterable, Sendable {
    case flat, wsquare, zbox
}

/// Named rule plans (zennit's composites of the same names, docs/DESIGN.md §2).
public enum RulePreset: String, CaseIterable, Sendable {
    /// Epsilon on every convolution and linear layer.
    case epsilon
    /// Alpha-beta (α, β; the paper's α=2, β=1) on every convolution and linear layer.
    case alpha2beta1
    /// zennit's `EpsilonPlusFlat`: first mapping layer flat, convolutions z-plus, linear epsilon.
    case epsilonPlusFlat = "epsilon-plus-flat"
    /// zennit's `EpsilonAlpha2Beta1Flat`: first mapping layer flat, convolutions alpha-beta,
    /// linear epsilon.
    case epsilonAlpha2Beta1Flat = "epsilon-alpha2beta1-flat"
}

/// How max-pooling passes relevance outside the cut-off region.
public enum MaxPoolRule: String, CaseIterable, Sendable {
    /// All relevance of a window to its maximum (default).
    case winnerTakeAll = "wta"
    /// Proportionally to the inputs, as sum-pooling.
    case proportional
}

/// A whole rule plan: which rule each layer uses (before the cut-off is applied). The mapping
/// from layers to rules is `Composite` (the preset's entries plus `ruleMap`); the cut-off region
/// is `CutOff`.
public struct RulePlan: Sendable {
    public var preset: RulePreset
    /// ε of the epsilon rule (convolution/linear layers under epsilon, unfolded batch norms).
    public var epsilon: Float
    public var alpha: Float
    public var beta: Float
    public var firstLayer: FirstLayerRule?
    public var maxPool: MaxPoolRule
    /// z-box input bounds per input channel (in the preprocessed input's units); used by the
    /// z-box rule (`firstLayer` or a rule map entry).
    public var zBoxLow: [Float]
    public var zBoxHigh: [Float]
    /// User rules on top of the preset (name > index range > kind > preset); nil: the preset alone.
    public var ruleMap: RuleMap?

    /// The stabiliser of every rule other than epsilon (alpha-beta, z-plus, flat, w-square, z-box,
    /// proportional pooling and sums): zennit's default, added with sign (sign(0) = +1).
    public static let stabilizer: Float = 1e-6

    /// - Throws: `LRPError` for impossible options (α − β ≠ 1, β < 0, ε < 0, z-box without bounds).
    public init(preset: RulePreset, epsilon: Float = 1e-6, alpha: Float = 2, beta: Float = 1,
                firstLayer: FirstLayerRule? = nil, maxPool: MaxPoolRule = .winnerTakeAll,
                zBoxLow: [Float] = [], zBoxHigh: [Float] = [], ruleMap: RuleMap? = nil) throws {
        guard epsilon.isFinite, epsilon >= 0 else {
            throw LRPError("epsilon must be a finite number >= 0 (got \(epsilon))")
        }
        guard alpha.isFinite, beta.isFinite else {
            throw LRPError("alpha and beta must be finite numbers (got alpha=\(alpha), beta=\(beta))")
        }
        guard beta >= 0 else { throw LRPError("beta must be >= 0 (got \(beta))") }
        guard abs(alpha - beta - 1) <= 1e-5 * max(1, abs(alpha)) else {
            throw LRPError("alpha - beta must equal 1 (got alpha=\(alpha), beta=\(beta))")
        }
        if firstLayer == .zbox { try RulePlan.checkZBoxBounds(low: zBoxLow, high: zBoxHigh) }
        self.preset = preset
        self.epsilon = epsilon
        self.alpha = alpha
        self.beta = beta
        self.firstLayer = firstLayer
        self.maxPool = maxPool
        self.zBoxLow = zBoxLow
        self.zBoxHigh = zBoxHigh
        self.ruleMap = ruleMap
    }

    static func checkZBoxBounds(low: [Float], high: [Float]) throws {
        guard !low.isEmpty, !high.isEmpty else {
            throw LRPError("the z-box rule needs lower and upper input bounds (one per input channel)")
        }
        guard low.count == high.count else {
            throw LRPError("z-box bounds differ in length: \(low.count) lower, \(high.count) upper")
        }
        guard zip(low, high).allSatisfy({ $0.isFinite && $1.isFinite && $0 <= $1 }) else {
            throw LRPError("z-box bounds must be finite with lower <= upper for every channel")
        }
    }

    /// Checks the rule map against a model: layer names exist, index ranges are in range, z-box
    /// layers fit the bounds.
    /// - Throws: `LRPError` naming the entry and the layer.
    public func validate(against graph: Graph) throws {
        try Composite(plan: self).validate(against: graph)
    }

    /// Description for the JSON summary (preset, parameters, first-layer rule, ...), derived
    /// from the composite.
    public var summary: [String: Any] {
        let composite: Composite
        do { composite = try Composite(plan: self) } catch { return ["error": error.userMessage] }
        let pool = composite.maxPoolRule(name: "")
        var s: [String: Any] = [
            "preset": composite.preset.rawValue,
            "epsilon": Double(epsilon),
            "alpha": Double(alpha),
            "beta": Double(beta),
            "firstLayer": composite.firstLayerRule.family,
            "maxPool": pool.rawValue,
            "stabilizer": Double(RulePlan.stabilizer),
            "rules": composite.summary,
        ]
        if composite.usesZBox {
            s["zBoxLow"] = zBoxLow.map(Double.init)
            s["zBoxHigh"] = zBoxHigh.map(Double.init)
        }
        return s
    }
}
