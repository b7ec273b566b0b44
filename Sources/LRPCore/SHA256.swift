import COpenSSL
import Foundation

/// SHA-256 from OpenSSL's libcrypto (Debian's libssl-dev), for model identities and output
/// checksums of sharded runs.
public struct SHA256 {
    private final class Context {
        let pointer: OpaquePointer
        init() {
            pointer = EVP_MD_CTX_new()
            EVP_DigestInit_ex(pointer, EVP_sha256(), nil)
        }
        deinit { EVP_MD_CTX_free(pointer) }
    }

    private let context = Context()

    public init() {}

    public mutating func update<D: DataProtocol>(_ data: D) {
        for region in data.regions {
            region.withUnsafeBytes { p in _ = EVP_DigestUpdate(context.pointer, p.baseAddress, p.count) }
        }
    }

    /// The digest as 64 lowercase hex digits (the hash of everything given to `update`).
    public mutating func hexDigest() -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context.pointer, &digest, &length)
        return digest.prefix(Int(length)).map { String(format: "%02x", $0) }.joined()
    }

    public static func hex<D: DataProtocol>(_ data: D) -> String {
        var s = SHA256()
        s.update(data)
        return s.hexDigest()
    }

    /// Digest of a file, read in 4 MB pieces.
    public static func hex(file url: URL) throws -> String {
        guard let handle = try? FileHandle(forReadingFrom: url) else { throw LRPError("cannot read \(url.path)") }
        defer { try? handle.close() }
        var s = SHA256()
        while true {
            let chunk = handle.readData(ofLength: 4 << 20)
            if chunk.isEmpty { break }
            s.update(chunk)
        }
        return s.hexDigest()
    }
}
