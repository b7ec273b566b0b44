import LRPCore

/// The cut-off region of docs/DESIGN.md §2. Cut-off K (0 ≤ K ≤ number of mapping layers): every node
/// before the (K+1)-th mapping node in topological order is explained with flat rules
/// (convolution/linear flat, pooling uniform over each window's real inputs, residual sums in
/// equal shares, concatenation by channel, everything else passing through); the nodes from the
/// (K+1)-th mapping node on keep their rules. K = 0 means no cut-off: no node is flat, not even
/// one before the first mapping layer (an input padding or normalisation), so "0 = none" holds.
struct CutOff: Sendable {
    /// Node indices of the mapping layers, in topological order.
    let mappingNodes: [Int]
    let nodeCount: Int

    init(graph: Graph) {
        mappingNodes = graph.nodes.indices.filter { graph.nodes[$0].op.isMapping }
        nodeCount = graph.nodes.count
    }

    var maximum: Int { mappingNodes.count }

    /// Throws unless every cut-off is in `0...maximum`: the one place the range is checked.
    func check(_ cutoffs: [Int]) throws {
        for k in cutoffs where k < 0 || k > maximum {
            throw LRPError("cut-off \(k) is out of range: the model has \(maximum) convolution/linear layers (0...\(maximum))")
        }
    }

    /// First node index that is *not* in the flat region of cut-off `k`.
    func boundary(_ k: Int) -> Int {
        if k == 0 { return 0 }
        return k < mappingNodes.count ? mappingNodes[k] : nodeCount
    }

    func isFlat(node index: Int, cutoff k: Int) -> Bool { index < boundary(k) }
}
