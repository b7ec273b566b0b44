/// The model as the relevance engine sees it: a topologically ordered list of layers over
/// float32 NCHW values. The ONNX importer builds it (`ONNXImporter`), canonizers rewrite it
/// (batch-norm folding, bias folding, identity removal), the engine runs and explains it.
///
/// Shapes exclude the batch dimension: `[C, H, W]` for feature maps, `[F]` for vectors.
public struct Graph: Sendable {
    /// Name of the ONNX graph input that receives the image tensor.
    public var inputName: String
    /// Per-sample input shape, `[C, H, W]`.
    public var inputShape: [Int]
    /// Shape of every value, indexed by `ValueID.index`. Value 0 is the input.
    public var valueShapes: [[Int]]
    /// ONNX tensor name of every value (for messages and `layers`).
    public var valueNames: [String]
    /// Layers in topological order; each produces exactly one new value.
    public var nodes: [Node]
    /// The value holding the logits (before any softmax).
    public var output: ValueID
    /// Whether the model ended in a Softmax that canonicalisation removed (the logits are explained).
    public var removedOutputSoftmax: Bool = false
    /// For a graph restricted with `restrictingOutputs(to:)`: the original class index of each
    /// output, in output order; nil when the outputs are the model's own.
    public var outputClasses: [Int]? = nil

    public init(inputName: String, inputShape: [Int], valueShapes: [[Int]], valueNames: [String],
                nodes: [Node], output: ValueID) {
        self.inputName = inputName
        self.inputShape = inputShape
        self.valueShapes = valueShapes
        self.valueNames = valueNames
        self.nodes = nodes
        self.output = output
    }
}

/// Index of a value (an intermediate tensor) in `Graph.valueShapes`.
public struct ValueID: Hashable, Sendable, CustomStringConvertible {
    public let index: Int
    public init(_ index: Int) { self.index = index }
    public var description: String { "v\(index)" }
}

/// One layer: an operation, the values it reads and the value it writes.
public struct Node: Sendable {
    /// The ONNX node name (or a generated one), used in messages and `layers`.
    public var name: String
    /// The ONNX op type it came from (e.g. "Conv", "Gemm", "BatchNormalization").
    public var onnxOp: String
    public var op: LayerOp
    public var inputs: [ValueID]
    public var output: ValueID

    public init(name: String, onnxOp: String, op: LayerOp, inputs: [ValueID], output: ValueID) {
        self.name = name
        self.onnxOp = onnxOp
        self.op = op
        self.inputs = inputs
        self.output = output
    }
}

/// The operations the engine understands. Everything ONNX offers beyond these is either folded
/// away by the importer (constant sub-graphs, Shape/Gather/Unsqueeze feeding Reshape, ...) or
/// rejected with an error naming the op and the node.
public enum LayerOp: Sendable {
    /// 2-D convolution (also depthwise / grouped). A mapping layer.
    case conv(Conv2D)
    /// Fully connected layer `y = W x + b` on a flat vector. A mapping layer.
    case linear(Linear)
    /// max(x, 0). Relevance passes through.
    case relu
    /// x for x ≥ 0, alpha·x below. Relevance passes through.
    case leakyRelu(alpha: Float)
    /// clamp(x, min, max), e.g. ReLU6. Relevance passes through.
    case clip(min: Float, max: Float)
    case maxPool(Pool2D)
    case averagePool(Pool2D)
    /// Mean over H and W (GlobalAveragePool, or ReduceMean over the spatial axes);
    /// `keepSpatial` tells whether the output is `[C,1,1]` (true) or `[C]` (false).
    case globalAveragePool(keepSpatial: Bool)
    /// Per-channel `y = scale[c] * x + shift[c]`: a batch normalisation that could not be
    /// folded into a preceding mapping layer, or a bias added on its own. Explained with epsilon.
    case channelAffine(ChannelAffine)
    /// Element-wise sum of two values of the same shape (residual connection).
    case add
    /// Concatenation along the channel axis (axis 1 in NCHW; per-sample axis 0).
    case concat
    /// Reinterpret the per-sample shape (Flatten, Reshape, Squeeze, Unsqueeze). Data order is
    /// unchanged (C order), so relevance is reshaped back.
    case reshape(shape: [Int])
    /// Constant padding of the spatial axes; relevance of the padding is dropped.
    case pad(Padding2D)
    /// Local response normalisation across channels. Relevance passes through.
    case lrn(size: Int, alpha: Float, beta: Float, bias: Float)
    /// Identity, Dropout (inference).
    case identity
    /// Softmax along the feature axis. Only allowed as the last layer; the engine explains
    /// the logits it receives.
    case softmax
}

