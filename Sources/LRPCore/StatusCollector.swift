import CKernels
import Foundation

/// Collects the first failing kernel status of a parallel section, so that every status a
/// kernel returns reaches a check even when the kernel runs on several workers.
public final class StatusCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var failure: Int32 = 0

    public init() {}

    public func check(_ status: Int32) {
        guard status != 0 else { return }
        lock.lock()
        if failure == 0 { failure = status }
        lock.unlock()
    }

    /// Throws an `LRPError` naming `what` if any checked status was a failure.
    public func throwIfFailed(_ what: String) throws {
        lock.lock()
        let f = failure
        lock.unlock()
        guard f != 0 else { return }
        let reason: String
        switch f {
        case LRP_E_ARGUMENT.rawValue: reason = "inconsistent sizes"
        case LRP_E_NOMEM.rawValue: reason = "scratch buffer too small"
        default: reason = "kernel status \(f)"
        }
        throw LRPError("internal error in the \(what): \(reason)")
    }
}
