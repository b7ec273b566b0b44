import LRPCore

/// Which rule each layer gets outside the cut-off region, as data: a list of (selector, rule)
/// entries like zennit's layer map and name map. The base entries are the preset of docs/DESIGN.md §2
/// (zennit's `EpsilonPlusFlat`, `EpsilonAlpha2Beta1Flat`: first mapping layer flat, other
/// convolutions z-plus resp. alpha-beta, linear layers epsilon), the `firstLayer` override, the
/// max-pool rule and the fixed treatments of the other kinds; a user's `RuleMap` follows.
///
/// Resolution: user entries beat base entries; within each, name > index range > kind; among
/// equal ones the later entry wins. The summary is derived from the same entries.
struct Composite: Sendable {
    struct Entry: Sendable {
        let selector: LayerSelector
        let rule: LayerRule
        /// From the user's rule map (beats every base entry).
        let isUser: Bool
    }

    let plan: RulePlan
    let preset: RulePreset
    let entries: [Entry]

    /// - Throws: `LRPError` for a user map whose z-box entries have no valid bounds, or whose
    ///   entries are invalid on their own.
    init(plan: RulePlan) throws {
        self.plan = plan
        let map = plan.ruleMap
        preset = map?.preset ?? plan.preset
        var entries = Composite.presetEntries(preset, plan: plan).map { Entry(selector: $0.0, rule: $0.1, isUser: false) }
        for (i, e) in (map?.entries ?? []).enumerated() {
            try RuleMap.check(e, number: i + 1)
            entries.append(Entry(selector: e.selector, rule: e.resolved(plan), isUser: true))
        }
        self.entries = entries
        if entries.contains(where: { $0.rule == .zbox }) {
            try RulePlan.checkZBoxBounds(low: plan.zBoxLow, high: plan.zBoxHigh)
        }
    }

    /// The base map of a preset (the plan's parameters, `firstLayer` and `maxPool` included).
    static func presetEntries(_ preset: RulePreset, plan: RulePlan) -> [(LayerSelector, LayerRule)] {
        let epsilon = LayerRule.epsilon(plan.epsilon)
        let alphaBeta = LayerRule.alphaBeta(alpha: plan.alpha, beta: plan.beta)
        var map: [(LayerSelector, LayerRule)]
        switch preset {
        case .epsilon:
            map = [(.kind(.conv), epsilon), (.kind(.linear), epsilon)]
        case .alpha2beta1:
            map = [(.kind(.conv), alphaBeta), (.kind(.linear), alphaBeta)]
        case .epsilonPlusFlat:
            map = [(.kind(.conv), .zPlus), (.kind(.linear), epsilon), (.mappingIndex(1...1), .flat)]
        case .epsilonAlpha2Beta1Flat:
            map = [(.kind(.conv), alphaBeta), (.kind(.linear), epsilon), (.mappingIndex(1...1), .flat)]
        }
        if let first = plan.firstLayer {
            let rule: LayerRule
            switch first {
            case .flat: rule = .flat
            case .wsquare: rule = .wsquare
            case .zbox: rule = .zbox
            }
            map.append((.mappingIndex(1...1), rule))
        }
        map += [
            (.kind(.maxPool), plan.maxPool == .winnerTakeAll ? .winnerTakeAll : .proportional),
            (.kind(.averagePool), .proportional),
            (.kind(.residualSum), .proportional),
            (.kind(.unfoldedBatchNorm), epsilon),
            (.kind(.activation), .pass),
        ]
        return map
    }

    /// Whether `rule` is one of `kind`'s rules (conv/linear rules, max-pooling rules; the fixed
    /// treatments of the other kinds take any).
    static func rule(_ rule: LayerRule, appliesTo kind: LayerCategory) -> Bool {
        switch kind {
        case .conv, .linear: return rule.isMapping
        case .maxPool: return rule == .winnerTakeAll || rule == .proportional
        default: return true
        }
    }

    /// The winning entry among those that match, or nil.
    private func resolve(kind: LayerCategory, number: Int?, name: String?) -> Entry? {
        var best: (Int, Entry)?
        for e in entries where Composite.rule(e.rule, appliesTo: kind) {
            let matches: Bool
            switch e.selector {
            case .name(let n): matches = n == name
            case .mappingIndex(let r): matches = number.map(r.contains) ?? false
            case .kind(let k): matches = k == kind
            }
            guard matches else { continue }
            let priority = (e.isUser ? 3 : 0) + e.selector.specificity
            if best == nil || priority >= best!.0 { best = (priority, e) }
        }
        return best?.1
    }

    /// Rule of mapping layer `k` (1-based, the `--cutoff` numbering) named `name`.
    /// - Parameter inputChannels: input channels of that layer (to expand z-box bounds).
    func mappingRule(number k: Int, name: String, isLinear: Bool, inputChannels: Int) -> MappingRule {
        let kind: LayerCategory = isLinear ? .linear : .conv
        let rule = resolve(kind: kind, number: k, name: name)?.rule ?? .flat
        return mappingRule(rule, inputChannels: inputChannels)!
    }

    /// Rule of the max-pooling node `name`.
    /// ε of the epsilon rule on the unfolded batch norm `name` (its entry in the map).
    func unfoldedBatchNormEpsilon(name: String) -> Float {
        if case .epsilon(let e)? = resolve(kind: .unfoldedBatchNorm, number: nil, name: name)?.rule { return e }
        return plan.epsilon
    }

