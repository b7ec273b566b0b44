/// Which rule each mapping layer gets outside the cut-off region: the presets of DESIGN §2 as
/// zennit's composites define them (`EpsilonPlusFlat`, `EpsilonAlpha2Beta1Flat`: the first
/// mapping layer flat, other convolutions z-plus resp. alpha-beta, linear layers epsilon), plus
/// the `firstLayer` override. The non-mapping layers' treatments are fixed by DESIGN §2 (see
/// `LayerRules`), apart from `RulePlan.maxPool`.
struct Composite: Sendable {
    let plan: RulePlan

    /// Rule of the `index`-th (0-based, topological order) mapping layer.
    /// - Parameter inputChannels: input channels of that layer (to expand z-box bounds).
    func rule(mappingIndex index: Int, isLinear: Bool, inputChannels: Int) -> MappingRule {
        if index == 0, let first = plan.firstLayer {
            switch first {
            case .flat: return FlatRule()
            case .wsquare: return WSquareRule()
            case .zbox:
                // one bound for all channels, or one per channel (checked in ZBoxRule.prepare)
                let expand = { (b: [Float]) in b.count == 1 ? Array(repeating: b[0], count: inputChannels) : b }
                return ZBoxRule(low: expand(plan.zBoxLow), high: expand(plan.zBoxHigh))
            }
        }
        switch plan.preset {
        case .epsilon:
            return EpsilonRule(epsilon: plan.epsilon)
        case .alpha2beta1:
            return AlphaBetaRule(alpha: plan.alpha, beta: plan.beta)
        case .epsilonPlusFlat, .epsilonAlpha2Beta1Flat:
            if index == 0 { return FlatRule() }
            if isLinear { return EpsilonRule(epsilon: plan.epsilon) }
            return plan.preset == .epsilonPlusFlat ? AlphaBetaRule(alpha: 1, beta: 0)
                                                   : AlphaBetaRule(alpha: plan.alpha, beta: plan.beta)
        }
    }

    /// Name of the first mapping layer's rule when no override is given.
    static func presetFirstLayerName(_ preset: RulePreset) -> String {
        switch preset {
        case .epsilon: return "epsilon"
        case .alpha2beta1: return "alpha-beta"
        case .epsilonPlusFlat, .epsilonAlpha2Beta1Flat: return "flat"
        }
    }

    /// Rules by layer kind, for summaries.
    static func ruleDescription(_ plan: RulePlan) -> [String: String] {
        let c = Composite(plan: plan)
        let first = c.rule(mappingIndex: 0, isLinear: false, inputChannels: max(1, plan.zBoxLow.count)).name
        return [
            "firstLayer": first,
            "conv": c.rule(mappingIndex: 1, isLinear: false, inputChannels: 1).name,
            "linear": c.rule(mappingIndex: 1, isLinear: true, inputChannels: 1).name,
            "maxPool": plan.maxPool == .winnerTakeAll ? "winner-take-all" : "proportional",
            "averagePool": "proportional",
            "residualSum": "proportional",
            "unfoldedBatchNorm": "epsilon(\(plan.epsilon))",
        ]
    }
}

extension Composite {
    /// Checks the composite's selectors against the graph's layers.
    func validate(against graph: Graph) throws {}

    /// Rule of the mapping layer numbered `k` (1-based, as `--cutoff` counts).
    func mappingRule(number k: Int, name: String, isLinear: Bool, inputChannels: Int) -> MappingRule {
        rule(mappingIndex: k - 1, isLinear: isLinear, inputChannels: inputChannels)
    }

    func maxPoolRule(name: String) -> MaxPoolRule { plan.maxPool }

    /// ε of the epsilon rule on unfolded batch norms.
    var unfoldedBatchNormEpsilon: Float { plan.epsilon }
}
