import Synchronization
import SystemPackage
import URing

/// How a tree is copied. The defaults are those of `cp -a`.
public struct CopyOptions: Sendable {
    /// The metadata `cp --preserve` names.
    public struct Attributes: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }

        /// Permission bits, setuid, setgid and sticky.
        public static let mode = Attributes(rawValue: 1 << 0)
        /// Owner and group (where permitted; otherwise the copier's, silently).
        public static let ownership = Attributes(rawValue: 1 << 1)
        /// Access and modification times, with nanoseconds.
        public static let timestamps = Attributes(rawValue: 1 << 2)
        /// Hard links inside the copied set stay hard links.
        public static let links = Attributes(rawValue: 1 << 3)
        /// Extended attributes (user.*, and security.* and ACLs where permitted).
        public static let xattr = Attributes(rawValue: 1 << 4)

        public static let all: Attributes = [.mode, .ownership, .timestamps, .links, .xattr]
    }

    /// What happens when a file already exists at the destination.
    public enum Overwrite: Sendable, Hashable {
        /// Replace it (cp's default).
        case replace
        /// Keep it (`-n`, `--no-clobber`, `--update=none`).
        case keepExisting
        /// Keep it and count it as a failure (`--update=none-fail`), for a
        /// copy that must not meet anything in its way.
        case keepExistingAsFailure
        /// Replace it only when the source's modification time is newer (`-u`, `--update`).
        case replaceOlder

        /// Whether an existing file is never replaced.
        public var keepsExisting: Bool { self == .keepExisting || self == .keepExistingAsFailure }
    }

    /// Whether file contents are shared with FICLONE (reflink) where the
    /// file system supports it.
    public enum Reflink: Sendable, Hashable {
        /// Clone where possible, copy otherwise.
        case auto
        /// Clone or fail the file.
        case always
        /// Always copy the bytes.
        case never
    }

    /// What becomes of holes and of blocks of zeros (cp's `--sparse`).
    public enum Sparse: Sendable, Hashable {
        /// A sparse file's holes stay holes (found with SEEK_DATA/SEEK_HOLE).
        case auto
        /// Every block of zeros becomes a hole too (4 KiB, aligned), as
        /// for a disk image written out in full.
        case always
        /// Holes are written out as zeros: the copy is allocated in full.
        case never
    }

    /// What is kept of an entry a copy replaces (cp's `--backup`).
    public struct Backup: Sendable, Hashable {
        /// How a backup is named.
        public enum Naming: Sendable, Hashable {
            /// The name and the suffix (`notes~`): one backup, replaced by the next.
            case simple
            /// `notes.~N~`, N one more than the highest already there, so
            /// every earlier version stays.
            case numbered
            /// Numbered for a name that has numbered backups already, simple
            /// otherwise: cp's default.
            case numberedWhereNumbered
        }

        public var naming: Naming
        /// What a simple backup's name ends with: not empty, no `/`.
        public var suffix: String

        public init(naming: Naming = .numberedWhereNumbered, suffix: String = "~") {
            self.naming = naming
            self.suffix = suffix
        }
    }

    public var preserve: Attributes = .all
    public var overwrite: Overwrite = .replace
    public var reflink: Reflink = .auto
    /// `.always` and `.never` move the bytes through reads and writes (a
    /// clone or copy_file_range would keep the source's layout), unless
    /// `reflink` is `.always`, which wins.
    public var sparse: Sparse = .auto
    /// Follow every symbolic link in the source (`-L`); links are otherwise
    /// copied as links.
    public var followSymbolicLinks = false
    /// Follow the source itself when it is a symbolic link, but none below it (`-H`).
    public var followRootSymbolicLink = false
    /// Write into the final name directly (`--inplace`). By default each file
    /// is written unnamed (O_TMPFILE) or under a temporary name and appears
    /// under its final name only when complete.
    public var inPlace = false
    /// Each entry a copy replaces (not a directory: those are merged into)
    /// is first renamed to its backup name in its directory, as by cp
    /// `--backup`; nil: what is replaced is gone. A file in the way that is
    /// the source itself under another name (a hard link) is backed up and
    /// replaced, since nothing is lost.
    public var backup: Backup? = nil
    /// With `inPlace`, an existing file that cannot be opened for writing is
    /// removed and made again (`-f`, as cp -f). Without `inPlace` this is
    /// always so: every file is written as a new one that replaces the old.
    /// With `backup`, a file may also be copied onto itself, its backup made
    /// first (as cp -f --backup).
    public var force = false
    /// With `inPlace`, an existing file is removed before it is written, so
    /// its other hard links keep what they had (`--remove-destination`, as
    /// cp). Without `inPlace` this is always so: every file is written as a
    /// new one that replaces the old name.
    public var removeDestination = false
    /// False: a directory given as the source is made (or merged into) with
    /// its metadata, and nothing inside it is copied: how `--parents` gives
    /// the directories it makes their sources' metadata.
    public var copiesDirectoryContents = true
    /// Every entry but directories is hard-linked at the destination instead
    /// of copied (`-l`, as cp -al: a snapshot of a tree that takes no room
    /// but its directories). Directories are made with their metadata.
    public var linkInsteadOfCopying = false
    /// Every entry but directories becomes a symbolic link to its source
    /// (`-s`, as cp -rs: a tree of links to the source, taking no room but
    /// its directories), with the source's times. A link's target is the
    /// source's path as given, so a relative source is refused where the
    /// link is not made in the current directory (it would lead nowhere),
    /// as cp refuses it.
    public var symbolicLinkInsteadOfCopying = false
    /// A symbolic link to a directory in the way of a directory copied into
    /// an existing tree is followed, and the copy merged into the directory
    /// it leads to, which gets the copy's metadata (`-K`, as rsync
    /// --keep-dirlinks and tar --keep-directory-symlink), where it is
    /// otherwise refused as a non-directory in the way. (At the top, such a
    /// link is always followed.)
    public var keepsDirectoryLinks = false
    /// Copy no contents of a directory on another file system than the one
    /// holding the directory above it (`-x`): a mount point is made, with
    /// the mounted directory's metadata, and left empty, as cp -x does. The
    /// source itself is copied whole wherever it is.
    public var stayOnFileSystem = false
    /// Asked before an entry in the way is replaced (`-i`), with the
    /// source's path and the destination's: true replaces it, false keeps
    /// it (reported as skipped). Asked only where the overwrite policy
    /// would replace, never in a dry run; called on the copy's threads, so
    /// calls may overlap. Nil: the policy alone decides.
    public var confirmReplacing: (@Sendable (_ source: FilePath, _ destination: FilePath) -> Bool)? = nil
    /// Copy no file contents, only metadata (`--attributes-only`, as cp): a
    /// file that is there keeps its bytes and gets the source's mode,
    /// owner, times and extended attributes; a new file is made empty, with
    /// them. Everything else is copied as usual.
    public var attributesOnly = false
    /// Re-read every copied file and compare its BLAKE3 digest with the source's.
    public var verify = false
    /// Report what would be copied and change nothing.
    public var dryRun = false
    /// Files in flight at once, each on its own thread.
    public var concurrency = CopyOptions.defaultConcurrency
    /// Find the totals (files and bytes) while copying, for progress with an ETA.
    public var countTotals = false
    /// How often `progress` is called during the copy.
    public var progressInterval: Duration = .milliseconds(100)
    /// Shared by several `copyItem` calls made for one command (several
    /// sources), so that hard links between their files stay hard links, as
    /// cp keeps them across its sources; nil: each call keeps its own.
    public var hardLinkRegistry: HardLinkRegistry? = nil

    /// Two threads per core: copying is mostly kernel work (inode creation,
    /// page-cache copies), and a second thread per core covers the waits.
    public static var defaultConcurrency: Int { max(2, RingRuntime.onlineCores * 2) }

    public init() {}
}

/// The hard-link groups seen by one or more copies: which copy each group's
/// first member became, so later members are linked to it.
public final class HardLinkRegistry: Sendable {
    let table = Mutex(HardLinkTable())

    public init() {}
}
