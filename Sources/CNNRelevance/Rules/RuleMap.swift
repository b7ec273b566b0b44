import Foundation
import LRPCore

/// The kinds of layers a composite assigns rules to (zennit's layer map). `conv` is every Conv
/// (plain, grouped, depthwise), `linear` every Gemm/MatMul.
public enum LayerCategory: String, CaseIterable, Sendable {
    case conv, linear, maxPool, averagePool, residualSum, unfoldedBatchNorm, activation

    /// Kinds whose rule a rule map may set; the others have fixed treatments (docs/DESIGN.md §2).
    public static let selectable: [LayerCategory] = [.conv, .linear, .maxPool]

    var isMapping: Bool { self == .conv || self == .linear }

    /// The category of a graph operation (its `LayerKind` says); nil for structural ones
    /// (concat, reshape, pad).
    init?(_ op: LayerOp) {
        guard let c = op.kind.category else { return nil }
        self = c
    }
}

/// Which layers an entry of a composite or rule map applies to.
public enum LayerSelector: Sendable, Equatable {
    /// The node of this name (the ONNX node name `lrp-cnn layers` prints).
    case name(String)
    /// Mapping layers by 1-based number K (the numbering of `--cutoff` and `lrp-cnn layers`).
    case mappingIndex(ClosedRange<Int>)
    case kind(LayerCategory)

    /// Precedence among matching entries: name > index > kind.
    var specificity: Int {
        switch self {
        case .name: return 2
        case .mappingIndex: return 1
        case .kind: return 0
        }
    }

    var description: String {
        switch self {
        case .name(let n): return "name '\(n)'"
        case .mappingIndex(let r): return r.count == 1 ? "layer \(r.lowerBound)" : "layers \(r.lowerBound)-\(r.upperBound)"
        case .kind(let k): return "kind \(k.rawValue)"
        }
    }
}

/// A rule with its parameters, as a composite assigns it.
public enum LayerRule: Sendable, Equatable {
    case epsilon(Float)
    case alphaBeta(alpha: Float, beta: Float)
    case zPlus
    case flat
    case wsquare
    /// z-box with the plan's input bounds (from the preprocessing).
    case zbox
    /// Max pooling: all relevance of a window to its maximum.
    case winnerTakeAll
    /// Pooling and residual sums: proportional to the inputs.
    case proportional
    /// Activations: relevance passes unchanged.
    case pass

    var isMapping: Bool {
        switch self {
        case .epsilon, .alphaBeta, .zPlus, .flat, .wsquare, .zbox: return true
        case .winnerTakeAll, .proportional, .pass: return false
        }
    }

    /// Short name without parameters ("epsilon", "alpha-beta", ...; the file's rule names).
    var family: String {
        switch self {
        case .epsilon: return "epsilon"
        case .alphaBeta: return "alpha-beta"
        case .zPlus: return "z-plus"
        case .flat: return "flat"
        case .wsquare: return "wsquare"
        case .zbox: return "zbox"
        case .winnerTakeAll: return "wta"
        case .proportional: return "proportional"
        case .pass: return "pass"
        }
    }
}

/// A user's rule map: entries selecting layers by name, mapping-layer number range or kind, on
/// top of a base preset. Precedence: name > index range > kind > the base preset (the plan's
/// preset with `firstLayer` and `maxPool`); among entries of equal precedence the later wins.
/// File format: RuleMapFile.md.
public struct RuleMap: Sendable, Equatable {
    /// Rule names of the file.
    public enum RuleName: String, CaseIterable, Sendable {
        case epsilon, z, alphaBeta = "alpha-beta", zPlus = "z-plus", flat, wsquare, zbox
        case wta, proportional

        var isMapping: Bool { self != .wta && self != .proportional }

        var parameters: [String] {
            switch self {
            case .epsilon: return ["epsilon"]
            case .alphaBeta: return ["alpha", "beta"]
            default: return []
            }
        }
    }

    public struct Entry: Sendable, Equatable {
        public var selector: LayerSelector
        public var rule: RuleName
        /// Parameters; nil takes the plan's value (`--epsilon`, `--alpha`, `--beta`).
        public var epsilon: Float?
        public var alpha: Float?
        public var beta: Float?

