// CONTRACT STUB (lead): public API shared by the engine (owner: engine engineer) and the CLI
// (owner: importer/CLI engineer). The engine engineer replaces the bodies and may add to the
// API; changing these signatures needs a note in the report.

/// Rule for the first mapping layer (pixels), overriding the preset's (`--first-layer`).
public enum FirstLayerRule: String, CaseIterable, Sendable {
    case flat, wsquare, zbox
}

/// Named rule plans (zennit's composites of the same names, DESIGN §2).
public enum RulePreset: String, CaseIterable, Sendable {
    case epsilon
    case alpha2beta1
    case epsilonPlusFlat = "epsilon-plus-flat"
    case epsilonAlpha2Beta1Flat = "epsilon-alpha2beta1-flat"
}

/// How max-pooling passes relevance outside the cut-off region.
public enum MaxPoolRule: String, CaseIterable, Sendable {
    /// All relevance of a window to its maximum (default).
    case winnerTakeAll = "wta"
    /// Proportionally to the inputs, as sum-pooling.
    case proportional
}

/// A whole rule plan: which rule each layer uses (before the cut-off is applied).
public struct RulePlan: Sendable {
    public var preset: RulePreset
    public var epsilon: Float
    public var alpha: Float
    public var beta: Float
    public var firstLayer: FirstLayerRule?
    public var maxPool: MaxPoolRule
    /// z-box input bounds per input channel (in the preprocessed input's units).
    public var zBoxLow: [Float]
    public var zBoxHigh: [Float]

    /// - Throws: `LRPError` for impossible options (α − β ≠ 1, β < 0, ε < 0, z-box without bounds).
    public init(preset: RulePreset, epsilon: Float = 1e-6, alpha: Float = 2, beta: Float = 1,
                firstLayer: FirstLayerRule? = nil, maxPool: MaxPoolRule = .winnerTakeAll,
                zBoxLow: [Float] = [], zBoxHigh: [Float] = []) throws {
        self.preset = preset
        self.epsilon = epsilon
        self.alpha = alpha
        self.beta = beta
        self.firstLayer = firstLayer
        self.maxPool = maxPool
        self.zBoxLow = zBoxLow
        self.zBoxHigh = zBoxHigh
    }

    /// Description for the JSON summary (preset, parameters, first-layer rule, ...).
    public var summary: [String: Any] { ["preset": preset.rawValue] }
}
