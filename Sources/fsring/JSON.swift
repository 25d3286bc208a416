/// Just enough JSON for fsring's machine output, as bytes.
enum JSON {
    static func object(_ members: [(String, [UInt8])]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "{")]
        for (index, (key, value)) in members.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out += string(key) + [UInt8(ascii: ":")] + value
        }
        return out + [UInt8(ascii: "}")]
    }

    static func string(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 2)
        var text = text
        text.withUTF8 { appendString(UnsafeRawBufferPointer($0), to: &out) }
        return out
    }

    /// Appends `utf8` (valid UTF-8) as a JSON string: valid JSON text once
    /// quotes, backslashes and control characters are escaped; everything
    /// else is copied as is.
    static func appendString(_ utf8: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        out.append(0x22)
        for byte in utf8 {
            switch byte {
            case 0x22: out += [0x5C, 0x22]
            case 0x5C: out += [0x5C, 0x5C]
            case 0x0A: out += [0x5C, UInt8(ascii: "n")]
            case 0x0D: out += [0x5C, UInt8(ascii: "r")]
            case 0x09: out += [0x5C, UInt8(ascii: "t")]
            case 0..<0x20:
                let digits: StaticString = "0123456789abcdef"
                out += "\\u00".utf8
                digits.withUTF8Buffer { out += [$0[Int(byte >> 4)], $0[Int(byte & 15)]] }
            default: out.append(byte)
            }
        }
        out.append(0x22)
    }

    static func number(_ value: Double) -> [UInt8] {
        value == value.rounded() && abs(value) < 1e15 ? Array(String(Int64(value)).utf8) : Array(String(value).utf8)
    }

    /// Appends a path: a string when it is UTF-8, else `{"bytes": base64}`
    /// (as ripgrep does). An ASCII path (most are) is not copied into a
    /// String to be checked.
    static func appendPath(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        if bytes.allSatisfy({ $0 < 0x80 }) || String(validating: bytes, as: UTF8.self) != nil {
            appendString(bytes, to: &out)
        } else {
            out += object([("bytes", string(base64(Array(bytes))))])
        }
    }

    static func base64(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        var out = ""
        var index = 0
        while index < bytes.count {
            let chunk = bytes[index..<min(index + 3, bytes.count)]
            let value = chunk.enumerated().reduce(0) { $0 | Int($1.element) << (16 - 8 * $1.offset) }
            for position in 0..<4 {
                out.append(position <= chunk.count ? alphabet[(value >> (18 - 6 * position)) & 63] : "=")
            }
            index += 3
        }
        return out
    }
}
