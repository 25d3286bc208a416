import FSRing
import FSRingHash
import SystemPackage
import URing

#if canImport(Glibc)
    import Glibc
#endif

/// `fsring hash --check`: verifies checksum lists the way `sha256sum -c`
/// does, with the same messages and exit status, for any supported format
/// and algorithm.
struct HashCheck {
    let command: HashCommand
    let fileSystem: FileSystem
    let output: RawOutput
    let diagnostics: RawOutput

    /// Digests computed so far, by algorithm, then by the name as listed.
    private typealias DigestsByName = [HashAlgorithm: [ByteKey: DigestResult]]

    private struct Entry {
        var line: ChecksumLine
        var algorithms: [HashAlgorithm]
    }

    /// Returns true when the check failed (exit status 1).
    func run() async -> Bool {
        var failed = false
        for list in command.paths {
            if await verify(list: list) { failed = true }
        }
        return failed
    }

    private func warning(_ text: String) {
        if !command.status { diagnostics.write("fsring: hash: WARNING: \(text)\n") }
    }

    private func verify(list: CommandArgument) async -> Bool {
        let listName = list.text
        guard let text = await command.readList(list, fileSystem: fileSystem, diagnostics: diagnostics) else {
            return true
        }

        var entries: [Entry] = []
        var malformed = 0
        // With -z the list's lines end with NUL, as `fsring hash -z` writes them.
        var reader = ChecksumLine.ListReader(escapedNames: !command.zero)
        for (number, line) in text.split(separator: command.lineEnd, omittingEmptySubsequences: false).enumerated() {
            let parsed: ChecksumLine
            switch reader.read(line) {
            case .entry(let entry): parsed = entry
            case .ignored: continue
            case .malformed:
                malformed += 1
                if command.warn && !command.status {
                    diagnostics.write("fsring: hash: \(listName): \(number + 1): improperly formatted checksum line\n")
                }
                continue
            }
            // The algorithm: -a forces it; else the tag names it; else the
            // digest length leaves one or two candidates, and a match with
            // either counts (BLAKE3 or SHA-256 for 32 bytes, MD5 or XXH128 for 16).
            var algorithms: [HashAlgorithm]
            if let forced = command.algorithm {
                algorithms = [forced]
            } else if let tagged = parsed.algorithm {
                algorithms = [tagged]
            } else {
                algorithms = HashAlgorithm.candidates(forDigestLength: parsed.digest.count)
            }
            algorithms = algorithms.filter { $0.digestLength == parsed.digest.count }
            if algorithms.isEmpty {
                malformed += 1
                continue
            }
            entries.append(Entry(line: parsed, algorithms: algorithms))
        }
        guard !entries.isEmpty else {
            if !command.status {
                // A list written with -z, read without it, is one long line with NULs in it.
                let hint = !command.zero && text.contains(0) ? " (its lines end with NUL: check it with -z)" : ""
                diagnostics.write("fsring: hash: \(listName): no properly formatted checksum lines found\(hint)\n")
            }
            return true
        }

        // Where a digest's length fits two algorithms (BLAKE3 and SHA-256;
        // MD5 and XXH128), each file is hashed with its candidates in turn
        // until one matches: hashing every file both ways took twice the
        // time of `b3sum -c`. The order comes from a sample: the candidate
        // that matched most of its first 32 files goes first for the rest,
        // whose digests are not computed again. "-" is standard input, as
        // in sha256sum's lists: read once below, with every algorithm its
        // lines need.
        let standardInput = [UInt8(ascii: "-")]
        var digests: DigestsByName = [:]
        let files = entries.filter { $0.line.name != standardInput }
        let sample = Array(files.filter { $0.algorithms.count > 1 }.prefix(32))
        await hashUntilMatched(sample, into: &digests)
        var preferred: [Int: HashAlgorithm] = [:]
        for length in Set(sample.map(\.line.digest.count)) {
            let lines = sample.filter { $0.line.digest.count == length }
            preferred[length] = HashAlgorithm.candidates(forDigestLength: length).max { lhs, rhs in
                matches(lines, lhs, digests) < matches(lines, rhs, digests)
            }
        }
        let ordered = files.map { entry in
            var entry = entry
            if let first = preferred[entry.line.digest.count], entry.algorithms.contains(first) {
                entry.algorithms = [first] + entry.algorithms.filter { $0 != first }
            }
            return entry
        }
        await hashUntilMatched(ordered, into: &digests)
        let standardInputAlgorithms = HashAlgorithm.allCases.filter { algorithm in
            entries.contains { $0.line.name == standardInput && $0.algorithms.contains(algorithm) }
        }
        if !standardInputAlgorithms.isEmpty {
            for (algorithm, result) in zip(standardInputAlgorithms, await hashStandardInput(standardInputAlgorithms)) {
                digests[algorithm, default: [:]][ByteKey(standardInput)] = result
            }
        }

        var mismatched = 0
        var unreadable = 0
        var verified = 0
        for entry in entries {
            let name = ChecksumLine.displayName(entry.line.name)
            var matched = false
            var readError: FileSystemError?
            for algorithm in entry.algorithms {
                switch digests[algorithm]?[ByteKey(entry.line.name)] {
                case .success(let file): if file.digest == entry.line.digest { matched = true }
                case .failure(let error): readError = error
                case nil: break
                }
            }
            if let readError, !matched {
                if readError.code == ENOENT && command.ignoreMissing { continue }
                unreadable += 1
                if !command.status {
                    diagnostics.write(
                        Array("fsring: hash: ".utf8) + entry.line.name
                            + Array(": \(ErrnoName.describe(readError.code))\n".utf8))
                    output.write(name + Array(": FAILED open or read\n".utf8))
                }
                continue
            }
            verified += 1
            if matched {
                if !command.quiet && !command.status { output.write(name + Array(": OK\n".utf8)) }
            } else {
                mismatched += 1
                if !command.status { output.write(name + Array(": FAILED\n".utf8)) }
            }
        }

        if malformed > 0 {
            warning("\(malformed) \(malformed == 1 ? "line is" : "lines are") improperly formatted")
        }
        if unreadable > 0 {
            warning("\(unreadable) listed \(unreadable == 1 ? "file" : "files") could not be read")
        }
        if mismatched > 0 {
            warning("\(mismatched) computed \(mismatched == 1 ? "checksum" : "checksums") did NOT match")
        }
        if command.ignoreMissing && verified == 0 {
            if !command.status { diagnostics.write("fsring: hash: \(listName): no file was verified\n") }
            return true
        }
        return mismatched > 0 || unreadable > 0 || (command.strict && malformed > 0)
    }

