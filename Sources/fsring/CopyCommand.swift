import FSRing
import FSRingCopy
import FSRingHash
import Synchronization
import SystemPackage
import URing

#if canImport(Glibc)
    import Glibc
#endif

/// `fsring copy`: cp -a, on every core.
struct CopyCommand: Subcommand {
    static let name = "copy"
    static let abstract = "Copy files and directory trees with the fidelity of cp -a, concurrently."
    static let discussion = """
        Destination rules are cp's: one SOURCE onto a DEST that does not exist creates DEST; \
        into an existing directory, each SOURCE is copied to DEST/<name>; several sources need \
        DEST to be a directory; -T makes DEST the copy itself.

        By default everything cp -a keeps is kept: mode, owner, times (ns), hard links, \
        symbolic links (not followed), extended attributes, holes in sparse files, FIFOs and \
        devices. No file appears under its final name before it is complete: a new tree is \
        written under a temporary name and renamed into place at the end; into an existing one, \
        each file is written unnamed and linked in. Ctrl-C stops cleanly, keeping what is whole.

        fsring copy -v src backup/           copy src to backup/src, listing each entry
        fsring copy --update src/ backup/src copy what is newer than the backup
        fsring copy --dry-run src dst        what would be copied
        """
    static let argumentsHelp = "Sources, then the destination."

