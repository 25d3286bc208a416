internal import CURing
import FSRing
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

extension EntryCopier {
    /// `--backup`: renames the entry in the way of `context`'s copy to its
    /// backup name, just before the copy takes its name, so that what was
    /// there is kept, as cp --backup keeps it. Returns the backup's path,
    /// or nil when nothing was backed up: no `backup` option, or the entry
    /// went meanwhile.
    func backUpEntryInTheWay(_ context: EntryContext) throws(EntryError) -> FilePath? {
        guard let backup = options.backup else { return nil }
        let directory = context.destinationDirectory
        var naming = try BackupNaming(
            of: context.destinationName, in: directory, listedAs: context.destinationParent, backup)
        for _ in 0..<64 {
            if !naming.isNumbered { try refuseToReplaceTheSource(with: naming.name, context) }
            // A numbered backup never replaces an earlier one: if another
            // process takes the number meanwhile, the next one is tried.
            let renamed = context.destinationName.withCString { from in
                naming.name.withCString {
                    fsr_renameat2(directory, from, directory, $0, naming.isNumbered ? FSR_RENAME_NOREPLACE : 0)
                }
            }
            // (Taken before a path is put together, which may change errno.)
            let failure = renamed == 0 ? 0 : errno
            let backupPath = DeferredPath(context.destinationParent, naming.name).whole
            if failure == 0 { return backupPath }
            if failure == ENOENT { return nil }
            guard naming.isNumbered && failure == EEXIST else {
                throw EntryError(
                    FileSystemError(
                        code: failure, operation: "back up", path: context.destination, secondPath: backupPath))
            }
            naming.takeNextNumber()
        }
        throw .code(EEXIST, "back up", context.destination)
    }

    /// A simple backup whose name is the source's own, in the source's
    /// directory, would replace the source before it is copied (`--backup
    /// b~ b`): refused, as cp refuses it.
    private func refuseToReplaceTheSource(with backupName: RawName, _ context: EntryContext) throws(EntryError) {
        guard backupName.path.lastComponent == context.sourceName.path.lastComponent else { return }
        let atBackupName = backupName.withCString {
            FileInfo.blockingLookup(context.destinationDirectory, $0, followLinks: false)
        }
        guard let atBackupName, atBackupName.identity == lookup(context, follow: false)?.identity else { return }
        throw .code(
            EINVAL, "back up", context.destination,
            detail: "its backup would replace the source, \(context.source.quoted); not copied")
    }
}

/// The name a backup of one entry takes, as cp names it: the entry's name
/// and the suffix, or `name.~N~` with N one more than the highest there.
struct BackupNaming {
    /// Relative to the directory, as the entry's own name is.
    private(set) var name: RawName
    let isNumbered: Bool
    private let entry: (parent: [UInt8], name: ArraySlice<UInt8>)
    private var number: BackupNumber

    /// The backup name of `entry`, a name (or path) relative to the open
    /// `directory` (or AT_FDCWD), whose path is `parent` in messages.
    init(of entry: RawName, in directory: Int32, listedAs parent: FilePath?, _ backup: CopyOptions.Backup)
        throws(EntryError)
    {
        guard let split = PathBytes.split(entry.rawBytes) else {
            throw .code(EINVAL, "back up", DeferredPath(parent, entry).whole, detail: "has no name to back up")
        }
        self.entry = split
        var highest: BackupNumber?
        if backup.naming != .simple {
            highest = try Self.highestNumber(of: split.name, in: Self.join(split.parent, "."), directory, parent)
        }
        isNumbered = backup.naming == .numbered || highest != nil
        number = highest?.incremented ?? .first
        name = Self.join(
            split.parent,
            isNumbered ? BackupNumber.name(of: split.name, number) : Array(split.name) + Array(backup.suffix.utf8))
    }

    /// Moves on to the next number, when the one named is taken.
    mutating func takeNextNumber() {
        number = number.incremented
        name = Self.join(entry.parent, BackupNumber.name(of: entry.name, number))
    }

    private static func join(_ parent: [UInt8], _ last: some Sequence<UInt8>) -> RawName {
        RawName(parent.isEmpty ? Array(last) : parent + (parent == [PathBytes.slash] ? [] : [PathBytes.slash]) + last)
    }

    private static func join(_ parent: [UInt8], _ last: String) -> RawName { join(parent, Array(last.utf8)) }

    /// The highest N among the `name.~N~` entries in `listed` (relative to
    /// `directory`), nil when there is none.
    private static func highestNumber(
        of name: ArraySlice<UInt8>, in listed: RawName, _ directory: Int32, _ parent: FilePath?
    ) throws(EntryError) -> BackupNumber? {
        let listedPath = DeferredPath(parent, listed).whole
        // Its own descriptor: reading moves the offset, which other threads' reads would share.
        let descriptor = listed.withCString { openat(directory, $0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard descriptor >= 0 else { throw .last("open", listedPath) }
        defer { close(descriptor) }
        let prefix = Array(name) + Array(".~".utf8)
        var highest: BackupNumber?
        let read = DirectoryReader.readBlocking(descriptor: descriptor, displayPath: listedPath) {
            entry, length, _, _ in
            let number = BackupNumber(backupName: UnsafeRawBufferPointer(start: entry, count: length), prefix: prefix)
            if let number, highest.map({ number > $0 }) ?? true { highest = number }
        }
        if case .failure(let error) = read { throw EntryError(error) }
        return highest
    }
}

/// The N of a numbered backup, `name.~N~`, kept as its decimal digits, as
/// cp counts them: no N is too large to go one higher.
struct BackupNumber: Comparable {
    /// No leading zero.
    let digits: [UInt8]

    static let first = BackupNumber(digits: Array("1".utf8))

    init(digits: [UInt8]) { self.digits = digits }

    /// The N of `candidate` when it is `prefix` (the name and `.~`), then
    /// digits not starting with 0, then `~`.
    init?(backupName candidate: UnsafeRawBufferPointer, prefix: [UInt8]) {
        guard candidate.count > prefix.count + 1, candidate.starts(with: prefix), candidate.last == UInt8(ascii: "~")
        else { return nil }
        let digits = candidate[prefix.count..<(candidate.count - 1)]
        guard let leading = digits.first, leading != UInt8(ascii: "0"),
            digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        else { return nil }
        self.digits = Array(digits)
    }

    var incremented: BackupNumber {
        var digits = self.digits
        var index = digits.count - 1
        while index >= 0 && digits[index] == UInt8(ascii: "9") {
            digits[index] = UInt8(ascii: "0")
            index -= 1
        }
        if index < 0 { digits.insert(UInt8(ascii: "1"), at: 0) } else { digits[index] += 1 }
        return BackupNumber(digits: digits)
    }

    static func < (lhs: BackupNumber, rhs: BackupNumber) -> Bool {
        lhs.digits.count != rhs.digits.count
            ? lhs.digits.count < rhs.digits.count : lhs.digits.lexicographicallyPrecedes(rhs.digits)
    }

    /// `name.~N~`.
    static func name(of name: ArraySlice<UInt8>, _ number: BackupNumber) -> [UInt8] {
        Array(name) + Array(".~".utf8) + number.digits + [UInt8(ascii: "~")]
    }
}
