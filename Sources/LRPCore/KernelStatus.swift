import CKernels
import Foundation

/// The first failing status (`LrpStatus`, 0 = `LRP_OK`) of the C kernel calls of one section,
/// possibly made from several threads at once: every call's status goes through `check`, and
/// `throwIfFailed` turns a failure into an `LRPError` after the section.
public final class StatusCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var failure: Int32 = 0

    public init() {}

    /// Records `status` if it is the first one that is not `LRP_OK`.
    public func check(_ status: Int32) {
        guard status != LRP_OK.rawValue else { return }
        lock.lock()
        if failure == 0 { failure = status }
        lock.unlock()
    }

    /// The first failing status recorded, or `LRP_OK` (0).
    public var status: Int32 {
        lock.lock(); defer { lock.unlock() }
        return failure
    }

    /// Whether some call failed.
    public var failed: Bool { status != LRP_OK.rawValue }

    /// Throws `LRPError("internal error in the <what>: <reason>")` if some call failed.
    public func throwIfFailed(_ what: String) throws {
        let f = status
        guard f != LRP_OK.rawValue else { return }
        throw Self.error(status: f, what)
    }

    /// The error for a failing kernel `status` in `what` (also for single calls:
    /// `try StatusCollector.check(lrp_...(...), "what")`).
    public static func error(status: Int32, _ what: String) -> LRPError {
        let reason: String
        switch status {
        case LRP_E_ARGUMENT.rawValue: reason = "inconsistent sizes"
        case LRP_E_NOMEM.rawValue: reason = "scratch buffer too small"
        default: reason = "kernel status \(status)"
        }
        return LRPError("internal error in the \(what): \(reason)")
    }

    /// Throws `error(status:_:)` unless `status` is `LRP_OK`: the check of one kernel call.
    public static func check(_ status: Int32, _ what: String) throws {
        guard status != LRP_OK.rawValue else { return }
        throw error(status: status, what)
    }
}
