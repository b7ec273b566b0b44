import LRPCore

/// Max pooling (ONNX window semantics incl. ceil_mode). Relevance: winner-take-all by default,
/// proportionally as sum pooling on request (`MaxPoolRule`); flat in the cut-off region.
struct MaxPoolKind: WindowPoolKind {
    let pool: Pool2D
    var poolKind: PoolLayer.Kind { .max }
    var name: String { "maxpool" }
    var category: LayerCategory? { .maxPool }
}
