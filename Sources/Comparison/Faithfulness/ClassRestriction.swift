import LRPCore

/// Which ImageNet logits of the CNN correspond to the Fisher-vector model's classes, so that
/// both families explain and are scored on the same classes (docs/DESIGN.md §10.2).
public enum ClassRestriction {
    /// Imagenette's WordNet ids and their index in the ImageNet-1k output.
    public static let imagenetIndex: [String: Int] = [
        "n01440764": 0, "n02102040": 217, "n02979186": 482, "n03000684": 491, "n03028079": 497,
        "n03394916": 566, "n03417042": 569, "n03425413": 571, "n03445777": 574, "n03888257": 701,
    ]

    /// ImageNet indices of `classes` (WordNet ids or plain indices), in the same order.
    /// - Throws: `LRPError` naming the first class the CNN cannot be restricted to.
    public static func indices(for classes: [String], modelClasses: Int) throws -> [Int] {
        try classes.map { id in
            if let i = imagenetIndex[id] ?? Int(id), i >= 0, i < modelClasses { return i }
            throw LRPError("the Fisher-vector model's class '\(id)' has no known ImageNet index: the CNN cannot be restricted to it")
        }
    }
}
