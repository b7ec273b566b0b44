/// An error meant for the user: one line saying what is wrong and with which input.
/// Executables print `error: <message>` to stderr and exit non-zero.
public struct LRPError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension Error {
    /// The one-line text shown to the user for any error thrown by the libraries.
    public var userMessage: String {
        if let e = self as? LRPError { return e.message }
        return String(describing: self).replacingOccurrences(of: "\n", with: " ")
    }
}
