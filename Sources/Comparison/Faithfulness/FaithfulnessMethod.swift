/// The model families compared (docs/DESIGN.md §10).
public enum ModelFamily: String, Sendable, Codable, CaseIterable {
    case cnn
    case fisherVector = "fv"

    public var displayName: String { self == .cnn ? "CNN" : "Fisher vector" }
}

/// What ranks the regions of a method.
public enum MethodKind: String, Sendable, Codable {
    /// An LRP relevance map (some rule plan and depth).
    case lrp
    /// A random order of the regions (own seed per image) — the trivial baseline.
    case random
    /// A centred Gaussian map: "the object is in the middle" — the prior baseline.
    case centrePrior = "centre-prior"
}

/// One explanation method of the faithfulness comparison (docs/DESIGN.md §10.2).
/// Ids are stable and used in every output: `cnn/<preset>/K=<k>`, `fv/bin`, `fv/descriptor`,
/// `<family>/random`, `<family>/centre`.
public struct FaithfulnessMethod: Sendable, Codable, Hashable {
    public var id: String
    public var family: ModelFamily
    public var kind: MethodKind
    /// Short legend text, e.g. "CNN ε+flat K=12".
    public var label: String
    /// CNN: rule preset and cut-off.
    public var preset: String?
    public var cutoff: Int?
    /// Fisher vector: "bin" or "descriptor".
    public var resolution: String?

    public init(id: String, family: ModelFamily, kind: MethodKind, label: String, preset: String? = nil,
                cutoff: Int? = nil, resolution: String? = nil) {
        self.id = id
        self.family = family
        self.kind = kind
        self.label = label
        self.preset = preset
        self.cutoff = cutoff
        self.resolution = resolution
    }

    public static func cnn(preset: String, cutoff: Int) -> FaithfulnessMethod {
        FaithfulnessMethod(id: "cnn/\(preset)/K=\(cutoff)", family: .cnn, kind: .lrp, label: "CNN \(preset) K=\(cutoff)",
                           preset: preset, cutoff: cutoff)
    }

    public static func fisher(resolution: String) -> FaithfulnessMethod {
        FaithfulnessMethod(id: "fv/\(resolution)", family: .fisherVector, kind: .lrp, label: "FV \(resolution)",
                           resolution: resolution)
    }

    public static func random(_ family: ModelFamily) -> FaithfulnessMethod {
        FaithfulnessMethod(id: "\(family.rawValue)/random", family: family, kind: .random,
                           label: "\(family == .cnn ? "CNN" : "FV") random")
    }

    public static func centre(_ family: ModelFamily) -> FaithfulnessMethod {
        FaithfulnessMethod(id: "\(family.rawValue)/centre", family: family, kind: .centrePrior,
                           label: "\(family == .cnn ? "CNN" : "FV") centre prior")
    }

    /// Whether a `--methods` pattern selects this method: the id itself, a prefix ending at a
    /// "/" (`cnn`, `cnn/epsilon`), or a kind (`random`, `centre`, `lrp`).
    public func matches(_ pattern: String) -> Bool {
        let p = pattern.trimmingCharacters(in: .whitespaces).lowercased()
        let id = self.id.lowercased()
        if p == "all" || p == id || id.hasPrefix(p.hasSuffix("/") ? p : p + "/") { return true }
        switch kind {
        case .lrp: return p == "lrp"
        case .random: return p == "random"
        case .centrePrior: return p == "centre" || p == "center"
        }
    }
}