    static let options: [CommandOption<CopyCommand>] = [
        .value("t", "target-directory", "directory", help: "Copy every source into this directory.") {
            command, directory in command.targetDirectory = directory
        },
        .flag("T", "no-target-directory", help: "Treat DEST as the copy itself.") { $0.noTargetDirectory = true },
        .flag("a", "archive", help: "Archive mode, as cp -a (the default; accepted for habit).") { _ in },
        .flag("r", "recursive", help: "Copy directories recursively (always done; accepted for habit).") { _ in },
        .flag("R", nil, help: "The same as -r.") { _ in },
        .flag("p", nil, help: "Keep mode, ownership and times (kept by default; accepted for habit).") { _ in },
        .flag("L", "dereference", help: "Follow every symbolic link in SOURCE.") { $0.dereference = true },
        .flag("H", nil, help: "Follow symbolic links given as SOURCE, none below.") {
            $0.dereferenceArguments = true
        },
        .flag("P", "no-dereference", help: "Copy symbolic links as links (default).") { $0.copyLinksAsLinks() },
        .flag("d", nil, help: "As cp -d: links copied as links, hard links kept (the default; as -P).") {
            $0.copyLinksAsLinks()
        },
        .flag("l", "link", help: "Hard-link files instead of copying them, as cp -al (directories are made).") {
            $0.link = true
        },
        .flag(
            "s", "symbolic-link",
            help: "Make symbolic links to the sources instead of copies, as cp -s (directories are made)."
        ) { $0.symbolicLink = true },
        .flag(
            nil, "strip-trailing-slashes",
            help: "Copy into a directory each SOURCE without its trailing slashes (link/ is the link)."
        ) {
            $0.stripTrailingSlashes = true
        },
        .flag("K", "keep-dirlinks", help: "Copy into the directory a symbolic link in the way leads to, as rsync -K.") {
            $0.keepDirectoryLinks = true
        },
        .flag(nil, "parents", help: "Copy each SOURCE to DEST/SOURCE, making the directories on the way.") {
            $0.parents = true
        },
        .flag("x", "one-file-system", help: "Copy no contents of directories on other file systems (mount points).") {
            $0.oneFileSystem = true
        },
        .optionalValue(
            "preserve", "attributes",
            help:
                "Keep only these attributes: mode, ownership, timestamps, links, xattr, all (default all; "
                + "alone, as -p, it changes nothing)."
        ) { command, list throws(UsageError) in
            if let list { command.preserve = try CopyCommand.attributes(list.text) }
        },
        .value(nil, "no-preserve", "attributes", help: "Do not keep these attributes (same names).") {
            command, list throws(UsageError) in command.noPreserve = try CopyCommand.attributes(list.text)
        },
        .flag("n", "no-clobber", help: "Never replace an existing file (overrides an earlier -i).") {
            $0.noClobber = true
            $0.interactive = false
        },
        .flag("i", "interactive", help: "Ask before replacing each existing file (overrides an earlier -n).") {
            $0.interactive = true
            $0.noClobber = false
        },
        .flag("u", nil, help: "Replace an existing file only when the source is newer (as --update).") {
            $0.update = .replaceOlder
        },
        .optionalValue(
            "update", "which",
            help:
                "Which existing files are replaced: older (than the source; the default), all, none (as -n) "
                + "or none-fail (none, each one a failure)."
        ) { command, which throws(UsageError) in
            command.update = .replaceOlder
            if let which { command.update = try CopyCommand.updatePolicy(which.text) }
        },
        .optionalValue(
            "reflink", "when", help: "auto (clone where the file system can, default), always (alone too), never."
        ) { command, when throws(UsageError) in
            guard let when else { return command.reflink = .always }
            let choice: CommandLineParser.Choice<CopyOptions.Reflink> = CommandLineParser.choice(
                when.text, among: [("auto", .auto), ("always", .always), ("never", .never)])
            guard case .chosen(let reflink) = choice else {
                throw UsageError("--reflink takes auto, always or never, not \(when.quoted)")
            }
            command.reflink = reflink
        },
        .value(
            nil, "sparse", "when",
            help: "auto (keep holes, default), always (blocks of zeros become holes too), never (fill holes)."
        ) { command, when throws(UsageError) in
            let choice: CommandLineParser.Choice<CopyOptions.Sparse> = CommandLineParser.choice(
                when.text, among: [("auto", .auto), ("always", .always), ("never", .never)])
            guard case .chosen(let sparse) = choice else {
                throw UsageError("--sparse takes auto, always or never, not \(when.quoted)")
            }
            command.sparse = sparse
        },
        .flag(
            nil, "inplace", help: "Write into the final names directly (an interrupted copy may leave partial files)."
        ) { $0.inplace = true },
        .flag(nil, "remove-destination", help: "With --inplace, remove each file before writing it.") {
            $0.removeDestination = true
        },
        .optionalValue(
            "backup", "control",
            help:
                "Keep each entry a copy replaces under a backup name: numbered (NAME.~N~), simple (NAME~), "
                + "existing (numbered where numbered backups exist; the default, or VERSION_CONTROL's) or none."
        ) { command, control in
            command.backup = true
            if let control { command.backupControl = control.text }
        },
        .flag("b", nil, help: "As --backup, named as VERSION_CONTROL says (default existing).") { $0.backup = true },
        .value(
            "S", "suffix", "suffix",
            help: "The end of simple backups' names (default ~ or SIMPLE_BACKUP_SUFFIX); backs up."
        ) { command, suffix in
            command.backup = true
            command.backupSuffix = suffix
        },
        .flag(
            "f", "force",
            help: "With --inplace, remake a file that cannot be opened; with --backup, copy a file to its backup."
        ) {
            $0.force = true
        },
        .flag(nil, "attributes-only", help: "Copy no file contents: files get only the source's metadata.") {
            $0.attributesOnly = true
        },
        .flag(nil, "verify", help: "Read every copied file back and compare BLAKE3 digests with the source.") {
            $0.verify = true
        },
        .value("j", "jobs", "count", help: "Files in flight at once (default: two per core).") {
            command, count throws(UsageError) in
            command.jobs = try CommandLineParser.integer(count, for: "--jobs", in: 1...1024)
        },
        .flag(nil, "progress", help: "Show a progress line on stderr (default: when stderr is a terminal).") {
            $0.progress = true
        },
        .flag(nil, "no-progress", help: "Show no progress line.") { $0.progress = false },
        .flag("v", "verbose", help: "List each entry copied.") { $0.verbose = true },
        .flag(nil, "dry-run", help: "List what would be copied; change nothing.") { $0.dryRun = true },
        .flag(nil, "json", help: "Print a JSON summary at the end.") { $0.json = true },
    ]