    func maxPoolRule(name: String) -> MaxPoolRule {
        resolve(kind: .maxPool, number: nil, name: name)?.rule == .proportional ? .proportional : .winnerTakeAll
    }

    private func mappingRule(_ rule: LayerRule, inputChannels: Int) -> MappingRule? {
        switch rule {
        case .epsilon(let e): return EpsilonRule(epsilon: e)
        case .alphaBeta(let a, let b): return AlphaBetaRule(alpha: a, beta: b)
        case .zPlus: return AlphaBetaRule(alpha: 1, beta: 0)
        case .flat: return FlatRule()
        case .wsquare: return WSquareRule()
        case .zbox:
            // one bound for all channels, or one per channel (checked in ZBoxRule.prepare)
            let expand = { (b: [Float]) in b.count == 1 ? Array(repeating: b[0], count: inputChannels) : b }
            return ZBoxRule(low: expand(plan.zBoxLow), high: expand(plan.zBoxHigh))
        case .winnerTakeAll, .proportional, .pass: return nil
        }
    }

    /// Summary text of a rule on a layer kind ("z-plus", "alpha-beta(2.0,1.0)", "winner-take-all").
    private func describe(_ rule: LayerRule, kind: LayerCategory) -> String {
        if kind.isMapping, let r = mappingRule(rule, inputChannels: max(1, plan.zBoxLow.count)) { return r.name }
        switch rule {
        case .epsilon(let e): return "epsilon(\(e))"
        case .winnerTakeAll: return "winner-take-all"
        default: return rule.family
        }
    }

    /// Rule of the first mapping layer (as a conv, by number only), e.g. for summaries.
    var firstLayerRule: LayerRule { resolve(kind: .conv, number: 1, name: nil)?.rule ?? .flat }

    /// Whether some entry uses z-box (the summary then lists the bounds).
    var usesZBox: Bool { entries.contains { $0.rule == .zbox } }

    /// The rules dictionary of the JSON summary: the first mapping layer, then one rule per kind,
    /// and the user's entries (`userMap`) if there are any.
    var summary: [String: Any] {
        var s: [String: Any] = ["firstLayer": describe(firstLayerRule, kind: .conv)]
        for kind in LayerCategory.allCases {
            if let e = resolve(kind: kind, number: nil, name: nil) { s[kind.rawValue] = describe(e.rule, kind: kind) }
        }
        let user = entries.filter(\.isUser)
        if !user.isEmpty {
            s["userMap"] = user.map { e -> [String: Any] in
                var d: [String: Any] = ["rule": e.rule.isMapping ? describe(e.rule, kind: .conv) : describe(e.rule, kind: .maxPool)]
                switch e.selector {
                case .name(let n): d["name"] = n
                case .mappingIndex(let r): d["layers"] = r.count == 1 ? "\(r.lowerBound)" : "\(r.lowerBound)-\(r.upperBound)"
                case .kind(let k): d["kind"] = k.rawValue
                }
                return d
            }
        }
        return s
    }

    /// Checks the user's entries against a graph: names exist and name a layer whose kind takes
    /// the rule, index ranges lie within the mapping layers, z-box layers read as many channels
    /// as there are bounds.
    /// - Throws: `LRPError` naming the layer or range.
    func validate(against graph: Graph) throws {
        let mapping = graph.nodes.indices.filter { graph.nodes[$0].op.isMapping }
        for (i, e) in entries.enumerated() where e.isUser {
            let at = "rule \(i - entries.firstIndex(where: \.isUser)! + 1) (\(e.selector.description))"
            switch e.selector {
            case .name(let n):
                let nodes = graph.nodes.filter { $0.name == n }
                guard let node = nodes.first else {
                    let names = graph.nodes.filter { LayerCategory($0.op).map(LayerCategory.selectable.contains) ?? false }.map(\.name)
                    let shown = names.prefix(8).joined(separator: ", ") + (names.count > 8 ? ", ..." : "")
                    throw LRPError("\(at): the model has no layer named '\(n)' (conv/linear/max-pool layers: \(shown))")
                }
                let kind = LayerCategory(node.op)
                guard let kind, LayerCategory.selectable.contains(kind) else {
                    throw LRPError("\(at): layer '\(n)' is a \(node.onnxOp); rules can be set for conv, linear and max-pooling layers")
                }
                if kind.isMapping != e.rule.isMapping {
                    throw LRPError("\(at): rule \(e.rule.family) does not apply to layer '\(n)' (\(node.onnxOp))")
                }
            case .mappingIndex(let r):
                guard r.upperBound <= mapping.count else {
                    throw LRPError("\(at): out of range: the model has \(mapping.count) conv/linear layers (1...\(mapping.count))")
                }
            case .kind:
                break
            }
        }
        guard usesZBox else { return }
        for (k, index) in mapping.enumerated() {
            let node = graph.nodes[index]
            let channels = graph.valueShapes[node.inputs[0].index].first ?? 0
            let rule = resolve(kind: LayerCategory(node.op)!, number: k + 1, name: node.name)?.rule
            if rule == .zbox, plan.zBoxLow.count != 1, plan.zBoxLow.count != channels {
                throw LRPError("z-box bounds have \(plan.zBoxLow.count) values but layer \(k + 1) '\(node.name)' (zbox) has \(channels) input channels (z-box needs a layer that reads the preprocessed input)")
            }
        }
    }
}
