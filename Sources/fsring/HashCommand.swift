import FSRing
import FSRingHash
import Synchronization
import SystemPackage
import URing

#if canImport(Glibc)
    import Glibc
#endif

/// `fsring hash`: digests of files and trees, in the formats of sha256sum and b3sum.
struct HashCommand: Subcommand {
    static let name = "hash"
    static let abstract = "Hash files and directory trees; check and audit checksum lists."
    static let discussion = """
        Directories are hashed recursively: every file, hidden ones too, no ignore rules. \
        Output is sorted by path and accepted by `sha256sum -c` / `b3sum --check`.

        fsring hash -a sha256 src > SHA256SUMS     write a list
        fsring hash -c SHA256SUMS                  verify it (any supported list format)
        fsring hash --audit SHA256SUMS src         changed, missing, new and moved files
        fsring hash --tree src                     one digest for the whole tree
        """
    static let argumentsHelp = """
        Files and directories (check lists with -c; the directory to audit with --audit). \
        None, or -, reads standard input.
        """
    static let argumentsAreOptional = true

    static let options: [CommandOption<HashCommand>] = [
        .value("a", "algorithm", "algorithm", help: "blake3, sha256, sha512, sha1, md5 or xxh128.") {
            command, name throws(UsageError) in
            guard let algorithm = HashAlgorithm(rawValue: name.text) else {
                throw UsageError("unknown algorithm '\(name.text)': use blake3, sha256, sha512, sha1, md5 or xxh128")
            }
            command.algorithm = algorithm
        },
        .flag(nil, "tag", help: "BSD-style lines: ALGO (PATH) = HEX.") { $0.tag = true },
        .flag(nil, "json", help: "One JSON object per file, then a summary object.") { $0.json = true },
        .flag(nil, "unsorted", help: "Print each file as soon as it is hashed, in no particular order.") {
            $0.unsorted = true
        },
        .flag(
            "z", "zero",
            help: "End each output line with NUL, not newline, paths unescaped; with -c or --audit, read such lists."
        ) { $0.zero = true },
        .flag("L", "dereference", help: "Follow symbolic links.") { $0.followLinks = true },
        .flag("v", "verbose", help: "Also report skipped symbolic links and special files.") { $0.verbose = true },
        .flag("c", "check", help: "Read checksum lists from the paths and verify them.") { $0.check = true },
        .flag(nil, "quiet", help: "With --check: do not print OK for each verified file.") { $0.quiet = true },
        .flag(nil, "status", help: "With --check: print nothing; the exit status tells.") { $0.status = true },
        .flag(nil, "strict", help: "With --check: exit 1 for improperly formatted lines.") { $0.strict = true },
        .flag("w", "warn", help: "With --check: warn about each improperly formatted line.") { $0.warn = true },
        .flag(nil, "ignore-missing", help: "With --check: do not fail or report for missing files.") {
            $0.ignoreMissing = true
        },
        .value(
            nil, "audit", "audit",
            help: "Compare the directory given (default .) with this checksum list (- reads standard input)."
        ) {
            command, list in command.audit = list
        },
        .flag(nil, "tree", help: "Print one Merkle digest for each directory (defined in the README).") {
            $0.tree = true
        },
        .value(
            nil, "files0-from", "file",
            help: "Hash the paths named in this file, each ended by NUL (find -print0); - reads standard input."
        ) { command, list in command.filesFrom = list },
    ]

    var paths: [CommandArgument] = []
    var algorithm: HashAlgorithm?
    var tag = false
    var json = false
    var unsorted = false
    var zero = false
    var followLinks = false
    var verbose = false
    var check = false
    var quiet = false
    var status = false
    var strict = false
    var warn = false
    var ignoreMissing = false
    var audit: CommandArgument?
    var tree = false
    var filesFrom: CommandArgument?

