import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// Paths in messages and listings, quoted the way GNU coreutils quote them
/// (`cp -v`, `cp`'s errors) in a UTF-8 locale: as one shell word that names
/// the exact bytes, whatever they are.
///
/// A name is any bytes but `/` and NUL. Printed as they are, a byte that is
/// not UTF-8 shows as a replacement character (two such names look alike),
/// and a newline splits a listing's line. So a path is put in single quotes
/// (`'a b'`); a single quote inside becomes `'\''`; control characters,
/// bytes that are not UTF-8 and characters a terminal cannot show are
/// written as `$'...'` escapes (`'bad'$'\377'`, `'a'$'\n''b'`); a path
/// whose only special character is a single quote is put in double quotes
/// (`"it's"`). Pasted into a shell, the result is the path again.
public enum QuotedPath {
    /// `path`'s bytes, quoted.
    public static func bytes(_ path: some Collection<UInt8>) -> [UInt8] {
        let bytes = Array(path)
        // Most paths: printable ASCII without a single quote.
        if bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != quote }) { return [quote] + bytes + [quote] }
        let units = Units(bytes)
        if units.hasSingleQuote && units.fitsDoubleQuotes { return [doubleQuote] + bytes + [doubleQuote] }
        var quoted: [UInt8] = [quote]
        quoted.reserveCapacity(bytes.count + 8)
        // cp prints an empty `''` right after the opening quote when a path
        // holds a single quote and ends in escapes (its quoting scans twice,
        // and the first scan's open escape leaks into the second); kept, so
        // that listings compare equal with cp's. The shell reads the same path.
        if units.hasSingleQuote && units.pieces.last?.escaped == true { quoted += [quote, quote] }
        var inEscapes = false
        for piece in units.pieces {
            if piece.escaped {
                if !inEscapes { quoted += [quote, UInt8(ascii: "$"), quote] }
                inEscapes = true
                for byte in bytes[piece.range] { quoted += escape(byte) }
            } else if bytes[piece.range.lowerBound] == quote {
                // Closes the quotes (or the escapes), a quoted quote, opens them again.
                quoted += [quote, UInt8(ascii: "\\"), quote, quote]
                inEscapes = false
            } else {
                if inEscapes { quoted += [quote, quote] }
                inEscapes = false
                quoted += bytes[piece.range]
            }
        }
        quoted.append(quote)
        return quoted
    }

    /// `path`, quoted: valid UTF-8, since every byte that is not is escaped.
    public static func string(_ path: FilePath) -> String {
        // The C string lives for the closure, and its `strlen` bytes before
        // the NUL are readable: quoted into a new array before it returns.
        let quoted = path.withPlatformString { pointer in
            bytes(UnsafeRawBufferPointer(start: pointer, count: strlen(pointer)))
        }
        return String(decoding: quoted, as: UTF8.self)
    }

    private static let quote = UInt8(ascii: "'")
    private static let doubleQuote = UInt8(ascii: "\"")

    /// `\n`, `\t` and their kin by letter, any other byte as three octal digits.
    private static func escape(_ byte: UInt8) -> [UInt8] {
        let letter: Character? =
            switch byte {
            case 7: "a"
            case 8: "b"
            case 9: "t"
            case 10: "n"
            case 11: "v"
            case 12: "f"
            case 13: "r"
            default: nil
            }
        if let letter { return [UInt8(ascii: "\\"), letter.asciiValue!] }
        return [UInt8(ascii: "\\"), 0x30 + (byte >> 6), 0x30 + ((byte >> 3) & 7), 0x30 + (byte & 7)]
    }

    /// A path cut into characters (or single bytes that are not UTF-8), each
    /// marked as printed or escaped.
    private struct Units {
        var pieces: [(range: Range<Int>, escaped: Bool)] = []
        var hasSingleQuote = false
        /// Every character reads the same in double quotes and in a shell's:
        /// letters, digits, a few punctuation marks, spaces, printable
        /// non-ASCII characters and single quotes.
        var fitsDoubleQuotes = true

        init(_ bytes: [UInt8]) {
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                if byte < 0x80 {
                    let printable = byte >= 0x20 && byte < 0x7F
                    pieces.append((index..<index + 1, !printable))
                    if byte == quote { hasSingleQuote = true }
                    if !Self.fitsDoubleQuotes(byte, first: index == 0) { fitsDoubleQuotes = false }
                    index += 1
                    continue
                }
                if let (scalar, length) = Self.decode(bytes, at: index) {
                    let printable = Self.isPrintable(scalar)
                    pieces.append((index..<index + length, !printable))
                    if !printable { fitsDoubleQuotes = false }
                    index += length
                } else {
                    pieces.append((index..<index + 1, true))
                    fitsDoubleQuotes = false
                    index += 1
                }
            }
        }

        private static func fitsDoubleQuotes(_ byte: UInt8, first: Bool) -> Bool {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"):
                return true
            case UInt8(ascii: "#"), UInt8(ascii: "~"): return first
            case UInt8(ascii: "%"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: "-"), UInt8(ascii: "."),
                UInt8(ascii: "/"), UInt8(ascii: ":"), UInt8(ascii: "@"), UInt8(ascii: "]"), UInt8(ascii: "_"),
                UInt8(ascii: " "), UInt8(ascii: "'"):
                return true
            default: return false
            }
        }

        /// The scalar starting at `index` and its length in bytes, if the
        /// bytes there are well-formed UTF-8 (shortest form, no surrogates).
        private static func decode(_ bytes: [UInt8], at index: Int) -> (Unicode.Scalar, Int)? {
            let lead = bytes[index]
            let (length, minimum): (Int, UInt32) =
                switch lead {
                case 0xC2...0xDF: (2, 0x80)
                case 0xE0...0xEF: (3, 0x800)
                case 0xF0...0xF4: (4, 0x10000)
                default: (0, 0)
                }
            guard length > 0, index + length <= bytes.count else { return nil }
            var value = UInt32(lead) & (0x7F >> length)
            for offset in 1..<length {
                let next = bytes[index + offset]
                guard next & 0xC0 == 0x80 else { return nil }
                value = value << 6 | UInt32(next & 0x3F)
            }
            guard value >= minimum, let scalar = Unicode.Scalar(value) else { return nil }
            return (scalar, length)
        }

        /// What a UTF-8 terminal shows: not controls, line or paragraph
        /// separators, or code points not assigned (as glibc's `iswprint`
        /// decides, for every character assigned in both Unicode versions).
        private static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
            switch scalar.properties.generalCategory {
            case .control, .lineSeparator, .paragraphSeparator, .unassigned, .surrogate: false
            default: true
            }
        }
    }
}

extension FilePath {
    /// The path quoted for a message, as `QuotedPath` quotes it: `'a b'`,
    /// `'bad'$'\377'`.
    public var quoted: String { QuotedPath.string(self) }
}
