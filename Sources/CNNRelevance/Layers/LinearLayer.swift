import CKernels
import LRPCore

/// Fully connected layer `y = W x + b` on a flat vector: a mapping layer, lowered to a
/// `MappingLayer` that is a 1×1 convolution on a 1×1 map.
struct LinearKind: LayerKind {
    let linear: Linear

    var category: LayerCategory? { .linear }

    var isMapping: Bool { true }
    var summary: String { "linear \(linear.inFeatures)->\(linear.outFeatures)" }

    func receptiveField(_ inputs: [ReceptiveField], _ io: NodeShapes) -> ReceptiveField { io.global }

    func lower(_ io: NodeShapes) throws -> any EngineLayer {
        let l = linear
        try io.expectInputs(1)
        guard io.input.reduce(1, *) == l.inFeatures, io.output.reduce(1, *) == l.outFeatures,
              l.inFeatures > 0, l.outFeatures > 0 else {
            throw LRPError("\(io.label): linear layer \(l.inFeatures)→\(l.outFeatures) does not fit input \(io.input) / output \(io.output)")
        }
        guard l.weight.count == l.inFeatures * l.outFeatures, l.bias == nil || l.bias!.count == l.outFeatures else {
            throw LRPError("\(io.label): weight or bias size does not match \(l.outFeatures)x\(l.inFeatures)")
        }
        try requireFinite(l.weight, "weight", io)
        try requireFinite(l.bias ?? [], "bias", io)
        let g = LrpConvGeometry(inChannels: Int32(l.inFeatures), inHeight: 1, inWidth: 1,
                                outChannels: Int32(l.outFeatures), outHeight: 1, outWidth: 1,
                                kernelH: 1, kernelW: 1, strideH: 1, strideW: 1, padTop: 0, padLeft: 0,
                                dilationH: 1, dilationW: 1, groups: 1)
        return MappingLayer(nodeIndex: io.index, name: io.name, isLinear: true, geometry: g,
                            weight: l.weight, bias: l.bias, input: ValueLayout(shape: [l.inFeatures]),
                            output: ValueLayout(shape: [l.outFeatures]))
    }
}