    func validate() throws(UsageError) {
        let modes = [check, audit != nil, tree].filter { $0 }.count
        if modes > 1 { throw UsageError("--check, --audit and --tree cannot be combined") }
        if tree && paths.isEmpty { throw UsageError("--tree needs at least one directory") }
        if audit != nil && paths.count > 1 { throw UsageError("--audit takes one directory") }
        if json && (tag || check) { throw UsageError("--json cannot be combined with --tag or --check") }
        if filesFrom != nil {
            if check || audit != nil { throw UsageError("--files0-from cannot be combined with --check or --audit") }
            if let extra = paths.first {
                throw UsageError("paths cannot be combined with --files0-from, not \(extra.quoted)")
            }
        }
    }

    func run() async throws {
        let fileSystem: FileSystem
        do {
            fileSystem = try FileSystem()
        } catch {
            writeToStandardError("fsring: hash: \(error)\n")
            throw ExitStatus(2)
        }
        let output = RawOutput(descriptor: 1)
        let diagnostics = RawOutput(descriptor: 2)
        defer {
            output.flush()
            diagnostics.flush()
        }
        var command = self
        var listFailed = false
        if let filesFrom {
            guard let names = await readNameList(filesFrom, fileSystem: fileSystem, diagnostics: diagnostics) else {
                throw ExitStatus(1)
            }
            command.paths = names.paths
            listFailed = names.failed
        } else if command.paths.isEmpty && audit == nil {
            // No path reads standard input, as sha256sum and b3sum do (a
            // list to check, with -c).
            command.paths = [CommandArgument([UInt8(ascii: "-")])]
        }
        let failed: Bool
        if check {
            failed = await HashCheck(command: command, fileSystem: fileSystem, output: output, diagnostics: diagnostics)
                .run()
        } else if let audit {
            failed = await runAudit(manifest: audit, fileSystem: fileSystem, output: output, diagnostics: diagnostics)
        } else if tree {
            failed = await runTree(fileSystem: fileSystem, output: output, diagnostics: diagnostics)
        } else {
            failed = await command.runHash(fileSystem: fileSystem, output: output, diagnostics: diagnostics)
        }
        if failed || listFailed { throw ExitStatus(1) }
    }

    /// The paths a `--files0-from` list names, each ended by NUL (the last
    /// may lack it), as GNU du and wc read them: an empty name is reported
    /// and skipped; a name is a path as written, `-` a file of that name,
    /// not standard input. Nil when the list cannot be read.
    private func readNameList(
        _ list: CommandArgument, fileSystem: FileSystem, diagnostics: RawOutput
    ) async -> (paths: [CommandArgument], failed: Bool)? {
        guard let bytes = await readList(list, fileSystem: fileSystem, diagnostics: diagnostics) else { return nil }
        var names = bytes.split(separator: 0, omittingEmptySubsequences: false)
        if names.last?.isEmpty == true { names.removeLast() }  // after the last NUL
        var paths: [CommandArgument] = []
        var failed = false
        for (number, name) in names.enumerated() {
            guard !name.isEmpty else {
                diagnostics.write("fsring: hash: \(list.text):\(number + 1): invalid zero-length file name\n")
                failed = true
                continue
            }
            paths.append(CommandArgument(name == [UInt8(ascii: "-")] ? Array("./-".utf8) : Array(name)))
        }
        return (paths, failed)
    }

    /// A list's bytes (a checksum list, or names for `--files0-from`), from
    /// standard input for `-`; nil, with the reason reported, when the file
    /// cannot be read.
    func readList(_ list: CommandArgument, fileSystem: FileSystem, diagnostics: RawOutput) async -> [UInt8]? {
        do {
            guard list.isStandardInput else { return try await fileSystem.readFile(at: list.path) }
            let handle = try Self.standardInput(fileSystem)
            let bytes = try await handle.readToEnd(fromAbsoluteOffset: nil, maximumSizeAllowed: .max)
            try await handle.close()
            return bytes
        } catch let error as FileSystemError {
            report(error, to: diagnostics)
        } catch {
            report(FileSystemError(code: ECANCELED, operation: "read", path: list.path), to: diagnostics)
        }
        return nil
    }

