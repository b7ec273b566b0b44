import LRPCore

/// Max pooling (ONNX window semantics incl. ceil_mode). Relevance: winner-take-all by default,
/// proportionally as sum pooling on request (`MaxPoolRule`); flat in the cut-off region.
struct MaxPoolKind: LayerKind {
    let pool: Pool2D

    var category: LayerCategory? { .maxPool }

    var summary: String {
        "maxpool \(windowSummary(pool.kernelH, pool.kernelW, pool.strideH, pool.strideW))\(pool.ceilMode ? " ceil" : "")"
    }
    func isChannelwise(_ io: NodeShapes) -> Bool { true }
    func receptiveField(_ inputs: [ReceptiveField], _ io: NodeShapes) -> ReceptiveField {
        PoolLayer.receptiveField(pool, inputs, io)
    }
    func lower(_ io: NodeShapes) throws -> any EngineLayer { try PoolLayer.lower(pool, kind: .max, io) }
}
