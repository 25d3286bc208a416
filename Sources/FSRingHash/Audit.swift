/// Differences between a manifest (a checksum list) and a tree hashed now.
public struct AuditReport: Sendable, Equatable {
    public var changed: [[UInt8]] = []
    public var missing: [[UInt8]] = []
    public var new: [[UInt8]] = []
    /// Same content under another name: (name in the manifest, name now).
    public var moved: [(from: [UInt8], to: [UInt8])] = []

    public var isClean: Bool { changed.isEmpty && missing.isEmpty && new.isEmpty && moved.isEmpty }

    public static func == (left: AuditReport, right: AuditReport) -> Bool {
        left.changed == right.changed && left.missing == right.missing && left.new == right.new
            && left.moved.map(\.from) == right.moved.map(\.from) && left.moved.map(\.to) == right.moved.map(\.to)
    }

    /// Compares name -> digest maps. A missing name whose digest turns up
    /// under a new name is reported once, as moved. Names are compared
    /// without a leading `./`: `fsring hash src > list` writes `src/a`, and
    /// auditing the current directory (the default) walks `./src/a`.
    /// Each side's names are reported as that side wrote them.
    public init(manifest: [(name: [UInt8], digest: [UInt8])], current: [(name: [UInt8], digest: [UInt8])]) {
        var expected: [[UInt8]: [UInt8]] = [:]
        var listedAs: [[UInt8]: [UInt8]] = [:]
        for entry in manifest {
            let key = Self.withoutDotSlash(entry.name)
            expected[key] = entry.digest
            listedAs[key] = entry.name
        }
        var found: [[UInt8]: [UInt8]] = [:]
        var foundAs: [[UInt8]: [UInt8]] = [:]
        for entry in current {
            let key = Self.withoutDotSlash(entry.name)
            found[key] = entry.digest
            foundAs[key] = entry.name
        }

        var missing: [[UInt8]] = []
        var new: [[UInt8]] = []
        for (name, digest) in expected {
            if let now = found[name] {
                if now != digest { changed.append(name) }
            } else {
                missing.append(name)
            }
        }
        for name in found.keys where expected[name] == nil { new.append(name) }

        // Pair missing and new files with the same content, in name order.
        var newByDigest: [[UInt8]: [[UInt8]]] = [:]
        for name in new.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            newByDigest[found[name]!, default: []].append(name)
        }
        var movedTo = Set<[UInt8]>()
        for name in missing.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            let digest = expected[name]!
            if var candidates = newByDigest[digest], !candidates.isEmpty {
                let target = candidates.removeFirst()
                newByDigest[digest] = candidates
                moved.append((name, target))
                movedTo.insert(target)
            } else {
                self.missing.append(name)
            }
        }
        self.new = new.filter { !movedTo.contains($0) }.map { foundAs[$0]! }
        changed = changed.map { foundAs[$0]! }
        self.missing = self.missing.map { listedAs[$0]! }
        moved = moved.map { (listedAs[$0.from]!, foundAs[$0.to]!) }
        let order: ([UInt8], [UInt8]) -> Bool = { $0.lexicographicallyPrecedes($1) }
        changed.sort(by: order)
        self.missing.sort(by: order)
        self.new.sort(by: order)
    }

    /// `name` without the `./` it may start with (once or more).
    static func withoutDotSlash(_ name: [UInt8]) -> [UInt8] {
        var start = 0
        while name.count - start > 2 && name[start] == UInt8(ascii: ".") && name[start + 1] == UInt8(ascii: "/") {
            start += 2
            while start < name.count - 1 && name[start] == UInt8(ascii: "/") { start += 1 }
        }
        return Array(name[start...])
    }
}
