import FSRing
import FSRingTestSupport
import Glibc
import SystemPackage
import Testing

/// Set when this process is the unprivileged re-run started below.
let isUnprivilegedRun = getenv("FSRING_UNPRIVILEGED_RUN") != nil && getuid() != 0

/// Permission errors exist only for users without CAP_DAC_OVERRIDE: these
/// run as `nobody`, in a copy of this test binary started by the test below.
@Suite("Permission errors (unprivileged)", .enabled(if: isUnprivilegedRun))
struct UnprivilegedTests {
    @Test(arguments: allBackends)
    func openingAnUnreadableFileFailsWithEACCES(backend: Backend) async throws {
        let fs = try fileSystem(backend)
        let directory = TemporaryDirectory("eacces")
        let path = directory("secret")
        writeFile(path, [1, 2, 3], mode: 0o000)
        chmod(path.string, 0o000)
        do {
            _ = try await fs.openFile(forReadingAt: path)
            Issue.record("opened a 000 file as uid \(getuid())")
        } catch let error as FileSystemError {
            #expect(error.code == EACCES)
            #expect(error.description == "open '\(path.string)': Permission denied (EACCES)")
        }
        chmod(directory.path.string, 0o555)
        do {
            try await fs.writeFile(at: directory("new"), bytes: [1])
            Issue.record("created a file in a 555 directory")
        } catch let error as FileSystemError {
            #expect(error.code == EACCES)
        }
        chmod(directory.path.string, 0o755)
    }

    @Test(arguments: allBackends)
    func walkReportsAnUnreadableDirectoryAndGoesOn(backend: Backend) async throws {
        let fs = try fileSystem(backend)
        let directory = TemporaryDirectory("walk-eacces")
        for name in ["open", "locked"] {
            mkdir(directory(name).string, 0o755)
            writeFile(directory("\(name)/file"), [1])
        }
        chmod(directory("locked").string, 0o000)
        var entries: [WalkEntry] = []
        for await entry in fs.walk(at: directory.path) { entries.append(entry) }
        let failures = entries.filter { $0.error != nil }
        #expect(failures.count == 1)
        #expect(failures.first?.path == directory("locked"))
        #expect(failures.first?.error?.code == EACCES)
        #expect(entries.contains { $0.path == directory("open/file") && $0.error == nil })
    }
}

@Suite("Permission errors (runner)")
struct UnprivilegedRunner {
    @Test(.enabled(if: getuid() == 0 && !isUnprivilegedRun))
    func permissionTestsPassAsNobody() throws {
        // A copy of this binary in a folder `nobody` can reach, whatever the checkout's permissions.
        let folder = TemporaryDirectory("unprivileged")
        chmod(folder.path.string, 0o755)
        var executable = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &executable, executable.count - 1)
        let source = String(decoding: executable[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let copy = folder("tests")
        #expect(try runProcess(["/bin/cp", source, copy.string]).status == 0)
        chmod(copy.string, 0o755)
        let result = try runAsNobody(
            [copy.string, "--testing-library", "swift-testing", "--filter", "UnprivilegedTests"],
            environment: ["FSRING_UNPRIVILEGED_RUN": "1"])
        #expect(result.status == 0, "\(result.output)\(result.errors)")
        // Both tests, each on both backends, ran and passed (Swift Testing reports on stderr).
        let report = result.output + result.errors
        for test in ["openingAnUnreadableFileFailsWithEACCES", "walkReportsAnUnreadableDirectoryAndGoesOn"] {
            #expect(report.contains("Test \(test)(backend:) with 2 test cases passed"), "\(report)")
        }
    }
}
