import FSRing
import URing

#if canImport(Glibc)
    import Glibc
#endif

/// `fsring doctor`: what this machine gives fsring, and which backend it uses.
struct DoctorCommand: Subcommand {
    static let name = "doctor"
    static let abstract = "Report the kernel, the backend in use and why, and the io_uring features available."
    static let options: [CommandOption<DoctorCommand>] = []

    var paths: [CommandArgument] = []

    func validate() throws(UsageError) {
        if let extra = paths.first { throw UsageError("takes no arguments, not \(extra.quoted)") }
    }

    /// A line of the report, written at once through RawOutput, so that a
    /// failed write is reported (see `FSRingCommand.finish`).
    private func print(_ line: String) {
        FSRingCommand.writeToStandardOutput(line + "\n")
    }

    func run() async throws {
        print("fsring \(FSRingVersion.current)")
        print("kernel: \(kernelVersion())")
        print("cores: \(RingRuntime.onlineCores)")
        let fileSystem: FileSystem
        do {
            fileSystem = try FileSystem()
        } catch {
            writeToStandardError("fsring: doctor: \(error)\n")
            throw ExitStatus(2)
        }
        let choice = fileSystem.choice
        print("backend: \(choice.backend == .uring ? "io_uring" : "posix") (\(choice.reason))")
        if let runtime = choice.runtime {
            report(runtime, inUse: true)
        } else {
            // Say whether io_uring would work here, without using it.
            do {
                let probe = try RingRuntime(ringCount: 1)
                defer { probe.shutdown() }
                print("io_uring: available on this kernel, not in use")
                report(probe, inUse: false)
            } catch {
                print("io_uring: unavailable: \(error.reason)")
            }
        }
    }

    /// Whether `ring` could register buffers. The file API registers none
    /// (nothing in it reads into them); where `ring` has none, a ring made
    /// with the default configuration is asked instead.
    private func reportRegisteredBuffers(_ ring: Ring) {
        let asked = ring.registeredBufferSize > 0 ? nil : try? RingRuntime(ringCount: 1)
        defer { asked?.shutdown() }
        let probed = asked?.rings[0] ?? ring
        if let error = probed.setupReport.registeredBufferError {
            print("registered buffers: unavailable: \(ErrnoName.describe(error))")
        } else if probed.registeredBufferSize > 0 {
            print(
                "registered buffers: available (\(probed.registeredBufferSize / 1024) KiB each), not used by the file API"
            )
        } else {
            print("registered buffers: unknown (no ring could be made to ask)")
        }
    }

    private func report(_ runtime: RingRuntime, inUse: Bool) {
        let setup = runtime.rings[0].setupReport
        if inUse { print("rings: \(runtime.rings.count) (one thread each)") }
        print("setup flags: \(setup.setupFlags.joined(separator: " "))")
        for refused in setup.refusedFlagSets {
            print("refused flags: \(refused.flags.joined(separator: " ")): \(ErrnoName.describe(refused.errno))")
        }
        print("features: \(RingFeatureNames.names(setup.features).joined(separator: " "))")
        if let error = setup.directDescriptorError {
            print("direct descriptors: unavailable: \(ErrnoName.describe(error))")
        } else {
            print("direct descriptors: registered (sparse table)")
        }
        reportRegisteredBuffers(runtime.rings[0])
        let supported = Set(setup.supportedOpcodes)
        let all = (0...setup.lastOpcode).map { $0 }
        print(
            "opcodes supported: \(supported.count) of \(all.count) (highest known to the kernel: \(setup.lastOpcode))")
        print("  " + all.filter(supported.contains).map(RingOpcodeNames.name).joined(separator: " "))
        let missing = all.filter { !supported.contains($0) }
        if !missing.isEmpty {
            print("opcodes not supported: " + missing.map(RingOpcodeNames.name).joined(separator: " "))
        }
    }

    private func kernelVersion() -> String {
        var names = utsname()
        guard uname(&names) == 0 else { return "unknown" }
        func text<T>(_ field: T) -> String {
            withUnsafeBytes(of: field) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return "\(text(names.sysname)) \(text(names.release)) \(text(names.machine))"
    }
}
