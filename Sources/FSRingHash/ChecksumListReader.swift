extension ChecksumLine {
    /// What one line of a checksum list is.
    public enum ListLine: Sendable, Equatable {
        case entry(ChecksumLine)
        /// Empty, or a comment (`#` in the first column): skipped, not counted.
        case ignored
        /// Not a checksum line: counted and warned about.
        case malformed
    }

    /// Reads the lines of one checksum list in order, with the rules of
    /// `sha256sum -c` (coreutils 9), so that every list it accepts checks
    /// here too:
    ///
    /// - empty lines and lines starting with `#` are skipped;
    /// - spaces and tabs before a line's start are skipped;
    /// - a tagged line is `ALGO (NAME) = HEX`, the space before `(` optional
    ///   and any spaces or tabs around `=` (OpenSSL's `SHA256(NAME)= HEX`);
    ///   OpenSSL 3's tags `SHA2-256` and `SHA2-512` are read too;
    /// - an untagged line is `HEX`, a space or tab, then either a mode
    ///   marker (` ` text, `*` binary) and the name, or at once the name
    ///   (`HEX NAME`, as BSD's `md5 -r` writes). A list keeps to one of the
    ///   two: its first untagged line decides, and a line of the other kind
    ///   after it is improperly formatted (with the marker-less kind chosen,
    ///   a space or `*` after the separator belongs to the name).
    public struct ListReader: Sendable {
        private enum UntaggedSeparator: Sendable {
            case undecided
            /// `HEX  NAME` / `HEX *NAME`.
            case withMarker
            /// `HEX NAME`.
            case single
        }

        /// False for the lines of a NUL-ended list (`-z`), whose names are
        /// raw: no escapes, and a carriage return is part of the name.
        public let escapedNames: Bool
        private var untaggedSeparator = UntaggedSeparator.undecided

        public init(escapedNames: Bool = true) {
            self.escapedNames = escapedNames
        }

        /// Reads the next line, without its terminator. A NUL inside a line
        /// makes it improperly formatted: no name holds one, and taking the
        /// name up to it (as the C library would) could hide the lines of a
        /// NUL-ended list read as a newline-ended one behind the first.
        public mutating func read(_ line: ArraySlice<UInt8>) -> ListLine {
            var body = line
            if escapedNames && body.last == carriageReturn { body = body.dropLast() }  // lists written on Windows
            if body.isEmpty || body.first == UInt8(ascii: "#") { return .ignored }
            guard !body.contains(0) else { return .malformed }
            while let first = body.first, isBlank(first) { body = body.dropFirst() }
            var escaped = false
            if escapedNames && body.first == backslash {
                escaped = true
                body = body.dropFirst()
            }
            if let tagged = Self.tagged(body) {
                guard
                    let parsed = Self.parseTagged(
                        body, algorithm: tagged.algorithm, open: tagged.open, escaped: escaped)
                else { return .malformed }
                return .entry(parsed)
            }
            return parseUntagged(body, escaped: escaped)
        }

        /// `ALGO (` or `ALGO(` at the start of `body`: the algorithm and the
        /// index of the parenthesis.
        private static func tagged(_ body: ArraySlice<UInt8>) -> (algorithm: HashAlgorithm, open: Int)? {
            for (tag, algorithm) in tags where body.starts(with: tag) {
                var open = body.startIndex + tag.count
                if open < body.endIndex && body[open] == space { open += 1 }
                if open < body.endIndex && body[open] == UInt8(ascii: "(") { return (algorithm, open) }
            }
            return nil
        }

        /// Every tag this reader knows, with the algorithm it names.
        private static let tags: [([UInt8], HashAlgorithm)] =
            HashAlgorithm.allCases.map { (Array($0.tag.utf8), $0) } + [
                (Array("SHA2-256".utf8), .sha256), (Array("SHA2-512".utf8), .sha512),
            ]

        private static func parseTagged(_ body: ArraySlice<UInt8>, algorithm: HashAlgorithm, open: Int, escaped: Bool)
            -> ChecksumLine?
        {
            // The name may itself hold ") = ": it ends at the last parenthesis.
            guard let close = body.lastIndex(of: UInt8(ascii: ")")), close > open else { return nil }
            var rest = body[(close + 1)...]
            while let first = rest.first, isBlank(first) { rest = rest.dropFirst() }
            guard rest.first == UInt8(ascii: "=") else { return nil }
            rest = rest.dropFirst()
            while let first = rest.first, isBlank(first) { rest = rest.dropFirst() }
            guard let digest = hexBytes(rest), digest.count == algorithm.digestLength else { return nil }
            let rawName = body[(open + 1)..<close]
            guard let name = escaped ? ChecksumLine.unescape(rawName) : Array(rawName) else { return nil }
            return ChecksumLine(algorithm: algorithm, digest: digest, name: name)
        }

        private mutating func parseUntagged(_ body: ArraySlice<UInt8>, escaped: Bool) -> ListLine {
            guard let separator = body.firstIndex(where: isBlank), let digest = hexBytes(body[..<separator]),
                !HashAlgorithm.candidates(forDigestLength: digest.count).isEmpty
            else { return .malformed }
            var nameStart = separator + 1
            let next = nameStart < body.endIndex ? body[nameStart] : nil
            let hasMarker = next == space || next == UInt8(ascii: "*")
            switch (untaggedSeparator, hasMarker) {
            case (.undecided, true), (.withMarker, true): nameStart += 1
            case (.undecided, false), (.single, _): break
            case (.withMarker, false): return .malformed
            }
            let rawName = body[nameStart...]
            guard !rawName.isEmpty, let name = escaped ? ChecksumLine.unescape(rawName) : Array(rawName) else {
                return .malformed
            }
            if untaggedSeparator == .undecided { untaggedSeparator = hasMarker ? .withMarker : .single }
            return .entry(ChecksumLine(algorithm: nil, digest: digest, name: name))
        }
    }
}

private let space = UInt8(ascii: " ")
private let backslash = UInt8(ascii: "\\")
private let carriageReturn = UInt8(ascii: "\r")

private func isBlank(_ byte: UInt8) -> Bool { byte == space || byte == UInt8(ascii: "\t") }