    var paths: [CommandArgument] = []
    var targetDirectory: CommandArgument?
    var noTargetDirectory = false
    var dereference = false
    var dereferenceArguments = false
    var preserve: CopyOptions.Attributes?
    var noPreserve: CopyOptions.Attributes?
    var noClobber = false
    var interactive = false
    /// --update's policy, or -u's.
    var update: CopyOptions.Overwrite?
    var reflink = CopyOptions.Reflink.auto
    var sparse = CopyOptions.Sparse.auto
    var inplace = false
    var oneFileSystem = false
    var link = false
    var symbolicLink = false
    var stripTrailingSlashes = false
    var keepDirectoryLinks = false
    var parents = false
    var force = false
    var removeDestination = false
    var backup = false
    /// --backup's value as given; VERSION_CONTROL's is read when there is none.
    var backupControl: String?
    var backupSuffix: CommandArgument?
    var attributesOnly = false
    var verify = false
    var jobs: Int?
    var progress: Bool?
    var verbose = false
    var dryRun = false
    var json = false

    /// -P and -d: undo an earlier -L or -H, as in cp.
    mutating func copyLinksAsLinks() {
        dereference = false
        dereferenceArguments = false
    }

    func validate() throws(UsageError) {
        let needed = targetDirectory == nil ? 2 : 1
        if paths.count < needed { throw UsageError("give a source and a destination") }
        if noTargetDirectory && targetDirectory != nil { throw UsageError("-t and -T cannot be combined") }
        if noTargetDirectory && paths.count > 2 { throw UsageError("-T takes one source and one destination") }
        if noClobber && update != nil { throw UsageError("--no-clobber and --update cannot be combined") }
        if backup && (noClobber || update?.keepsExisting == true) {
            throw UsageError("--backup cannot be combined with --no-clobber or --update=none")
        }
        _ = try backupOptions()
        if attributesOnly && verify { throw UsageError("--verify compares contents, which --attributes-only leaves") }
        if link && symbolicLink { throw UsageError("-l and -s cannot be combined: links are hard or symbolic") }
        if parents && noTargetDirectory { throw UsageError("--parents and -T cannot be combined") }
        if reflink == .always && sparse != .auto {
            throw UsageError("--reflink=always shares the source's blocks as they are: --sparse must be auto")
        }
    }

    var copyOptions: CopyOptions {
        var options = CopyOptions()
        if let preserve { options.preserve = preserve }
        if let noPreserve { options.preserve.subtract(noPreserve) }
        options.overwrite = noClobber ? .keepExisting : update ?? .replace
        options.reflink = reflink
        options.sparse = sparse
        options.followSymbolicLinks = dereference
        options.followRootSymbolicLink = dereferenceArguments
        options.inPlace = inplace
        options.stayOnFileSystem = oneFileSystem
        options.linkInsteadOfCopying = link
        options.symbolicLinkInsteadOfCopying = symbolicLink
        options.keepsDirectoryLinks = keepDirectoryLinks
        options.force = force
        options.removeDestination = removeDestination
        // (Checked in `validate`.)
        options.backup = (try? backupOptions()) ?? nil
        options.attributesOnly = attributesOnly
        options.verify = verify
        options.dryRun = dryRun
        if let jobs { options.concurrency = jobs }
        return options
    }