    var lineEnd: UInt8 { zero ? 0 : 0x0A }

    var style: ChecksumLine.Style { tag ? ChecksumLine.Style.bsd : ChecksumLine.Style.gnu }

    func report(_ error: FileSystemError, to diagnostics: RawOutput) {
        diagnostics.write("fsring: hash: ")
        diagnostics.write(Array(error.description.utf8))
        diagnostics.write([0x0A])
    }

    // MARK: Hashing

    private func runHash(fileSystem: FileSystem, output: RawOutput, diagnostics: RawOutput) async -> Bool {
        let algorithm = self.algorithm ?? .blake3
        let started = ContinuousClock.now
        var failures = 0
        var hashed = 0
        var bytes: UInt64 = 0
        func count(_ stream: FileDigest?) {
            if let stream {
                hashed += 1
                bytes += stream.size
            } else {
                failures += 1
            }
        }
        // "-" is standard input, hashed first, as sha256sum and b3sum read it.
        if paths.contains(where: \.isStandardInput) {
            count(
                await hashStream(name: "-", algorithm, output: output, diagnostics: diagnostics) {
                    try Self.standardInput(fileSystem)
                })
        }
        // A path written with a trailing slash must reach a directory, as
        // for sha256sum and b3sum (`file/` is "Not a directory").
        var roots: [[UInt8]] = []
        for argument in paths where !argument.isStandardInput {
            let error = argument.endsWithSlash ? argument.directoryError() : 0
            if error != 0 {
                diagnostics.write(
                    Array("fsring: hash: ".utf8) + QuotedPath.bytes(argument.bytes)
                        + Array(": \(ErrnoName.describe(error))\n".utf8))
                failures += 1
                continue
            }
            roots.append(argument.bytes)
        }
        let collection = await FileCollection.collect(written: roots, followLinks: followLinks, in: fileSystem)
        for error in collection.errors { report(error, to: diagnostics) }
        // FIFOs and devices named on the command line, read to their end next.
        for stream in collection.streams {
            count(
                await hashStream(name: stream, algorithm, output: output, diagnostics: diagnostics) {
                    try await fileSystem.openFile(forReadingAt: stream)
                })
        }
        if verbose {
            for link in collection.skippedLinks {
                diagnostics.write(
                    Array("fsring: hash: skipped symbolic link ".utf8) + QuotedPath.bytes(link.rawBytes) + [0x0A])
            }
            for (path, type) in collection.skippedSpecial {
                diagnostics.write(
                    Array("fsring: hash: skipped \(type) ".utf8) + QuotedPath.bytes(path.rawBytes) + [0x0A])
            }
        }
        let engine = HashEngine(fileSystem: fileSystem, algorithm: algorithm)
        let files = collection.files
        failures += collection.errors.count
        if unsorted {
            // Each line goes out as its file finishes, from whichever thread finished it.
            let printer = StreamingPrinter(command: self, format: lineFormat, files: files)
            let table = await engine.digestTable(of: files) { index, result in printer.print(index, result) }
            printer.flush()
            for index in 0..<table.count {
                if table.error(at: index) != nil {
                    failures += 1
                } else {
                    hashed += 1
                    bytes += table.size(at: index)
                }
            }
        } else {
            // Hash in the order found (neighbours in a directory together)
            // while the paths are sorted by their bytes on another core; the
            // lines are then written from the two flat tables. A few paths
            // are sorted here: handing them over costs more.
            let sorting = files.count > 64 ? Task.detached { files.byteOrder() } : nil
            let table = await engine.digestTable(of: files)
            let order = await sorting?.value ?? files.byteOrder()
            for part in await SortedLines.format(order, table: table, files: files, format: lineFormat) {
                output.write(part.text)
                for error in part.errors { report(error, to: diagnostics) }
                failures += part.errors.count
                hashed += part.hashed
                bytes += part.bytes
            }
        }
        if json {
            let elapsed = (ContinuousClock.now - started).components
            let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
            let summary = JSON.object([
                ("files", JSON.number(Double(hashed))), ("bytes", JSON.number(Double(bytes))),
                ("errors", JSON.number(Double(failures))), ("algorithm", JSON.string(algorithm.rawValue)),
                ("seconds", JSON.number(seconds)),
            ])
            output.write(JSON.object([("summary", summary)]) + [0x0A])
        }
        if failures > 0 {
            diagnostics.write("fsring: hash: \(failures) \(failures == 1 ? "path" : "paths") could not be hashed\n")
        }
        return failures > 0
    }

