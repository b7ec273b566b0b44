import LRPCore

/// Average pooling. Relevance proportional to the inputs (zennit's `Norm`); flat in the
/// cut-off region.
struct AveragePoolKind: WindowPoolKind {
    let pool: Pool2D
    var poolKind: PoolLayer.Kind { .average }
    var name: String { "avgpool" }
    var category: LayerCategory? { .averagePool }
}

/// Mean over H and W (GlobalAveragePool, ReduceMean over the spatial axes): average pooling
/// with one window over the whole map. `keepSpatial`: output `[C,1,1]` rather than `[C]`.
struct GlobalAveragePoolKind: LayerKind {
    let keepSpatial: Bool

    var category: LayerCategory? { .averagePool }

    var summary: String { "global avgpool" }
    func isChannelwise(_ io: NodeShapes) -> Bool { true }
    func receptiveField(_ inputs: [ReceptiveField], _ io: NodeShapes) -> ReceptiveField { io.global }

    func lower(_ io: NodeShapes) throws -> any EngineLayer {
        try io.expectInputs(1)
        let input = io.input, c = input.first ?? 0
        guard input.count == 3, (keepSpatial ? io.output == [c, 1, 1] : io.output == [c]) else {
            throw LRPError("\(io.label): global average pooling of \(input) cannot give \(io.output)")
        }
        let whole = Pool2D(kernelH: input[1], kernelW: input[2], strideH: 1, strideW: 1)
        return try PoolLayer.lower(whole, kind: .average, NodeShapes(
            index: io.index, name: io.name, label: io.label, inputs: io.inputs, output: [c, 1, 1], global: io.global))
    }
}
