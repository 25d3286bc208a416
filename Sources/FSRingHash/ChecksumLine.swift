import FSRing
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// One line of a checksum list, in the formats of `sha256sum` and `b3sum`
/// (GNU: `HEX  NAME`) and of their `--tag` option (BSD: `ALGO (NAME) = HEX`).
///
/// Names are bytes. As coreutils does, in a list of lines ended by newlines
/// a name holding a backslash, newline or carriage return is written escaped
/// (`\\`, `\n`, `\r`) and the line then starts with a backslash; in a list
/// of NUL-ended lines (`-z`) names are written as they are, since only NUL
/// could end them early, and no name holds one.
public struct ChecksumLine: Sendable, Equatable {
    public var algorithm: HashAlgorithm?
    public var digest: [UInt8]
    public var name: [UInt8]

    public init(algorithm: HashAlgorithm?, digest: [UInt8], name: [UInt8]) {
        self.algorithm = algorithm
        self.digest = digest
        self.name = name
    }

    public enum Style: Sendable {
        /// `HEX  NAME`
        case gnu
        /// `ALGO (NAME) = HEX`
        case bsd
    }

    /// The line's bytes, without the terminator; `escapingNames` false for a
    /// NUL-ended line.
    public func formatted(_ style: Style, algorithm: HashAlgorithm, escapingNames: Bool = true) -> [UInt8] {
        var line: [UInt8] = []
        append(style, algorithm: algorithm, escapingNames: escapingNames, to: &line)
        return line
    }

    /// Appends the line's bytes, without the terminator, to `output`.
    public func append(
        _ style: Style, algorithm: HashAlgorithm, escapingNames: Bool = true, to output: inout [UInt8]
    ) {
        digest.withUnsafeBytes { digest in
            name.withUnsafeBytes {
                Self.append(
                    style, algorithm: algorithm, digest: digest, name: $0, escapingNames: escapingNames, to: &output)
            }
        }
    }

    /// Appends the line for `digest` and a name given as bytes, without the
    /// terminator, to `output`: a tree's lines are written this way straight
    /// from each path's storage, with no array per line (building them cost
    /// more than hashing the tree's small files on one core).
    public static func append(
        _ style: Style, algorithm: HashAlgorithm, digest: UnsafeRawBufferPointer, name: UnsafeRawBufferPointer,
        escapingNames: Bool = true, to output: inout [UInt8]
    ) {
        let escaped = escapingNames && name.contains { $0 == 0x5C || $0 == 0x0A || $0 == 0x0D }
        if escaped { output.append(0x5C) }
        switch style {
        case .gnu:
            appendHexASCII(digest, to: &output)
            output += "  ".utf8
            appendName(name, escaped: escaped, to: &output)
        case .bsd:
            output += algorithm.tag.utf8
            output += " (".utf8
            appendName(name, escaped: escaped, to: &output)
            output += ") = ".utf8
            appendHexASCII(digest, to: &output)
        }
    }

    /// A name as check and audit reports print it. As `sha256sum -c` does,
    /// only a newline or carriage return makes it escaped (backslashes then
    /// doubled too) and led by a backslash.
    public static func displayName(_ name: [UInt8]) -> [UInt8] {
        guard name.contains(where: { $0 == 0x0A || $0 == 0x0D }) else { return name }
        var shown: [UInt8] = [0x5C]
        name.withUnsafeBytes { appendName($0, escaped: true, to: &shown) }
        return shown
    }

    /// Appends `name`, with backslash, newline and carriage return written
    /// as `\\`, `\n` and `\r` when `escaped`.
    private static func appendName(_ name: UnsafeRawBufferPointer, escaped: Bool, to output: inout [UInt8]) {
        guard escaped else {
            output += name
            return
        }
        for byte in name {
            switch byte {
            case 0x5C: output += [0x5C, 0x5C]
            case 0x0A: output += [0x5C, UInt8(ascii: "n")]
            case 0x0D: output += [0x5C, UInt8(ascii: "r")]
            default: output.append(byte)
            }
        }
    }