/// Convolution parameters; weights in ONNX/PyTorch layout `[outC, inC/groups, kH, kW]`.
public struct Conv2D: Sendable {
    public var weight: [Float]
    public var bias: [Float]?
    public var outChannels: Int
    public var inChannels: Int
    public var kernelH: Int
    public var kernelW: Int
    public var strideH: Int
    public var strideW: Int
    public var padTop: Int
    public var padLeft: Int
    public var padBottom: Int
    public var padRight: Int
    public var dilationH: Int
    public var dilationW: Int
    public var groups: Int

    public init(weight: [Float], bias: [Float]?, outChannels: Int, inChannels: Int,
                kernelH: Int, kernelW: Int, strideH: Int = 1, strideW: Int = 1,
                padTop: Int = 0, padLeft: Int = 0, padBottom: Int = 0, padRight: Int = 0,
                dilationH: Int = 1, dilationW: Int = 1, groups: Int = 1) {
        self.weight = weight
        self.bias = bias
        self.outChannels = outChannels
        self.inChannels = inChannels
        self.kernelH = kernelH
        self.kernelW = kernelW
        self.strideH = strideH
        self.strideW = strideW
        self.padTop = padTop
        self.padLeft = padLeft
        self.padBottom = padBottom
        self.padRight = padRight
        self.dilationH = dilationH
        self.dilationW = dilationW
        self.groups = groups
    }
}

/// Fully connected layer; `weight` is `[outFeatures, inFeatures]` row-major (y = W x + b).
public struct Linear: Sendable {
    public var weight: [Float]
    public var bias: [Float]?
    public var inFeatures: Int
    public var outFeatures: Int

    public init(weight: [Float], bias: [Float]?, inFeatures: Int, outFeatures: Int) {
        self.weight = weight
        self.bias = bias
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
    }
}

/// Window geometry of max/average pooling (ONNX semantics, incl. ceil_mode).
public struct Pool2D: Sendable {
    public var kernelH: Int
    public var kernelW: Int
    public var strideH: Int
    public var strideW: Int
    public var padTop: Int
    public var padLeft: Int
    public var padBottom: Int
    public var padRight: Int
    public var dilationH: Int
    public var dilationW: Int
    public var ceilMode: Bool
    /// AveragePool only: whether padded zeros count in the divisor.
    public var countIncludePad: Bool

    public init(kernelH: Int, kernelW: Int, strideH: Int, strideW: Int,
                padTop: Int = 0, padLeft: Int = 0, padBottom: Int = 0, padRight: Int = 0,
                dilationH: Int = 1, dilationW: Int = 1, ceilMode: Bool = false,
                countIncludePad: Bool = false) {
        self.kernelH = kernelH
        self.kernelW = kernelW
        self.strideH = strideH
        self.strideW = strideW
        self.padTop = padTop
        self.padLeft = padLeft
        self.padBottom = padBottom
        self.padRight = padRight
        self.dilationH = dilationH
        self.dilationW = dilationW
        self.ceilMode = ceilMode
        self.countIncludePad = countIncludePad
    }
}

/// Per-channel affine map `y = scale[c] * x + shift[c]`.
public struct ChannelAffine: Sendable {
    public var scale: [Float]
    public var shift: [Float]
    public init(scale: [Float], shift: [Float]) {
        self.scale = scale
        self.shift = shift
    }
}

/// Constant spatial padding.
public struct Padding2D: Sendable {
    public var top: Int
    public var left: Int
    public var bottom: Int
    public var right: Int
    public var value: Float
    public init(top: Int, left: Int, bottom: Int, right: Int, value: Float = 0) {
        self.top = top
        self.left = left
        self.bottom = bottom
        self.right = right
        self.value = value
    }
}

extension LayerOp {
    /// The behaviour of this operation (Layers/): the one place that describes a layer kind.
    var kind: any LayerKind {
        switch self {
        case .conv(let c): return ConvKind(conv: c)
        case .linear(let l): return LinearKind(linear: l)
        case .relu: return ReLUKind()
        case .leakyRelu(let alpha): return LeakyReLUKind(alpha: alpha)
        case .clip(let lo, let hi): return ClipKind(min: lo, max: hi)
        case .maxPool(let p): return MaxPoolKind(pool: p)
        case .averagePool(let p): return AveragePoolKind(pool: p)
        case .globalAveragePool(let keep): return GlobalAveragePoolKind(keepSpatial: keep)
        case .channelAffine(let a): return ChannelAffineKind(affine: a)
        case .add: return AddKind()
        case .concat: return ConcatKind()
        case .reshape(let shape): return ReshapeKind(shape: shape)
        case .pad(let p): return PadKind(padding: p)
        case .lrn(let size, let alpha, let beta, let bias): return LRNKind(size: size, alpha: alpha, beta: beta, bias: bias)
        case .identity: return IdentityKind()
        case .softmax: return SoftmaxKind()
        }
    }

    /// Convolution and linear layers: the layers `--cutoff K` counts (docs/DESIGN.md §2).
    public var isMapping: Bool { kind.isMapping }

    /// Compact human-readable description used in tables and messages.
    public var shortDescription: String { kind.summary }
}