        public init(selector: LayerSelector, rule: RuleName, epsilon: Float? = nil, alpha: Float? = nil,
                    beta: Float? = nil) {
            self.selector = selector
            self.rule = rule
            self.epsilon = epsilon
            self.alpha = alpha
            self.beta = beta
        }

        /// The rule with the plan's values for parameters not given.
        func resolved(_ plan: RulePlan) -> LayerRule {
            switch rule {
            case .epsilon: return .epsilon(epsilon ?? plan.epsilon)
            case .z: return .epsilon(0)
            case .alphaBeta:
                if let alpha { return .alphaBeta(alpha: alpha, beta: beta ?? alpha - 1) }
                if let beta { return .alphaBeta(alpha: beta + 1, beta: beta) }
                return .alphaBeta(alpha: plan.alpha, beta: plan.beta)
            case .zPlus: return .zPlus
            case .flat: return .flat
            case .wsquare: return .wsquare
            case .zbox: return .zbox
            case .wta: return .winnerTakeAll
            case .proportional: return .proportional
            }
        }
    }

    /// Base preset named by the file; nil keeps the plan's.
    public var preset: RulePreset?
    public var entries: [Entry]

    /// - Throws: `LRPError` for an entry whose rule does not fit its selector's kind.
    public init(preset: RulePreset? = nil, entries: [Entry]) throws {
        self.preset = preset
        self.entries = entries
        for (i, e) in entries.enumerated() { try RuleMap.check(e, number: i + 1) }
    }

