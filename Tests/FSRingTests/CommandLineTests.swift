import FSRingTestSupport
import Glibc
import Testing

@Suite("fsring command line", .serialized)
struct CommandLineTests {
    var fsring: String { fsringExecutable }

    func kernelRelease() -> String {
        var names = utsname()
        _ = uname(&names)
        return withUnsafeBytes(of: names.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    @Test func doctorReportsTheIoUringBackendAndItsOpcodes() throws {
        let result = try runProcess([fsring, "doctor"], environment: ["FSRING_BACKEND": "uring"])
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output.contains("kernel: Linux \(kernelRelease())"))
        #expect(result.output.contains("backend: io_uring (FSRING_BACKEND=uring)"))
        #expect(result.output.contains("setup flags: "))
        #expect(result.output.contains(" OPENAT "))
        #expect(result.output.contains("opcodes supported: "))
    }

    @Test func doctorTellsWhenThePOSIXBackendIsForced() throws {
        let result = try runProcess([fsring, "doctor"], environment: ["FSRING_BACKEND": "posix"])
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output.contains("backend: posix (FSRING_BACKEND=posix)"))
        #expect(result.output.contains("io_uring: available on this kernel, not in use"))
    }

    @Test func aBadBackendNameIsAUsageError() throws {
        let result = try runProcess([fsring, "doctor"], environment: ["FSRING_BACKEND": "bogus"])
        #expect(result.status == 2)
        #expect(result.errors.contains("fsring: doctor: FSRING_BACKEND=bogus is not a backend: use 'uring' or 'posix'"))
    }

    /// Writable only for root outside a read-only /proc (a container may refuse).
    static let canDisableIoUring = access("/proc/sys/kernel/io_uring_disabled", W_OK) == 0 && getuid() == 0

    @Test(
        .enabled(if: canDisableIoUring, "needs root and a writable /proc/sys/kernel/io_uring_disabled"))
    func fallsBackToPOSIXWhereIoUringIsDisabled() throws {
        // kernel.io_uring_disabled=2 refuses new rings machine-wide; this
        // suite runs serially, and rings that already exist keep working.
        func setDisabled(_ value: String) throws {
            let result = try runProcess(["/bin/sh", "-c", "echo \(value) > /proc/sys/kernel/io_uring_disabled"])
            try #require(result.status == 0, "\(result.errors)")
        }
        try setDisabled("2")
        defer { try? setDisabled("0") }
        let automatic = try runProcess([fsring, "doctor"], environment: ["FSRING_BACKEND": ""])
        #expect(automatic.status == 0)
        let reason = "io_uring unavailable: io_uring_queue_init: Operation not permitted (EPERM)"
        #expect(automatic.errors == "fsring: \(reason); using the POSIX backend\n")
        #expect(automatic.output.contains("backend: posix (\(reason))"))
        #expect(
            automatic.output.contains("io_uring: unavailable: io_uring_queue_init: Operation not permitted (EPERM)"))
        let forced = try runProcess([fsring, "doctor"], environment: ["FSRING_BACKEND": "uring"])
        #expect(forced.status == 2)
        #expect(forced.errors.contains("fsring: doctor: FSRING_BACKEND=uring, but \(reason)"))
    }

    @Test func versionAndHelp() throws {
        let version = try runProcess([fsring, "--version"])
        #expect(version.status == 0)
        #expect(version.output.hasPrefix("0."))
        let help = try runProcess([fsring, "--help"])
        #expect(help.status == 0)
        #expect(help.output.contains("doctor"))
    }
}