    /// How each file's line is written.
    var lineFormat: DigestLineFormat {
        DigestLineFormat(algorithm: algorithm ?? .blake3, style: style, json: json, lineEnd: lineEnd)
    }

    /// Reads a stream (standard input, a FIFO, a device) to its end and
    /// prints its line; nil, with the reason on stderr, when it fails.
    private func hashStream(
        name: FilePath, _ algorithm: HashAlgorithm, output: RawOutput, diagnostics: RawOutput,
        open: () async throws -> FileHandle
    ) async -> FileDigest? {
        switch await Self.readToEnd(name: name, [algorithm], open: open) {
        case .success(let digests):
            output.write(lineFormat.line(name: name.rawBytes, digests[0]))
            return digests[0]
        case .failure(let error):
            report(error, to: diagnostics)
            return nil
        }
    }

    /// Opens a stream, reads it to its end and closes it: its digest by
    /// each of `algorithms`, or why it could not be read.
    static func readToEnd(name: FilePath, _ algorithms: [HashAlgorithm], open: () async throws -> FileHandle) async
        -> Result<[FileDigest], FileSystemError>
    {
        do {
            let handle = try await open()
            let digests: [FileDigest]
            do {
                digests = try await readToEnd(handle, algorithms)
            } catch {
                try? await handle.close()
                throw error
            }
            try await handle.close()
            return .success(digests)
        } catch {
            return .failure((error as? FileSystemError) ?? FileSystemError(code: EIO, operation: "read", path: name))
        }
    }

    /// Standard input as a handle of its own: a duplicate, so closing it
    /// leaves descriptor 0 open.
    static func standardInput(_ fileSystem: FileSystem) throws -> FileHandle {
        let descriptor = dup(0)
        if descriptor < 0 { throw FileSystemError(code: errno, operation: "dup", path: "-") }
        return FileHandle(takingOwnershipOf: descriptor, path: "-", fileSystem: fileSystem)
    }

    /// The digests, one per algorithm, of everything left to read from
    /// `handle`, read once.
    private static func readToEnd(_ handle: FileHandle, _ algorithms: [HashAlgorithm]) async throws -> [FileDigest] {
        let hashers = algorithms.map { StreamingHasher($0) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 4096)
        defer { buffer.deallocate() }
        var size: UInt64 = 0
        while true {
            let count = try await handle.read(into: buffer)
            if count == 0 { break }
            for hasher in hashers { hasher.update(UnsafeRawBufferPointer(rebasing: buffer[..<count])) }
            size += UInt64(count)
        }
        return hashers.map { FileDigest(digest: $0.finalize(), size: size) }
    }

    // MARK: Tree

    private func runTree(fileSystem: FileSystem, output: RawOutput, diagnostics: RawOutput) async -> Bool {
        let algorithm = self.algorithm ?? .blake3
        let digester = TreeDigest(
            engine: HashEngine(fileSystem: fileSystem, algorithm: algorithm), followLinks: followLinks)
        var failed = false
        for argument in paths {
            let root = argument.path
            let outcome = await digester.digest(ofDirectory: root)
            for error in outcome.errors { report(error, to: diagnostics) }
            if verbose {
                for path in outcome.skipped {
                    diagnostics.write(
                        Array("fsring: hash: left out of the tree: ".utf8) + QuotedPath.bytes(path.rawBytes) + [0x0A])
                }
            }
            guard let digest = outcome.digest else {
                failed = true
                continue
            }
            let line = ChecksumLine(algorithm: algorithm, digest: digest, name: root.rawBytes)
            output.write(line.formatted(style, algorithm: algorithm, escapingNames: !zero) + [lineEnd])
        }
        return failed
    }