    static func unescape(_ name: ArraySlice<UInt8>) -> [UInt8]? {
        var out: [UInt8] = []
        var index = name.startIndex
        while index < name.endIndex {
            let byte = name[index]
            if byte == 0x5C {
                index += 1
                guard index < name.endIndex else { return nil }
                switch name[index] {
                case 0x5C: out.append(0x5C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                default: return nil
                }
            } else {
                out.append(byte)
            }
            index += 1
        }
        return out
    }

    /// Parses one line (without its terminator) in either format, as the
    /// first line of a list; nil when it is not a checksum line. Lists are
    /// read with `ListReader`, which also knows comments and how the list's
    /// earlier lines separate digest and name.
    public static func parse(_ line: ArraySlice<UInt8>, escapedNames: Bool = true) -> ChecksumLine? {
        var reader = ListReader(escapedNames: escapedNames)
        guard case .entry(let parsed) = reader.read(line) else { return nil }
        return parsed
    }
}

extension Array where Element == ChecksumLine {
    /// The algorithm these lines were written with: the tag when they carry
    /// one, else, where the digest length fits two algorithms (BLAKE3 and
    /// SHA-256; MD5 and XXH128), the one that matches more of a sample of
    /// the files the lines name.
    public func algorithm(in fileSystem: FileSystem) async -> HashAlgorithm? {
        guard let first = first else { return nil }
        if let tagged = first.algorithm { return tagged }
        let candidates = HashAlgorithm.candidates(forDigestLength: first.digest.count)
        guard candidates.count > 1 else { return candidates.first }
        let sample = Array(prefix(32))
        // Names go to the kernel as the list wrote them, as `-c` sends them.
        var paths = PathList()
        for line in sample { line.name.withUnsafeBytes { paths.append(bytes: $0) } }
        var best = candidates[0]
        var bestMatches = -1
        for candidate in candidates {
            let results = await HashEngine(fileSystem: fileSystem, algorithm: candidate).digestTable(of: paths)
            let matches = sample.indices.count { (try? results[$0].get().digest) == sample[$0].digest }
            // All matched: the other candidate need not be tried (SHA-256 of
            // a large file costs several times its BLAKE3).
            if matches == sample.count { return candidate }
            if matches > bestMatches {
                best = candidate
                bestMatches = matches
            }
        }
        return best
    }
}

/// Appends `bytes` in lower-case hexadecimal, as ASCII bytes (built on the
/// stack, appended in one copy).
public func appendHexASCII(_ bytes: UnsafeRawBufferPointer, to output: inout [UInt8]) {
    let digits: StaticString = "0123456789abcdef"
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: bytes.count * 2) { text in
        digits.withUTF8Buffer { digits in
            for (index, byte) in bytes.enumerated() {
                text[2 * index] = digits[Int(byte >> 4)]
                text[2 * index + 1] = digits[Int(byte & 15)]
            }
        }
        output.append(contentsOf: text)
    }
}

/// Lower-case hexadecimal.
public func hexString(_ bytes: [UInt8]) -> String {
    let digits: [Character] = Array("0123456789abcdef")
    var text = ""
    text.reserveCapacity(bytes.count * 2)
    for byte in bytes {
        text.append(digits[Int(byte >> 4)])
        text.append(digits[Int(byte & 15)])
    }
    return text
}

/// Bytes from hexadecimal (either case); nil unless every character is a hex digit.
func hexBytes(_ text: ArraySlice<UInt8>) -> [UInt8]? {
    guard !text.isEmpty, text.count % 2 == 0 else { return nil }
    func value(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(text.count / 2)
    var index = text.startIndex
    while index < text.endIndex {
        guard let high = value(text[index]), let low = value(text[index + 1]) else { return nil }
        bytes.append(high << 4 | low)
        index += 2
    }
    return bytes
}

extension FilePath {
    /// The path's bytes, as the kernel sees them.
    public var rawBytes: [UInt8] {
        let count = length
        return withPlatformString { [UInt8](UnsafeRawBufferPointer(start: $0, count: count)) }
    }

    /// A path from raw bytes (no NUL inside).
    public init(rawBytes: [UInt8]) {
        self.init(platformString: rawBytes.map { CChar(bitPattern: $0) } + [0])
    }
}
