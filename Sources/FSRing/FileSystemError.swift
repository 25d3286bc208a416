import SystemPackage
import URing

/// A failed file-system call: which operation, on which path, and the errno.
///
/// Its description reads like `open '/a/b': Permission denied (EACCES)`.
public struct FileSystemError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The errno value (`EACCES`, `ENOENT`, ...).
    public let code: Int32
    /// The call that failed (`open`, `read`, `statx`, ...).
    public let operation: String
    /// The path the call was about, if any.
    public let path: FilePath?
    /// The second path of two-path calls (rename, link, symlink target).
    public let secondPath: FilePath?

    public init(code: Int32, operation: String, path: FilePath? = nil, secondPath: FilePath? = nil) {
        self.code = code
        self.operation = operation
        self.path = path
        self.secondPath = secondPath
    }

    /// The errno's symbolic name, e.g. `ENOENT`.
    public var codeName: String { ErrnoName.name(code) }

    public var description: String { description(naming: \.quoted) }

    /// The description with each path named by `name`: a caller that knows
    /// how a path was written on its command line can name it that way.
    public func description(naming name: (FilePath) -> String) -> String {
        var subject = ""
        if let path { subject += " " + name(path) }
        if let secondPath { subject += " -> " + name(secondPath) }
        return "\(operation)\(subject): \(ErrnoName.describe(code))"
    }
}

extension FileSystemError {
    /// Turns a raw result (`-errno` on failure) into a value or a thrown error.
    static func check(
        _ result: Int32, _ operation: String, _ path: FilePath? = nil, _ secondPath: FilePath? = nil
    ) throws(FileSystemError) -> Int32 {
        if result < 0 { throw FileSystemError(code: -result, operation: operation, path: path, secondPath: secondPath) }
        return result
    }
}
