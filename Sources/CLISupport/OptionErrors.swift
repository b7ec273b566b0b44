import ArgumentParser
import Foundation
import LRPCore

/// Turning library errors about values into errors about options. Library messages name the
/// value ("cut-off 9 out of range ...", "not among the selected classes"); the executable puts
/// the flag in its place.
public enum OptionErrors {
    /// Runs `body`; in an `LRPError` the first of the library's value names (the keys of
    /// `flags`) that occurs is replaced by the option's flag, e.g. "cut-off 9 out of range" →
    /// "--cutoff 9 out of range". Other errors pass unchanged.
    public static func naming<T>(_ flags: KeyValuePairs<String, String>, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let e as LRPError {
            for (term, flag) in flags {
                if let r = e.message.range(of: term) { throw LRPError(e.message.replacingCharacters(in: r, with: flag)) }
            }
            throw e
        }
    }

    /// Runs `body` inside `validate()`: an `LRPError` becomes a `ValidationError` (a usage error).
    public static func validating<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let e as LRPError {
            throw ValidationError(e.message)
        }
    }
}

/// `--model` or a bundled default model.
public enum ModelArgument {
    /// The file `path`, or the bundled model `bundledName` (see `ModelLocator`).
    public static func resolve(_ path: String?, bundled bundledName: String) throws -> URL {
        if let path { return URL(fileURLWithPath: path) }
        do {
            return try ModelLocator.bundled(bundledName)
        } catch let e as LRPError {
            throw LRPError("\(e.message); pass --model FILE")
        }
    }
}
