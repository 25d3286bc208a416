import FSRing
import FSRingCopy
import FSRingTestSupport
import Glibc
import Synchronization
import SystemPackage
import Testing

@Suite("Copy: overwrite policy, refusals, failures")
struct CopyBehaviourTests {
    @Test(arguments: allBackends)
    func copyingADirectoryIntoItselfIsRefused(backend: Backend) async throws {
        let fs = try fileSystem(backend)
        let directory = TemporaryDirectory("copy-into-itself")
        mkdir(directory("tree").string, 0o755)
        mkdir(directory("tree/sub").string, 0o755)
        for destination in [directory("tree/sub/copy"), directory("tree"), directory("tree/sub/../copy")] {
            await #expect {
                _ = try await fs.copyItem(at: directory("tree"), to: destination)
            } throws: { error in
                guard case CopyError.intoItself = error else { return false }
                return true
            }
        }
        #expect(libcStat(directory("tree/sub/copy")) == nil)
        writeFile(directory("file"), [1])
        await #expect {
            _ = try await fs.copyItem(at: directory("file"), to: directory("file"))
        } throws: { error in
            guard case CopyError.sameFile = error else { return false }
            return true
        }
        #expect(libcRead(directory("file")) == [1])
    }

    /// A killed run leaves its temporary names behind, and a later process
    /// can have the same ID: a name taken is passed over, for a new tree's
    /// top and for entries replaced in an existing tree, not a failure.
    @Test(arguments: allBackends)
    func temporaryNamesLeftByAnEarlierProcessArePassedOver(backend: Backend) async throws {
        let fs = try fileSystem(backend)
        let directory = TemporaryDirectory("copy-stale-temporaries")
        mkdir(directory("source").string, 0o755)
        writeFile(directory("source/f"), Array("new".utf8))
        symlink("f", directory("source/link").string)
        mkdir(directory("existing").string, 0o755)
        writeFile(directory("existing/f"), Array("old".utf8))
        symlink("elsewhere", directory("existing/link").string)
        let stale = (0..<10).map { ".fsring-\(getpid())-\($0).tmp" }
        for name in stale {
            writeFile(directory(name), Array("stale".utf8))
            writeFile(directory("existing/\(name)"), Array("stale".utf8))
        }
        _ = try await fs.copyItem(at: directory("source"), to: directory("fresh"))
        _ = try await fs.copyItem(at: directory("source"), to: directory("existing"))
        for tree in ["fresh", "existing"] {
            #expect(libcRead(directory("\(tree)/f")) == Array("new".utf8), "\(tree)")
            #expect(try shell("readlink '\(directory("\(tree)/link").string)'").text == "f\n", "\(tree)")
        }
        for name in stale {
            #expect(libcRead(directory(name)) == Array("stale".utf8))
            #expect(libcRead(directory("existing/\(name)")) == Array("stale".utf8))
        }
    }

    /// With `countTotals`, progress learns the source's totals while the
    /// copy runs (for an ETA): every entry but directories, and the bytes of
    /// the regular files. Counting one `statx` at a time took longer than
    /// the copy of the Linux tree, so the totals never came.
    @Test(arguments: allBackends)
    func progressLearnsTheTotalsWhileTheCopyRuns(backend: Backend) async throws {
        let fs = try fileSystem(backend)
        let directory = TemporaryDirectory("copy-totals")
        let source = makeSourceDirectory(in: directory)
        var bytes: UInt64 = 0
        for folder in 0..<15 {
            mkdir(directory("source/d\(folder)").string, 0o755)
            for file in 0..<20 {
                let count = (folder * 20 + file) * 37 % 3000
                writeFile(directory("source/d\(folder)/f\(file)"), randomBytes(count, seed: UInt64(file)))
                bytes += UInt64(count)
            }
        }
        #expect(symlink("d0/f0", directory("source/link").string) == 0)
        var options = CopyOptions()
        options.countTotals = true
        options.progressInterval = .milliseconds(1)
        options.concurrency = 1
        let reports = Mutex<[CopyProgress]>([])
        let totalsSeen = Atomic<Bool>(false)
        // The copy waits (up to 20 s) until a report knows the totals, so it
        // cannot end before the count however the machine schedules the two.
        // Only files wait: they are copied on the copy's own thread, while
        // the top directory is reported from the caller's task, which must
        // not block Swift's threads that the count and the reports run on.
        let summary = try await fs.copyItem(
            at: source, to: directory("copy"), options: options,
            progress: { report in
                reports.withLock { $0.append(report) }
                if report.totalFiles != nil { totalsSeen.store(true, ordering: .relaxed) }
            },
            onItem: { item in
                guard item.type == .regular else { return }
                let deadline = ContinuousClock.now + .seconds(20)
                while !totalsSeen.load(ordering: .relaxed) && ContinuousClock.now < deadline { usleep(1000) }
            })
        #expect(summary.files == 300 && summary.symbolicLinks == 1)
        let seen = reports.withLock { $0 }
        let withTotals = seen.filter { $0.totalFiles != nil }
        #expect(!withTotals.isEmpty, "no report of \(seen.count) knew the totals")
        for report in withTotals {
            #expect(report.totalFiles == 301)
            #expect(report.totalBytes == bytes)
        }
        #expect(seen.last?.finished == true)
        #expect(seen.dropLast().allSatisfy { !$0.finished })
    }

    /// Files whose reported size is not their content: /proc says 0 bytes,
    /// sysfs 4096, whatever they hold. The copy is what reading gives, as
    /// with cp, not an empty file or one padded with zeros.
    @Test(arguments: allBackends)
    func pseudoFilesCopyWhatReadingGives(backend: Backend) async throws {
        let fs = try fileSystem(backend)
        let directory = TemporaryDirectory("copy-pseudo")
        var copied = 0
        // Files whose content stays put while the test runs (this process's limits included).
        for source in ["/proc/version", "/proc/self/limits", "/sys/devices/system/cpu/online"] {
            guard let reported = libcStat(FilePath(source)), let expected = libcRead(FilePath(source)) else { continue }
            #expect(UInt64(reported.st_size) != UInt64(expected.count), "\(source) reports its size truly")
            let destination = directory("copy-\(copied)")
            _ = try await fs.copyItem(at: FilePath(source), to: destination)
            #expect(libcRead(destination) == expected, "\(source)")
            copied += 1
        }
        #expect(copied >= 2, "no pseudo file to read here")
    }

    @Test(arguments: allBackends)
    func overwritePolicies(backend: Backend) async throws {
        let fs = try fileSystem(backend)
        let directory = TemporaryDirectory("copy-overwrite")
        for name in ["source", "target"] { mkdir(directory(name).string, 0o755) }
        writeFile(directory("source/newer"), Array("new".utf8))
        writeFile(directory("source/older"), Array("old source".utf8))
        writeFile(directory("target/newer"), Array("stale".utf8))
        writeFile(directory("target/older"), Array("kept".utf8))
        _ = try shell(
            "touch -d '2000-01-01' '\(directory("target/newer").string)' '\(directory("source/older").string)'")

        var options = CopyOptions()
        options.overwrite = .keepExisting
        var summary = try await fs.copyItem(at: directory("source"), to: directory("target"), options: options)
        #expect(libcRead(directory("target/newer")) == Array("stale".utf8))
        #expect(libcRead(directory("target/older")) == Array("kept".utf8))
        #expect(summary.skipped == 2)

        options.overwrite = .replaceOlder
        summary = try await fs.copyItem(at: directory("source"), to: directory("target"), options: options)
        #expect(libcRead(directory("target/newer")) == Array("new".utf8))
        #expect(libcRead(directory("target/older")) == Array("kept".utf8))
        #expect(summary.skipped == 1 && summary.files == 1)

        summary = try await fs.copyItem(at: directory("source"), to: directory("target"))
        #expect(libcRead(directory("target/older")) == Array("old source".utf8))
        #expect(summary.files == 2)
        // A directory is never replaced by a file.
        mkdir(directory("target/blocked").string, 0o755)
        writeFile(directory("source/blocked"), [1])
        let failures = FailureLog()
        summary = try await fs.copyItem(at: directory("source"), to: directory("target"), onError: failures.record)
        #expect(summary.failed == 1)
        #expect(failures.all.first?.error.code == EISDIR)
        #expect(libcStat(directory("target/blocked")).map { $0.st_mode & S_IFMT } == S_IFDIR)
        // A symbolic link in the way is replaced by the file, never written
        // through: what it points at, outside the copy, stays as it was;
        // with --inplace too.
        for inPlace in [false, true] {
            writeFile(directory("outside"), Array("outside".utf8))
            writeFile(directory("source/linked"), Array("from the source".utf8))
            unlink(directory("target/linked").string)
            #expect(symlink("../outside", directory("target/linked").string) == 0)
            var replacing = CopyOptions()
            replacing.inPlace = inPlace
            _ = try await fs.copyItem(at: directory("source"), to: directory("target"), options: replacing)
            #expect(libcStat(directory("target/linked"), followLinks: false).map { $0.st_mode & S_IFMT } == S_IFREG)
            #expect(libcRead(directory("target/linked")) == Array("from the source".utf8))
            #expect(libcRead(directory("outside")) == Array("outside".utf8))
        }
    }

    @Test(arguments: allBackends)
    func aFileRemovedDuringTheCopyIsReportedAndTheRestIsCopied(backend: Backend) async throws {
        let fs = try fileSystem(backend)
        let directory = TemporaryDirectory("copy-vanish")
        let source = makeSourceDirectory(in: directory)
        mkdir(source.appending("trigger").string, 0o755)
        let victims = (0..<50).map { "victim-\($0)" }
        for name in victims { writeFile(source.appending(name), Array(name.utf8)) }
        writeFile(source.appending("trigger/keep"), [7])
        // The top directory's entries are copied in listing order by one
        // thread; when it reaches `trigger`, the victims still to come vanish.
        var options = CopyOptions()
        options.concurrency = 1
        let failures = FailureLog()
        let summary = try await fs.copyItem(
            at: source, to: directory("copy"), options: options,
            onItem: { item in
                if item.source == source.appending("trigger") {
                    for name in victims { unlink(source.appending(name).string) }
                }
            }, onError: failures.record)
        let copied = victims.filter { libcRead(directory("copy/\($0)")) == Array($0.utf8) }
        let missing = victims.filter { libcStat(directory("copy/\($0)")) == nil }
        #expect(copied.count + missing.count == victims.count)
        #expect(!missing.isEmpty)
        #expect(summary.failed == missing.count)
        #expect(failures.all.allSatisfy { $0.error.code == ENOENT })
        #expect(failures.all.map { $0.error.path?.lastComponent?.string ?? "" }.sorted() == missing.sorted())
        #expect(libcRead(directory("copy/trigger/keep")) == [7])
    }

    @Test(arguments: allBackends)
    func dryRunChangesNothing(backend: Backend) async throws {
        let fs = try fileSystem(backend)
        let directory = TemporaryDirectory("copy-dry-run")
        mkdir(directory("source").string, 0o755)
        try makeEveryKindOfEntry(in: directory("source"))
        var options = CopyOptions()
        options.dryRun = true
        let items = FailureFreeItems()
        let summary = try await fs.copyItem(
            at: directory("source"), to: directory("copy"), options: options, onItem: items.record)
        #expect(libcStat(directory("copy")) == nil)
        #expect(summary.files > 10 && summary.failed == 0)
        #expect(
            items.count == summary.files + summary.directories + summary.symbolicLinks + summary.specialFiles
                + summary.hardLinks)
    }

    @Test(arguments: allBackends)
    func verifyComparesEveryCopiedFile(backend: Backend) async throws {
        let fs = try fileSystem(backend)
        let directory = TemporaryDirectory("copy-verify")
        mkdir(directory("source").string, 0o755)
        for index in 0..<20 {
            writeFile(directory("source/file-\(index)"), randomBytes(index * 9_000, seed: UInt64(index)))
        }
        var options = CopyOptions()
        options.verify = true
        let summary = try await fs.copyItem(at: directory("source"), to: directory("copy"), options: options)
        #expect(summary.verified == 20 && summary.failed == 0)

        // A copy changed after it was written (here as it is reported, into
        // an existing folder, where each file has its final name at once)
        // is found by the reading back, and the rest still verify.
        mkdir(directory("changed").string, 0o755)
        let changed = directory("changed/file-7")
        let failures = Mutex<[String]>([])
        let checked = try await fs.copyItem(
            at: directory("source"), to: directory("changed"), options: options,
            onItem: { item in
                guard item.destination == changed else { return }
                let descriptor = open(changed.string, O_WRONLY)
                _ = pwrite(descriptor, [UInt8](repeating: 0, count: 100), 100, 0)
                close(descriptor)
            },
            onError: { failure in
                failures.withLock { $0.append(failure.description) }
                return .proceed
            })
        #expect(checked.verified == 19 && checked.failed == 1)
        #expect(failures.withLock { $0 } == ["verify '\(changed.string)': differs from the source after the copy"])
    }

    /// A tree deeper than one call's path (PATH_MAX, 4,096 bytes) is copied
    /// whole: the directories' metadata, set at the end, the hard links made
    /// at the end, link attributes and --verify all reach it (cp -a and
    /// rsync stop at the first such path).
    @Test(arguments: allBackends)
    func treesDeeperThanPathMaxCopyWhole(backend: Backend) async throws {
        let fs = try fileSystem(backend)
        let directory = TemporaryDirectory("copy-deep")
        // Built from descriptors: shells cannot cd that deep.
        mkdir(directory("source").string, 0o755)
        writeFile(directory("source/top"), Array("top".utf8), mode: 0o640)
        let level = makeDeepDirectories(under: directory("source"), levels: 17) { level, depth in
            let time = timespec(tv_sec: 978_310_000 + depth, tv_nsec: 456)
            futimens(level, [time, time])
        }
        try #require(level >= 0)
        defer { close(level) }
        let file = openat(level, "file", O_WRONLY | O_CREAT, 0o604)
        #expect(write(file, "deep", 4) == 4)
        close(file)
        #expect(linkat(level, String(repeating: "../", count: 17) + "top", level, "hard", 0) == 0)
        #expect(symlinkat("file", level, "link") == 0)
        #expect(mkfifoat(level, "fifo", 0o640) == 0)
        let attribute = try shell("setfattr -h -n trusted.deep -v yes /proc/\(getpid())/fd/\(level)/link")
        #expect(attribute.status == 0)
        let old = timespec(tv_sec: 936_835_200, tv_nsec: 0)
        #expect(utimensat(level, "file", [old, old], AT_SYMLINK_NOFOLLOW) == 0)
        #expect(futimens(level, [old, old]) == 0)
        var options = CopyOptions()
        options.verify = true
        let failures = FailureLog()
        let summary = try await fs.copyItem(
            at: directory("source"), to: directory("copy"), options: options, onError: failures.record)
        #expect(failures.all.isEmpty, "\(failures.all.map(\.description))")
        #expect(summary.failed == 0 && summary.verified == 2 && summary.hardLinks == 1)
        let listing = "find . -printf '%y %m %n %s %T@ %l %p\\n' | LC_ALL=C sort"
        let original = try shell("cd '\(directory("source").string)' && \(listing)").text
        let copied = try shell("cd '\(directory("copy").string)' && \(listing)").text
        #expect(copied == original)
        #expect(original.split(separator: "\n").count > 20)
        let copiedAttribute = try shell(
            "cd '\(directory("copy").string)' && for level in $(seq 1 17); do cd -P n*; done "
                + "&& getfattr -h --only-values -n trusted.deep link")
        #expect(copiedAttribute.text == "yes")
    }

    @Test(arguments: allBackends)
    func noSpaceStopsTheRunAndLeavesNoPartialFiles(backend: Backend) async throws {
        let fs = try fileSystem(backend)
        let directory = TemporaryDirectory("copy-enospc")
        let mountPoint = directory("small")
        mkdir(mountPoint.string, 0o755)
        let mounted = try runProcess(["/bin/mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mountPoint.string])
        if mounted.status != 0 {
            try Test.cancel("cannot mount a small tmpfs here (\(mounted.errors)); ENOSPC is not tested")
        }
        defer { _ = try? runProcess(["/bin/umount", mountPoint.string]) }
        mkdir(directory("source").string, 0o755)
        for index in 0..<8 { writeFile(directory("source/file-\(index)"), randomBytes(400_000, seed: UInt64(index))) }
        var caught: CopyError?
        do {
            _ = try await fs.copyItem(at: directory("source"), to: mountPoint.appending("copy"))
        } catch {
            caught = error
        }
        guard case .stopped(let failure, _) = caught else {
            Issue.record("expected the copy to stop, got \(String(describing: caught))")
            return
        }
        #expect(failure.error.code == ENOSPC)
        // Every file under a final name is complete; no temporary file is left.
        let names = try shell("ls -A '\(mountPoint.string)/copy'").text.split(separator: "\n")
        #expect(!names.contains { $0.hasPrefix(".fsring") }, "\(names)")
        for name in names {
            let index = Int(name.split(separator: "-").last ?? "") ?? -1
            #expect(libcRead(mountPoint.appending("copy/\(name)")) == randomBytes(400_000, seed: UInt64(index)))
        }
        // The command line says why it stopped, and exits with 2.
        let command = try runProcess(
            [fsringExecutable, "copy", directory("source").string, mountPoint.appending("again").string],
            environment: ["FSRING_BACKEND": backend.rawValue])
        #expect(command.status == 2)
        #expect(command.errors.contains("stopped: "), "\(command.errors)")
        #expect(command.errors.contains("No space left on device (ENOSPC)"))
    }
}

/// Counts the entries a copy reports.
final class FailureFreeItems: Sendable {
    private let seen = Atomic<Int>(0)
    func record(_ item: CopiedItem) { seen.add(1, ordering: .relaxed) }
    var count: Int { seen.load(ordering: .relaxed) }
}