    /// What --backup, -b and -S ask for, with VERSION_CONTROL and
    /// SIMPLE_BACKUP_SUFFIX where they leave it open, as cp reads them; nil
    /// for no backups.
    func backupOptions() throws(UsageError) -> CopyOptions.Backup? {
        guard backup else { return nil }
        let naming: CopyOptions.Backup.Naming?
        if let backupControl {
            naming = try Self.backupNaming(backupControl, for: "--backup")
        } else if let environment = getenv("VERSION_CONTROL") {
            naming = try Self.backupNaming(String(cString: environment), for: "VERSION_CONTROL")
        } else {
            naming = .numberedWhereNumbered
        }
        guard let naming else { return nil }
        var suffix = "~"
        if let backupSuffix {
            guard let text = String(validating: backupSuffix.bytes, as: UTF8.self) else {
                throw UsageError("--suffix must be UTF-8 text")
            }
            suffix = text
        } else if let environment = getenv("SIMPLE_BACKUP_SUFFIX") {
            suffix = String(cString: environment)
        }
        // As cp: a suffix that is empty or would reach into a directory is not used.
        if suffix.isEmpty || suffix.contains("/") { suffix = "~" }
        return CopyOptions.Backup(naming: naming, suffix: suffix)
    }

    /// cp's names for --update's policies.
    static func updatePolicy(_ which: String) throws(UsageError) -> CopyOptions.Overwrite {
        let choice: CommandLineParser.Choice<CopyOptions.Overwrite> = CommandLineParser.choice(
            which,
            among: [
                ("all", .replace), ("none", .keepExisting), ("none-fail", .keepExistingAsFailure),
                ("older", .replaceOlder),
            ])
        switch choice {
        case .chosen(let policy): return policy
        case .ambiguous: throw UsageError("ambiguous --update '\(which)'; use all, none, none-fail or older")
        case .unknown: throw UsageError("invalid --update '\(which)'; use all, none, none-fail or older")
        }
    }

    /// cp's names for the kinds of backup (empty means the default); nil for none.
    static func backupNaming(_ control: String, for source: String) throws(UsageError)
        -> CopyOptions.Backup.Naming?
    {
        if control.isEmpty { return .numberedWhereNumbered }
        let choice: CommandLineParser.Choice<CopyOptions.Backup.Naming?> = CommandLineParser.choice(
            control,
            among: [
                ("none", nil), ("off", nil), ("simple", .simple), ("never", .simple),
                ("existing", .numberedWhereNumbered), ("nil", .numberedWhereNumbered), ("numbered", .numbered),
                ("t", .numbered),
            ])
        let valid = "use none or off, simple or never, existing or nil, numbered or t"
        switch choice {
        case .chosen(let naming): return naming
        case .ambiguous: throw UsageError("ambiguous backup kind '\(control)' in \(source); \(valid)")
        case .unknown: throw UsageError("invalid backup kind '\(control)' in \(source); \(valid)")
        }
    }

    /// cp's attribute names.
    static func attributes(_ list: String) throws(UsageError) -> CopyOptions.Attributes {
        var attributes: CopyOptions.Attributes = []
        for name in list.split(separator: ",") {
            switch name {
            case "mode": attributes.insert(.mode)
            case "ownership": attributes.insert(.ownership)
            case "timestamps": attributes.insert(.timestamps)
            case "links": attributes.insert(.links)
            case "xattr": attributes.insert(.xattr)
            case "all": attributes = .all
            default:
                throw UsageError(
                    "unknown attribute '\(name)'; use mode, ownership, timestamps, links, xattr or all")
            }
        }
        return attributes
    }