    /// Hashes each entry's file with its algorithms in turn, until one
    /// matches its digest (or the file cannot be read), all files of a
    /// round and an algorithm at once, into `digests` (by algorithm, then
    /// name). Digests already there are not computed again.
    private func hashUntilMatched(_ entries: [Entry], into digests: inout DigestsByName) async {
        var pending = entries
        var round = 0
        while !pending.isEmpty {
            await hash(pending.map { ($0.line.name, $0.algorithms[round]) }, into: &digests)
            pending = pending.filter { entry in
                guard round + 1 < entry.algorithms.count,
                    case .success(let file) = digests[entry.algorithms[round]]?[ByteKey(entry.line.name)]
                else { return false }
                return file.digest != entry.line.digest
            }
            round += 1
        }
    }

    /// How many of `entries` match their digest by `algorithm`.
    private func matches(_ entries: [Entry], _ algorithm: HashAlgorithm, _ digests: DigestsByName) -> Int {
        entries.count { entry in
            guard case .success(let file) = digests[algorithm]?[ByteKey(entry.line.name)] else { return false }
            return file.digest == entry.line.digest
        }
    }

    /// Hashes each named file with its algorithm, all files of an algorithm
    /// at once, into `digests` (by algorithm, then name), but for those
    /// already there. Names go to the kernel as the list wrote them.
    private func hash(_ wanted: [([UInt8], HashAlgorithm)], into digests: inout DigestsByName) async {
        for algorithm in HashAlgorithm.allCases {
            let (paths, keys) = Self.unhashed(wanted, algorithm, known: digests[algorithm])
            if keys.isEmpty { continue }
            let table = await HashEngine(fileSystem: fileSystem, algorithm: algorithm).digestTable(of: paths)
            for (index, key) in keys.enumerated() { digests[algorithm, default: [:]][key] = table[index] }
        }
    }

    /// The names `wanted` with `algorithm` and not `known` yet, once each.
    private static func unhashed(
        _ wanted: [([UInt8], HashAlgorithm)], _ algorithm: HashAlgorithm, known: [ByteKey: DigestResult]?
    ) -> (PathList, [ByteKey]) {
        var paths = PathList()
        var keys: [ByteKey] = []
        var seen = Set<ByteKey>()
        for (name, wantedWith) in wanted where wantedWith == algorithm {
            let key = ByteKey(name)
            guard known?[key] == nil, seen.insert(key).inserted else { continue }
            name.withUnsafeBytes { paths.append(bytes: $0) }
            keys.append(key)
        }
        return (paths, keys)
    }

    /// Standard input's digest by each of `algorithms` (what is left of it,
    /// when the list itself came from there).
    private func hashStandardInput(_ algorithms: [HashAlgorithm]) async -> [DigestResult] {
        switch await HashCommand.readToEnd(name: "-", algorithms, open: { try HashCommand.standardInput(fileSystem) })
        {
        case .success(let digests): return digests.map { .success($0) }
        case .failure(let error): return algorithms.map { _ in .failure(error) }
        }
    }
}
