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
        #expect(parse("\(hex) x") == nil)  // one space and no marker
        // A NUL ends no name: the line is not taken for one naming what comes before it.
        #expect(ChecksumLine.parse(Array("\(hex)  first\0\(hex)  second".utf8)[...]) == nil)
        #expect(parse("abc  file") == nil)  // odd number of hex digits
        #expect(parse(String(repeating: "0", count: 30) + "  file") == nil)  // no algorithm has 15 bytes
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