    // MARK: Audit

    private func runAudit(
        manifest: CommandArgument, fileSystem: FileSystem, output: RawOutput, diagnostics: RawOutput
    )
        async -> Bool
    {
        guard let text = await readList(manifest, fileSystem: fileSystem, diagnostics: diagnostics) else { return true }
        var entries: [ChecksumLine] = []
        var malformed = 0
        var reader = ChecksumLine.ListReader(escapedNames: !zero)
        for line in text.split(separator: lineEnd, omittingEmptySubsequences: false) {
            switch reader.read(line) {
            case .entry(let entry): entries.append(entry)
            case .ignored: break
            case .malformed: malformed += 1
            }
        }
        if malformed > 0 {
            diagnostics.write(
                "fsring: hash: WARNING: \(malformed) \(malformed == 1 ? "line is" : "lines are") improperly formatted\n"
            )
        }
        // The algorithm: -a, else the list's tag, else the one its digests fit.
        let algorithm: HashAlgorithm
        if let forced = self.algorithm {
            algorithm = forced
        } else {
            algorithm = await entries.algorithm(in: fileSystem) ?? .blake3
        }
        let root = paths.first?.path ?? FilePath(".")
        let collection = await FileCollection.collect([root], followLinks: followLinks, in: fileSystem)
        for error in collection.errors { report(error, to: diagnostics) }
        let files = collection.files
        let table = await HashEngine(fileSystem: fileSystem, algorithm: algorithm).digestTable(of: files)
        var current: [(name: [UInt8], digest: [UInt8])] = []
        var unreadable = collection.errors.count
        for index in 0..<files.count {
            switch table[index] {
            case .success(let file): current.append((files.withBytes(of: index) { Array($0) }, file.digest))
            case .failure(let error):
                unreadable += 1
                report(error, to: diagnostics)
            }
        }
        let audit = AuditReport(manifest: entries.map { ($0.name, $0.digest) }, current: current)
        func line(_ label: String, _ names: [UInt8]...) {
            var bytes = Array("\(label): ".utf8)
            for (index, name) in names.enumerated() {
                if index > 0 { bytes += Array(" -> ".utf8) }
                bytes += ChecksumLine.displayName(name)
            }
            output.write(bytes + [lineEnd])
        }
        for name in audit.changed { line("changed", name) }
        for name in audit.missing { line("missing", name) }
        for name in audit.new { line("new", name) }
        for move in audit.moved { line("moved", move.from, move.to) }
        output.write(
            "\(audit.changed.count) changed, \(audit.missing.count) missing, \(audit.new.count) new, \(audit.moved.count) moved\n"
        )
        return !audit.isClean || unreadable > 0
    }
}

/// Writes lines for `--unsorted` as results arrive, one writer at a time.
final class StreamingPrinter: Sendable {
    private let command: HashCommand
    private let format: DigestLineFormat
    private let files: PathList
    // The writers, behind one lock: results arrive on several threads.
    private let outputs = Mutex((output: RawOutput(descriptor: 1), diagnostics: RawOutput(descriptor: 2)))

    init(command: HashCommand, format: DigestLineFormat, files: PathList) {
        self.command = command
        self.format = format
        self.files = files
    }

    func print(_ index: Int, _ result: DigestResult) {
        outputs.withLock { outputs in
            switch result {
            case .success(let file):
                files.withBytes(of: index) { name in
                    file.digest.withUnsafeBytes { digest in
                        outputs.output.write { format.append(name: name, digest: digest, size: file.size, to: &$0) }
                    }
                }
            case .failure(let error):
                command.report(error, to: outputs.diagnostics)
            }
        }
    }

    func flush() {
        outputs.withLock { outputs in
            outputs.output.flush()
            outputs.diagnostics.flush()
        }
    }
}
