import Foundation

/// Called by a library batch run for an input that failed (unreadable, corrupt, too large, a
/// non-finite result, a failed write): the run goes on with the other inputs unless the handler
/// throws, which stops it (docs/DESIGN.md §7.5). The input's output set is then absent, never
/// partial (`ExplanationWriter`).
public typealias ItemFailureHandler = (URL, Error) throws -> Void

/// The default of library batch runs that are not told otherwise: the first failure stops the run.
public let stopAtFirstFailure: ItemFailureHandler = { _, error in throw error }