    func run() async throws {
        let fileSystem: FileSystem
        do {
            // The copy itself makes plain system calls on its own threads;
            // the file system's backend only reads for --verify. Without it,
            // no rings are made: once a sixth of a one-file copy's time, and
            // since their threads wait for their first work, still 0.14 ms of
            // its 2.8 ms (200 paired runs; the POSIX backend starts its
            // threads with its first job).
            fileSystem = try FileSystem(backend: verify ? nil : .posix)
        } catch {
            writeToStandardError("fsring: copy: \(error)\n")
            throw ExitStatus(2)
        }
        var options = copyOptions
        let showProgress = progress ?? (isatty(2) == 1)
        options.countTotals = showProgress
        let pairs: [CopyPair]
        do {
            pairs = try plan()
        } catch let error as CopyPlanError {
            writeToStandardError("fsring: copy: \(error.message)\n")
            throw ExitStatus(2)
        }
        let printer = CopyPrinter(verbose: verbose, dryRun: dryRun, progress: showProgress)
        if interactive { options.confirmReplacing = { _, destination in printer.confirmReplacing(destination) } }
        var progressHandler: (@Sendable (CopyProgress) -> Void)?
        if showProgress { progressHandler = { @Sendable in printer.progress($0) } }
        // Hard links between files of different sources stay hard links, as with cp.
        options.hardLinkRegistry = HardLinkRegistry()
        let copying = Task { [options, progressHandler] in
            await copyAll(pairs, options: options, fileSystem: fileSystem, printer: printer, progress: progressHandler)
        }
        let interruption = Interruption {
            printer.stopAsking()
            copying.cancel()
        }
        let (total, failed, fatal) = await copying.value
        interruption.end()
        if let signal = interruption.signal {
            printer.finish()
            let name = signal == SIGINT ? "SIGINT" : "SIGTERM"
            writeToStandardError(
                "fsring: copy: interrupted (\(name)) after \(total.files) files; what was copied is whole\n")
            throw ExitStatus(128 + signal)
        }
        printer.finish()
        if json {
            let output = RawOutput(descriptor: 1)
            output.write(Self.json(total) + [0x0A])
            output.flush()
        }
        if total.failed > 0 {
            writeToStandardError("fsring: copy: \(total.failed) \(total.failed == 1 ? "entry" : "entries") failed\n")
        }
        if fatal { throw ExitStatus(2) }
        if failed || total.failed > 0 { throw ExitStatus(1) }
    }

    /// Copies each pair in turn; stops at a failure that ends a run, or
    /// when cancelled (a signal: see Interruption).
    private func copyAll(
        _ pairs: [CopyPair], options: CopyOptions,
        fileSystem: FileSystem, printer: CopyPrinter, progress progressHandler: (@Sendable (CopyProgress) -> Void)?
    ) async -> (total: CopySummary, failed: Bool, fatal: Bool) {
        var total = CopySummary()
        var failed = false
        var fatal = false
        // As cp: two sources meeting at one destination are copied both only
        // when both are directories (merged); the same file given twice is
        // copied once, and another file is not written over the one just
        // copied there.
        var copiedTo: [FilePath: PathKind] = [:]
        var madeParents: [MadeParent] = []
        for pair in pairs {
            if Task.isCancelled { break }
            if parents {
                guard
                    let made = makeParents(of: pair.source, into: destinationArgument.path, printer: printer)
                else {
                    failed = true
                    continue
                }
                madeParents += made
            }
            let kind = PathKind(pair.source, followLink: pair.followLink || dereference || dereferenceArguments)
            if let first = copiedTo[pair.destination] {
                if kind.exists && kind.identity == first.identity {
                    printer.diagnostic("warning: \(pair.source.quoted) is given more than once")
                    continue
                }
                if !(first.isDirectory && kind.isDirectory) {
                    printer.diagnostic(
                        "will not overwrite just-copied \(pair.destination.quoted) with \(pair.source.quoted)")
                    failed = true
                    continue
                }
            } else {
                copiedTo[pair.destination] = kind
            }
            var pairOptions = options
            if pair.followLink { pairOptions.followRootSymbolicLink = true }
            printer.listPair(
                source: pair.source, written: pair.written, destination: pair.destination,
                writtenDestination: pair.writtenDestination)
            do throws(CopyError) {
                let summary = try await fileSystem.copyItem(
                    at: pair.source, to: pair.destination, options: pairOptions, progress: progressHandler,
                    onItem: { printer.item($0) },
                    onError: { failure in
                        printer.failure(failure)
                        return .proceed
                    })
                total.add(summary)
            } catch {
                // Stopped by a signal: the command says so once, at the end.
                if !Task.isCancelled { printer.fatal(error) }
                if case .stopped(_, let summary) = error {
                    total.add(summary)
                    fatal = true
                    break
                }
                failed = true
            }
        }
        if parents && !fatal && !Task.isCancelled {
            if await !finishParents(madeParents, options: options, fileSystem: fileSystem, printer: printer) {
                failed = true
            }
        }
        return (total, failed, fatal)
    }