    /// Reads the JSON format of RuleMapFile.md.
    /// - Throws: `LRPError` naming the entry and the unknown key, kind, rule, parameter or bad range.
    public init(json data: Data) throws {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw LRPError("not valid JSON (\((error as NSError).localizedDescription))")
        }
        guard let top = object as? [String: Any] else {
            throw LRPError("expected a JSON object with \"rules\" (and optionally \"preset\")")
        }
        for key in top.keys where !["preset", "rules", "comment"].contains(key) {
            throw LRPError("unknown key '\(key)' (expected preset, rules, comment)")
        }
        var preset: RulePreset?
        if let p = top["preset"] {
            guard let s = p as? String, let r = RulePreset(rawValue: s) else {
                throw LRPError("unknown preset \(RuleMap.quoted(p)) (expected \(RulePreset.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            preset = r
        }
        guard let list = top["rules"] as? [Any] else { throw LRPError("\"rules\" must be a list of entries") }
        let entries = try list.enumerated().map { try RuleMap.entry($1, number: $0 + 1) }
        try self.init(preset: preset, entries: entries)
    }

    /// Reads a rule map file.
    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw LRPError("cannot read the rule file") }
        try self.init(json: data)
    }

    private static func quoted(_ v: Any) -> String { v is String ? "'\(v)'" : "\(v)" }

    /// A JSON number (not true/false: `is Bool` holds for every NSNumber on Linux).
    private static func number(_ v: Any) -> NSNumber? {
        guard let n = v as? NSNumber, !String(describing: type(of: v)).contains("Boolean") else { return nil }
        return n
    }

    private static func entry(_ item: Any, number i: Int) throws -> Entry {
        let at = "rule \(i)"
        guard let d = item as? [String: Any] else { throw LRPError("\(at): expected an object like {\"kind\": \"conv\", \"rule\": \"epsilon\"}") }
        let selectorKeys = ["name", "layers", "kind"].filter { d[$0] != nil }
        guard selectorKeys.count == 1 else {
            throw LRPError("\(at): give exactly one of \"name\", \"layers\", \"kind\" (got \(selectorKeys.isEmpty ? "none" : selectorKeys.joined(separator: ", ")))")
        }
        let selector: LayerSelector
        switch selectorKeys[0] {
        case "name":
            guard let n = d["name"] as? String, !n.isEmpty else { throw LRPError("\(at): \"name\" must be a non-empty string") }
            selector = .name(n)
        case "layers":
            selector = .mappingIndex(try range(d["layers"]!, at: at))
        default:
            guard let s = d["kind"] as? String,
                  let k = LayerCategory.allCases.first(where: { $0.rawValue.lowercased() == s.lowercased() }) else {
                throw LRPError("\(at): unknown kind \(quoted(d["kind"]!)) (expected \(LayerCategory.selectable.map(\.rawValue).joined(separator: ", ")))")
            }
            selector = .kind(k)
        }
        guard let ruleValue = d["rule"] else { throw LRPError("\(at): missing \"rule\"") }
        guard let s = ruleValue as? String, let rule = RuleName(rawValue: s.lowercased()) else {
            throw LRPError("\(at): unknown rule \(quoted(ruleValue)) (expected \(RuleName.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        var entry = Entry(selector: selector, rule: rule)
        for (key, value) in d where !["name", "layers", "kind", "rule", "comment"].contains(key) {
            guard rule.parameters.contains(key) else {
                let takes = rule.parameters.isEmpty ? "takes no parameters" : "takes \(rule.parameters.joined(separator: ", "))"
                throw LRPError("\(at): unknown parameter '\(key)' (rule \(rule.rawValue) \(takes))")
            }
            guard let n = number(value), n.doubleValue.isFinite else {
                throw LRPError("\(at): parameter '\(key)' must be a number")
            }
            switch key {
            case "epsilon": entry.epsilon = n.floatValue
            case "alpha": entry.alpha = n.floatValue
            default: entry.beta = n.floatValue
            }
        }
        return entry
    }

    /// "3", "1-5" or a number.
    private static func range(_ v: Any, at: String) throws -> ClosedRange<Int> {
        let text: String
        if let n = number(v) { text = n.stringValue } else if let s = v as? String { text = s } else {
            throw LRPError("\(at): \"layers\" must be a number K or a range like \"1-5\"")
        }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard (1...2).contains(parts.count), let lo = Int(parts[0]), let hi = Int(parts.last!) else {
            throw LRPError("\(at): bad layer range '\(text)' (expected K or FIRST-LAST, 1-based, e.g. \"2-5\")")
        }
        guard lo >= 1, lo <= hi else {
            throw LRPError("\(at): bad layer range '\(text)' (layers are numbered from 1 and FIRST <= LAST)")
        }
        return lo...hi
    }

    /// Checks an entry on its own (no graph needed): the rule fits the kind, parameters are valid.
    static func check(_ e: Entry, number i: Int) throws {
        let at = "rule \(i) (\(e.selector.description))"
        switch e.selector {
        case .kind(let k):
            guard LayerCategory.selectable.contains(k) else {
                throw LRPError("\(at): the rule of \(k.rawValue) layers is fixed; a rule map may set \(LayerCategory.selectable.map(\.rawValue).joined(separator: ", "))")
            }
            if k.isMapping != e.rule.isMapping {
                throw LRPError("\(at): rule \(e.rule.rawValue) does not apply to \(k.rawValue) layers (\(k.isMapping ? "conv/linear rules: epsilon, z, alpha-beta, z-plus, flat, wsquare, zbox" : "max pooling: wta, proportional"))")
            }
        case .mappingIndex:
            guard e.rule.isMapping else {
                throw LRPError("\(at): rule \(e.rule.rawValue) is a max-pooling rule; numbered layers are conv/linear layers")
            }
        case .name(let n):
            guard !n.isEmpty else { throw LRPError("\(at): empty layer name") }
        }
        if let eps = e.epsilon, eps < 0 { throw LRPError("\(at): epsilon must be >= 0 (got \(eps))") }
        if e.rule == .alphaBeta {
            let a = e.alpha ?? e.beta.map { $0 + 1 }, b = e.beta ?? e.alpha.map { $0 - 1 }
            if let a, let b {
                guard b >= 0 else { throw LRPError("\(at): beta must be >= 0 (got alpha=\(a), beta=\(b))") }
                guard abs(a - b - 1) <= 1e-5 * max(1, abs(a)) else {
                    throw LRPError("\(at): alpha - beta must equal 1 (got alpha=\(a), beta=\(b))")
                }
            }
        }
    }
}
