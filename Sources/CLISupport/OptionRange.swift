import ArgumentParser
import Foundation
import LRPCore

/// Range checks of numeric options (docs/DESIGN.md §7.6). Numeric options are declared with
/// `parsing: .unconditional` so that "--epsilon -1" reaches these checks instead of being read
/// as a flag ("missing value"); a value out of range is a bad value (exit 1) whose one error line
/// names the flag, the allowed range and the value given.
public enum OptionRange {
    /// `lower ≤ value` (and `≤ upper` if given).
    public static func check(_ flag: String, _ value: Int, atLeast lower: Int, atMost upper: Int? = nil) throws {
        if let upper {
            guard value >= lower, value <= upper else { throw LRPError("\(flag) must be between \(lower) and \(upper) (got \(value))") }
        } else {
            guard value >= lower else { throw LRPError("\(flag) must be at least \(lower) (got \(value))") }
        }
    }

    /// A finite number `≥ lower` (`> lower` if `exclusive`), and `≤ upper` if given.
    public static func check(_ flag: String, _ value: Double, atLeast lower: Double, exclusive: Bool = false,
                             atMost upper: Double? = nil) throws {
        let inRange = value.isFinite && (exclusive ? value > lower : value >= lower) && (upper.map { value <= $0 } ?? true)
        guard inRange else {
            let bound = "\(exclusive ? ">" : ">=") \(number(lower))" + (upper.map { " and <= \(number($0))" } ?? "")
            throw LRPError("\(flag) must be a finite number \(bound) (got \(value))")
        }
    }

    public static func check(_ flag: String, _ value: Float, atLeast lower: Double, exclusive: Bool = false,
                             atMost upper: Double? = nil) throws {
        try check(flag, Double(value), atLeast: lower, exclusive: exclusive, atMost: upper)
    }

    /// A file or folder name option must not be empty (`--out ""` would write next to nothing
    /// the user named): a usage error.
    public static func path(_ flag: String, _ value: String?) throws {
        if let value, value.isEmpty { throw ValidationError("\(flag) needs a file or folder name, not an empty string") }
    }

    private static func number(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : "\(x)"
    }
}
