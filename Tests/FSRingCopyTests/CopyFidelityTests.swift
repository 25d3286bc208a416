import FSRing
import FSRingCopy
import FSRingTestSupport
import Glibc
import SystemPackage
import Testing

@Suite("Copy fidelity against cp -a")
struct CopyFidelityTests {
    @Test(arguments: allBackends)
    func everyKindOfEntryMatchesCp(backend: Backend) async throws {
        let fs = try fileSystem(backend)
        let directory = TemporaryDirectory("copy-fidelity")
        let source = makeSourceDirectory(in: directory)
        try makeEveryKindOfEntry(in: source)
        let summary = try await copyLikeCp(fs, source, to: directory("by-fsring"), oracle: directory("by-cp"))
        // The sparse file kept its holes: a few blocks, not a gibibyte.
        let sparse = try #require(libcStat(directory("by-fsring/sparse")))
        #expect(sparse.st_size == 1 << 30)
        #expect(sparse.st_blocks * 512 < 1 << 20)
        #expect(summary.hardLinks == 2)
        #expect(summary.bytes > 1_000_000)
        // Nothing of the copy's own is left behind (temporary names, probes).
        let leftovers = try shell("find '\(directory("by-fsring").string)' -name '.fsring-*'").text
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    /// Onto another file system (tmpfs under /dev/shm), where the data
    /// cannot be cloned and copy_file_range may be refused: the first
    /// refusal moves the pair of devices to the next way, and the copy is
    /// still cp -a's.
    @Test(arguments: allBackends)
    func everyKindOfEntryMatchesCpOnAnotherFileSystem(backend: Backend) async throws {
        try #require(access("/dev/shm", W_OK) == 0, "needs a writable /dev/shm")
        let fs = try fileSystem(backend)
        let directory = TemporaryDirectory("copy-fidelity-elsewhere")
        let source = makeSourceDirectory(in: directory)
        try makeEveryKindOfEntry(in: source)
        let elsewhere = TemporaryDirectory(inside: "/dev/shm", "copy-fidelity-elsewhere")
        let sourceDevice = try #require(libcStat(source)).st_dev
        let destinationDevice = try #require(libcStat(elsewhere.path)).st_dev
        try #require(sourceDevice != destinationDevice, "/tmp and /dev/shm are one file system here")
        _ = try await copyLikeCp(fs, source, to: elsewhere("by-fsring"), oracle: elsewhere("by-cp"))
        let sparse = try #require(libcStat(elsewhere("by-fsring/sparse")))
        #expect(sparse.st_blocks * 512 < 1 << 20)
    }

    @Test(arguments: allBackends)
    func aSingleFileAndASymbolicLinkCopyLikeCp(backend: Backend) async throws {
        let fs = try fileSystem(backend)
        let directory = TemporaryDirectory("copy-single")
        writeFile(directory("file"), randomBytes(70_000, seed: 7), mode: 0o640)
        _ = try shell("touch -d '2011-11-11 11:11:11.111111111' '\(directory("file").string)'")
        symlink("file", directory("link").string)
        _ = try await fs.copyItem(at: directory("file"), to: directory("file-copy"))
        _ = try await fs.copyItem(at: directory("link"), to: directory("link-copy"))
        try copyWithCp(directory("file"), directory("file-cp"))
        try copyWithCp(directory("link"), directory("link-cp"))
        let stat = "stat -c '%F %a %s %y %N'"
        let ours = try shell("cd '\(directory.path.string)' && \(stat) file-copy link-copy").text
        let theirs = try shell("cd '\(directory.path.string)' && \(stat) file-cp link-cp").text
        #expect(ours.replacingOccurrences("-copy", "") == theirs.replacingOccurrences("-cp", ""))
        #expect(libcRead(directory("file-copy")) == randomBytes(70_000, seed: 7))
        // The access time is kept too, to the nanosecond, as it was before the copy read the file.
        _ = try shell("touch -a -d '2005-05-05 05:05:05.555555555' '\(directory("file").string)'")
        _ = try await fs.copyItem(at: directory("file"), to: directory("atime-copy"))
        let accessed = try #require(libcStat(directory("atime-copy"))).st_atim
        #expect(accessed.tv_sec == 1_115_269_505 && accessed.tv_nsec == 555_555_555, "\(accessed)")
    }

    /// Entries made in a directory with a default ACL are born with ACLs
    /// their sources lack (and a mode masked by the ACL, not the umask): as
    /// with cp -a, the copy drops those and ends up with exactly the
    /// source's modes and ACLs, into a new directory or an existing one.
    @Test(arguments: allBackends)
    func aclsInheritedAtTheDestinationAreDropped(backend: Backend) async throws {
        let fs = try fileSystem(backend)
        let directory = TemporaryDirectory("copy-default-acl")
        let source = makeSourceDirectory(in: directory)
        mkdir(directory("source/sub").string, 0o750)
        writeFile(directory("source/open"), [1], mode: 0o644)
        writeFile(directory("source/private"), [2], mode: 0o640)
        writeFile(directory("source/sub/other-only"), [3], mode: 0o604)
        writeFile(directory("source/own-acl"), [4], mode: 0o600)
        _ = try shell(
            "cd '\(source.string)' && mkfifo -m 644 fifo && setfacl -m u:nobody:r own-acl && mkdir with-default "
                + "&& setfacl -d -m u:daemon:rx with-default")
        for name in ["cp", "fsring"] {
            mkdir(directory(name).string, 0o755)
            _ = try shell("setfacl -m u:nobody:rwx -d -m u:nobody:rwx,o::- '\(directory(name).string)'")
        }
        try copyWithCp(source, directory("cp/new"))
        _ = try shell("cp -a '\(source.string)/.' '\(directory("cp").string)'")
        let failures = FailureLog()
        _ = try await fs.copyItem(at: source, to: directory("fsring/new"), onError: failures.record)
        _ = try await fs.copyItem(at: source, to: directory("fsring"), onError: failures.record)
        _ = try await fs.copyItem(at: directory("source/open"), to: directory("fsring/new/single"))
        _ = try shell("cp -a '\(directory("source/open").string)' '\(directory("cp/new/single").string)'")
        #expect(failures.all.isEmpty, "\(failures.all)")
        let acls = "getfacl -R -p . | sed 1d; find . -printf '%M %p\\n' | LC_ALL=C sort"
        let ours = try shell("cd '\(directory("fsring").string)' && \(acls)").text
        let theirs = try shell("cd '\(directory("cp").string)' && \(acls)").text
        #expect(ours == theirs)
        #expect(ours.contains("user:nobody:r--"))  // own-acl's, kept
        #expect(ours.contains("default:user:daemon:r-x"))  // with-default's, kept
    }

    /// As with cp, ACLs belong to the mode: `--no-preserve=xattr` keeps
    /// them and drops the other attributes; `--no-preserve=mode` drops them
    /// and keeps the others.
    @Test(arguments: allBackends)
    func aclsGoWithTheModeAndOtherAttributesWithXattr(backend: Backend) async throws {
        let fs = try fileSystem(backend)
        let directory = TemporaryDirectory("copy-acl-kinds")
        let source = makeSourceDirectory(in: directory)
        writeFile(directory("source/file"), [1], mode: 0o640)
        let setup = try shell(
            "cd '\(source.string)' && setfacl -m u:nobody:r file && setfattr -n user.note -v kept file "
                + "&& setfacl -d -m u:nobody:rx .")
        try #require(setup.status == 0)
        let attributes = "getfattr -R -d -m - . 2>/dev/null"
        for (dropped, attribute) in [("xattr", CopyOptions.Attributes.xattr), ("mode", .mode)] {
            _ = try shell("cp -a --no-preserve=\(dropped) '\(source.string)' '\(directory("cp-\(dropped)").string)'")
            var options = CopyOptions()
            options.preserve.remove(attribute)
            let target = directory("fsring-\(dropped)")
            _ = try await fs.copyItem(at: source, to: target, options: options)
            let ours = try shell("cd '\(target.string)' && \(attributes)").text
            let theirs = try shell("cd '\(directory("cp-\(dropped)").string)' && \(attributes)").text
            #expect(ours == theirs, "--no-preserve=\(dropped)")
            #expect(ours.contains("posix_acl") == (dropped == "xattr"), "\(ours)")
            #expect(ours.contains("user.note") == (dropped == "mode"), "\(ours)")
        }
    }

    @Test(arguments: allBackends)
    func noPreserveGivesTheCopierDefaults(backend: Backend) async throws {
        let fs = try fileSystem(backend)
        let directory = TemporaryDirectory("copy-no-preserve")
        mkdir(directory("source").string, 0o755)
        mkdir(directory("source/private").string, 0o700)
        writeFile(directory("source/file"), [1, 2, 3], mode: 0o600)
        _ = try shell("touch -d '2001-01-01' '\(directory("source/file").string)'")
        var options = CopyOptions()
        options.preserve = []
        _ = try await fs.copyItem(at: directory("source"), to: directory("copy"), options: options)
        let copied = try #require(libcStat(directory("copy/file")))
        let mask = umask(0)
        umask(mask)
        #expect(copied.st_mode & 0o777 == 0o666 & ~UInt32(mask))
        #expect(libcStat(directory("copy/private")).map { $0.st_mode & 0o777 } == 0o777 & ~UInt32(mask))
        // The modification time is now, not 2001.
        #expect(copied.st_mtim.tv_sec > 1_700_000_000)
        #expect(libcRead(directory("copy/file")) == [1, 2, 3])
    }

    /// Enough directories that several threads set their metadata at the
    /// end, each directory only after those inside it, and deep enough that
    /// they are reached from one another (`DirectoryCursor`): every one
    /// must end with cp's modes, attributes and nanosecond times.
    @Test(.timeLimit(.minutes(2)), arguments: allBackends)
    func manyDirectoriesGetTheirMetadataLikeCp(backend: Backend) async throws {
        let fs = try fileSystem(backend)
        // Set deepest first (reverse name order), so a directory's own
        // changes come after its children's.
        let (directory, source) = try makeSourceTree(
            "copy-many-directories",
            """
            mkdir -p \(sixteenLevels) && cd \(sixteenLevels)
            for a in $(seq 1 24); do
                for b in $(seq 1 12); do mkdir -p "a$a/b$b/c" && echo "$a $b" > "a$a/b$b/c/file"; done
            done
            i=0
            for d in $(find . -mindepth 1 -type d | LC_ALL=C sort -r); do
                i=$((i + 1))
                case $((i % 5)) in
                    0) chmod 0555 "$d" ;; 1) chmod 0711 "$d" ;; 2) chmod 2775 "$d" ;;
                    3) chmod 1777 "$d" ;; 4) chmod 0500 "$d" ;;
                esac
                if [ $((i % 7)) -eq 0 ]; then setfattr -n user.number -v "$i" "$d"; fi
                touch -d "@$((1500000000 + i)).$((i * 1234567 % 1000000000))" "$d"
            done
            """)
        let directories = try shell("find '\(source.string)' -type d | wc -l").text
        #expect(directories.filter(\.isNumber) == "617")
        let summary = try await copyLikeCp(fs, source, to: directory("by-fsring"), oracle: directory("by-cp"))
        #expect(summary.directories == 617)
    }

    /// With -L, a directory reached through a followed link has another
    /// parent than its path says: the metadata of it and of the
    /// directories around it must still be what cp -a -L gives them, also
    /// where directories are reached from one another (deep in the tree).
    @Test(arguments: allBackends)
    func directoriesBehindFollowedLinksGetTheirMetadataLikeCp(backend: Backend) async throws {
        let fs = try fileSystem(backend)
        let (directory, source) = try makeSourceTree(
            "copy-follow-directories",
            """
            outside="$(cd .. && pwd)/outside"
            mkdir -p "$outside/elsewhere/sub/deeper"
            setfattr -n user.which -v sub "$outside/elsewhere/sub"
            setfattr -n user.which -v elsewhere "$outside/elsewhere"
            touch -d @1500000001.5 "$outside/elsewhere/sub/deeper" "$outside/elsewhere/sub"
            touch -d @1500000002.5 "$outside/elsewhere"
            mkdir -p \(sixteenLevels) && cd \(sixteenLevels)
            ln -s "$outside/elsewhere" linked
            mkdir -p real/inner
            setfattr -n user.which -v real real
            touch -d @1500000003.5 real/inner real
            """)
        _ = try await copyLikeCp(
            fs, source, to: directory("by-fsring"), oracle: directory("by-cp"), followingLinks: true)
        // Not vacuous: the directory behind the link kept its own.
        let linked = directory("by-fsring/\(sixteenLevels)/linked/sub")
        #expect(try shell("getfattr --only-values -n user.which '\(linked.string)'").text == "sub")
    }

    @Test(arguments: allBackends)
    func followingLinksCopiesTheirTargets(backend: Backend) async throws {
        let fs = try fileSystem(backend)
        let directory = TemporaryDirectory("copy-follow")
        mkdir(directory("source").string, 0o755)
        mkdir(directory("elsewhere").string, 0o755)
        writeFile(directory("elsewhere/target"), [9, 9])
        symlink("../elsewhere/target", directory("source/link").string)
        symlink("../elsewhere", directory("source/dir-link").string)
        symlink(".", directory("source/loop").string)
        var options = CopyOptions()
        options.followSymbolicLinks = true
        let failures = FailureLog()
        _ = try await fs.copyItem(
            at: directory("source"), to: directory("copy"), options: options, onError: failures.record)
        #expect(libcStat(directory("copy/link"), followLinks: false).map { $0.st_mode & S_IFMT } == S_IFREG)
        #expect(libcRead(directory("copy/link")) == [9, 9])
        #expect(libcRead(directory("copy/dir-link/target")) == [9, 9])
        // The link to an ancestor is a loop: reported, not followed forever.
        #expect(failures.all.contains { $0.error.code == ELOOP }, "\(failures.all)")
    }
}

extension String {
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
