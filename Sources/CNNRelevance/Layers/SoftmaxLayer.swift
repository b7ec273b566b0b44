import Foundation
import LRPCore

/// Softmax along the feature axis, only as the last layer: the engine explains the logits it
/// receives (`PreparedGraph.logitValue`), so relevance never reaches it.
struct SoftmaxKind: ActivationKind {
    var summary: String { "softmax" }

    func forward(_ step: ForwardStep) throws -> (output: FloatBuffer, saved: SavedProducts?) {
        let x = step.x, y = step.newOutput(), c = step.layouts.output.count
        for n in 0..<step.batch {
            var m = -Float.infinity
            for i in 0..<c { m = Swift.max(m, x[n * c + i]) }
            var sum: Float = 0
            for i in 0..<c {
                let e = expf(x[n * c + i] - m)
                y[n * c + i] = e
                sum += e
            }
            for i in 0..<c { y[n * c + i] /= sum }
        }
        return (y, nil)
    }
}