    /// What a path names (through a link with `followLink`): to tell
    /// repeated sources apart, and directories and links from the rest.
    private struct PathKind {
        /// Device and inode; nil when nothing is there (a source's copy reports why).
        var identity: [UInt64]?
        var exists: Bool { identity != nil }
        var isDirectory = false
        var isLink = false

        init(_ source: FilePath, followLink: Bool) {
            var info = stat()
            let found = source.withPlatformString { followLink ? stat($0, &info) : lstat($0, &info) } == 0
            guard found else { return }
            identity = [UInt64(info.st_dev), UInt64(info.st_ino)]
            isDirectory = info.st_mode & S_IFMT == S_IFDIR
            isLink = info.st_mode & S_IFMT == S_IFLNK
        }
    }

    struct CopyPlanError: Error {
        let message: String
    }

    /// A source, where its copy goes, and how the source was written.
    struct CopyPair {
        var source: FilePath
        var destination: FilePath
        var followLink: Bool
        /// The argument's bytes (`d//s`, `./d/s/`), which listings show, as cp's do.
        var written: [UInt8]
        /// The destination as cp spells it: DEST as written (`dir//new/`),
        /// or, for a copy into DEST, DEST without its trailing slashes, a
        /// slash and the source's name (`./dir//./f` for `./dir//./`).
        var writtenDestination: [UInt8]
    }

    /// Each source with the path its copy gets, by cp's rules.
    func plan() throws -> [CopyPair] {
        let pairs = try destinations()
        // A SOURCE written with a trailing slash names a directory, as for
        // cp: a link to one is followed (the directory is copied, not the
        // link), and anything else is refused. (The path has lost the slash.)
        return try zip(sourceArguments, pairs).map { argument, pair in
            guard argument.endsWithSlash else {
                return CopyPair(
                    source: pair.source, destination: pair.destination, followLink: false, written: argument.bytes,
                    writtenDestination: pair.writtenDestination)
            }
            let error = argument.directoryError()
            if error == ENOTDIR { throw CopyPlanError(message: "\(argument.quoted) is not a directory") }
            guard error == 0 else {
                throw CopyPlanError(message: "cannot copy \(argument.quoted): \(ErrnoName.describe(error))")
            }
            return CopyPair(
                source: pair.source, destination: pair.destination,
                followLink: PathKind(pair.source, followLink: false).isLink, written: argument.bytes,
                writtenDestination: pair.writtenDestination)
        }
    }

    /// DEST: `-t`'s value, or the last path.
    var destinationArgument: CommandArgument { targetDirectory ?? paths.last! }
    /// The SOURCE arguments (without trailing slashes where they are stripped).
    var sourceArguments: ArraySlice<CommandArgument> {
        let sources = targetDirectory == nil ? paths.dropLast() : paths[...]
        return stripsSourceSlashes ? ArraySlice(sources.map(\.withoutTrailingSlashes)) : sources
    }

    /// --strip-trailing-slashes, which cp applies where the sources are
    /// copied into a directory (a copy onto DEST keeps `link/` the
    /// directory the link leads to).
    private var stripsSourceSlashes: Bool {
        stripTrailingSlashes && !noTargetDirectory && !parents
            && (targetDirectory != nil || paths.count > 2
                || PathKind(destinationArgument.path, followLink: true).isDirectory)
    }

