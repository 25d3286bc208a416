import FSRingHash
import Testing

@Suite("Checksum lines")
struct ChecksumLineTests {
    let digest = (0..<32).map { UInt8($0) }
    var hex: String { hexString(digest) }

    func parse(_ text: String) -> ChecksumLine? { ChecksumLine.parse(Array(text.utf8)[...]) }

    @Test func gnuTextAndBinaryMarkers() {
        #expect(parse("\(hex)  file.txt") == ChecksumLine(algorithm: nil, digest: digest, name: Array("file.txt".utf8)))
        #expect(parse("\(hex) *file.bin")?.name == Array("file.bin".utf8))
        #expect(parse("\(hex)  name with  spaces ")?.name == Array("name with  spaces ".utf8))
        #expect(parse("\(hex.uppercased())  upper")?.digest == digest)
        #expect(parse("\(hex)  dos line\r")?.name == Array("dos line".utf8))
    }

    @Test func bsdTagsIncludingNamesThatLookLikeTheSeparator() {
        let line = parse("BLAKE3 (odd) = name) = \(hex)")
        #expect(line?.algorithm == .blake3)
        #expect(line?.name == Array("odd) = name".utf8))
        #expect(parse("SHA256 (x) = \(hex)")?.algorithm == .sha256)
        // A tag whose digest has the wrong length is not a line.
        #expect(parse("SHA1 (x) = \(hex)") == nil)
        #expect(parse("NOPE (x) = \(hex)") == nil)
    }

    @Test func escapedNamesRoundTrip() {
        let name = Array("a\\b\nc\rd".utf8)
        for style in [ChecksumLine.Style.gnu, .bsd] {
            let line = ChecksumLine(algorithm: .blake3, digest: digest, name: name)
            let text = line.formatted(style, algorithm: .blake3)
            #expect(text.first == UInt8(ascii: "\\"))
            #expect(!text.contains(0x0A))
            #expect(ChecksumLine.parse(text[...])?.name == name)
        }
        // Unknown escapes make the line improperly formatted.
        #expect(parse("\\\(hex)  bad\\q") == nil)
    }

    /// NUL-ended lines (-z) carry names as they are: no escapes written or read.
    @Test func rawNamesInNulEndedLines() {
        let name = Array("a\\b\nc\rd".utf8)
        for style in [ChecksumLine.Style.gnu, .bsd] {
            let line = ChecksumLine(algorithm: .blake3, digest: digest, name: name)
            let text = line.formatted(style, algorithm: .blake3, escapingNames: false)
            #expect(text.first != UInt8(ascii: "\\"))
            #expect(text.contains(0x0A))
            #expect(ChecksumLine.parse(text[...], escapedNames: false)?.name == name)
        }
        #expect(ChecksumLine.parse(Array("\\\(hex)  x".utf8)[...], escapedNames: false) == nil)
    }

    @Test func malformedLines() {
        #expect(parse("") == nil)
        #expect(parse("not a checksum line") == nil)
        #expect(parse("\(hex)") == nil)
        // A NUL ends no name: the line is not taken for one naming what comes before it.
        #expect(ChecksumLine.parse(Array("\(hex)  first\0\(hex)  second".utf8)[...]) == nil)
        #expect(parse("abc  file") == nil)  // odd number of hex digits
        #expect(parse(String(repeating: "0", count: 30) + "  file") == nil)  // no algorithm has 15 bytes
    }

    /// sha256sum -c's leniencies: leading blanks, OpenSSL's spacing of tags,
    /// a tab after the digest.
    @Test func looseSpacingAsCoreutilsReadsIt() {
        let name = Array("f".utf8)
        for text in [
            "  \(hex)  f", "\t\(hex) *f", "\(hex)\t f", "SHA256(f)= \(hex)", "SHA256 (f)=\(hex)",
            "  BLAKE3 (f) =\t \(hex)", "SHA2-256(f)= \(hex)",
        ] {
            #expect(parse(text)?.name == name, "\(text)")
            #expect(parse(text)?.digest == digest, "\(text)")
        }
        #expect(parse("SHA2-256(f)= \(hex)")?.algorithm == .sha256)
        #expect(parse(" \\\(hex)  a\\\\b")?.name == Array("a\\b".utf8))
        #expect(parse("\\ \(hex)  f") == nil)  // blanks go before the escape mark, not after
        #expect(parse("SHA256 (f) = \(hex) ") == nil)  // nothing after the digest
        #expect(parse("SHA256  (f) = \(hex)") == nil)
        #expect(parse("sha256 (f) = \(hex)") == nil)
    }

    /// The first untagged line decides between `HEX  NAME` and `HEX NAME`
    /// for the rest of its list; comments and empty lines are skipped.
    @Test func aListKeepsToOneSeparator() {
        func read(_ lines: [String]) -> [ChecksumLine.ListLine] {
            var reader = ChecksumLine.ListReader()
            return lines.map { reader.read(Array($0.utf8)[...]) }
        }
        func entry(_ name: String, _ algorithm: HashAlgorithm? = nil) -> ChecksumLine.ListLine {
            .entry(ChecksumLine(algorithm: algorithm, digest: digest, name: Array(name.utf8)))
        }
        #expect(
            read(["\(hex)  a", "\(hex) b", "\(hex) *c", "SHA256 (d) = \(hex)"]) == [
                entry("a"), .malformed, entry("c"), entry("d", .sha256),
            ])
        #expect(
            read(["not one", "\(hex) a", "\(hex)  b", "\(hex) *c", "\(hex)\td"]) == [
                .malformed, entry("a"), entry(" b"), entry("*c"), entry("d"),
            ])
        #expect(
            read(["", "\r", "# a comment", "  # not one", " \t"]) == [
                .ignored, .ignored, .ignored, .malformed, .malformed,
            ])
    }

    @Test func displayNamesEscapeOnlyForLineBreaks() {
        #expect(ChecksumLine.displayName(Array("back\\slash".utf8)) == Array("back\\slash".utf8))
        #expect(ChecksumLine.displayName(Array("new\nline\\".utf8)) == Array("\\new\\nline\\\\".utf8))
    }

    @Test func algorithmsByDigestLength() {
        #expect(Set(HashAlgorithm.candidates(forDigestLength: 32)) == [.blake3, .sha256])
        #expect(Set(HashAlgorithm.candidates(forDigestLength: 16)) == [.md5, .xxh128])
        #expect(HashAlgorithm.candidates(forDigestLength: 64) == [.sha512])
    }
}
