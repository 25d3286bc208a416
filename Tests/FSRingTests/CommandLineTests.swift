import Glibc
import Testing

@Suite("fsring command line")
struct CommandLineTests {
    var fsring: String { productsDirectory + "/fsring" }

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

    @Test func versionAndHelp() throws {
        let version = try runProcess([fsring, "--version"])
        #expect(version.status == 0)
        #expect(version.output.hasPrefix("0."))
        let help = try runProcess([fsring, "--help"])
        #expect(help.status == 0)
        #expect(help.output.contains("doctor"))
    }
}