    /// `directory` as written without its trailing slashes, a slash and
    /// `name`: how cp spells a path inside a DEST (`dir//` and `f` give
    /// `dir/f`; `./dir//./` gives `./dir//./f`).
    static func spelledInside(_ directory: [UInt8], _ name: some Collection<UInt8>) -> [UInt8] {
        var directory = directory[...]
        while directory.last == UInt8(ascii: "/") { directory.removeLast() }
        return Array(directory) + [UInt8(ascii: "/")] + name
    }

    /// Where each SOURCE goes, by cp's rules.
    private func destinations() throws -> [(source: FilePath, destination: FilePath, writtenDestination: [UInt8])] {
        let sources = sourceArguments.map(\.path)
        let destination = destinationArgument.path
        let writtenDestination = destinationArgument.bytes
        let target = PathKind(destination, followLink: true)
        let isDirectory = target.isDirectory
        // A DEST written with a trailing slash names a directory, as for cp:
        // an existing one, or one the single directory SOURCE becomes.
        // (The path itself has lost the slash.)
        if targetDirectory == nil, paths.last?.endsWithSlash == true, !isDirectory {
            let name = paths.last!.quoted
            if target.exists { throw CopyPlanError(message: "\(name) is not a directory") }
            guard sources.count == 1,
                PathKind(sources[0], followLink: dereference || dereferenceArguments).isDirectory
            else {
                throw CopyPlanError(message: "cannot copy a non-directory to \(name): it names a directory")
            }
        }
        if parents {
            guard isDirectory else {
                throw CopyPlanError(message: "with --parents, the destination must be a directory")
            }
            return try parentsDestinations(into: destination, written: writtenDestination)
        }
        if noTargetDirectory { return [(sources[0], destination, writtenDestination)] }
        if targetDirectory != nil || isDirectory || sources.count > 1 {
            guard isDirectory else {
                throw CopyPlanError(message: "target \(destination.quoted) is not a directory")
            }
            return try sources.map { source in
                // An empty SOURCE names nothing: reported when its turn comes, as by cp.
                if source.isEmpty { return (source, destination, writtenDestination) }
                guard let name = source.lastComponent, name.kind == .regular || name.string == "." else {
                    throw CopyPlanError(message: "cannot name a copy of \(source.quoted) inside a directory")
                }
                let sourceBytes = source.rawBytes
                let nameBytes = sourceBytes[(sourceBytes.lastIndex(of: UInt8(ascii: "/")).map { $0 + 1 } ?? 0)...]
                return (source, destination.appending(name), Self.spelledInside(writtenDestination, nameBytes))
            }
        }
        return [(sources[0], destination, writtenDestination)]
    }

    static func json(_ summary: CopySummary) -> [UInt8] {
        let seconds = Double(summary.elapsed.components.seconds) + Double(summary.elapsed.components.attoseconds) / 1e18
        return JSON.object([
            ("files", JSON.number(Double(summary.files))),
            ("directories", JSON.number(Double(summary.directories))),
            ("symbolic_links", JSON.number(Double(summary.symbolicLinks))),
            ("hard_links", JSON.number(Double(summary.hardLinks))),
            ("special_files", JSON.number(Double(summary.specialFiles))),
            ("bytes", JSON.number(Double(summary.bytes))),
            ("skipped", JSON.number(Double(summary.skipped))),
            ("failed", JSON.number(Double(summary.failed))),
            ("verified", JSON.number(Double(summary.verified))),
            ("elapsed_seconds", Array(CopyPrinter.decimal(seconds, places: 6).utf8)),
            ("bytes_per_second", JSON.number(summary.bytesPerSecond.rounded())),
        ])
    }
}

extension CopySummary {
    mutating func add(_ other: CopySummary) {
        files += other.files
        directories += other.directories
        symbolicLinks += other.symbolicLinks
        hardLinks += other.hardLinks
        specialFiles += other.specialFiles
        bytes += other.bytes
        skipped += other.skipped
        failed += other.failed
        verified += other.verified
        elapsed += other.elapsed
    }
}
