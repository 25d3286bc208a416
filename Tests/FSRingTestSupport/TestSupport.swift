// Helpers shared by the test targets: temporary directories, files written
// and read with plain libc (independent of fsring), child processes, and
// the process's open descriptors.
import Dispatch
import FSRing
import Glibc
import SystemPackage

/// Both backends: every file-system test runs on each.
public let allBackends: [Backend] = [.uring, .posix]

public func fileSystem(_ backend: Backend) throws -> FileSystem {
    try FileSystem(backend: backend)
}

/// A fresh directory under /tmp for one test, removed when the test ends.
public final class TemporaryDirectory: Sendable {
    public let path: FilePath

    /// Under /tmp, or under `parent` (another file system, say).
    public init(inside parent: String = "/tmp", _ label: String = "test") {
        var template = Array("\(parent)/fsring-\(label)-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed: \(errno)")
        path = FilePath(platformString: template)
    }

    /// A path inside the directory.
    public func callAsFunction(_ relative: String) -> FilePath { path.appending(relative) }

    deinit {
        // Make everything removable (tests create 000-mode entries) and remove it.
        _ = try? runProcess(["/bin/chmod", "-R", "u+rwx", path.string])
        _ = try? runProcess(["/bin/rm", "-rf", path.string])
    }
}

/// Random bytes from a seeded generator, so failures reproduce.
public func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var state = seed &+ 0x9E37_79B9_7F4A_7C15
    var bytes = [UInt8](repeating: 0, count: count)
    for index in 0..<count {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        bytes[index] = UInt8(truncatingIfNeeded: state >> 33)
    }
    return bytes
}

// MARK: Independent checks through plain libc

/// Writes a file with plain libc calls (not through fsring); the path is
/// raw bytes, so names need not be UTF-8.
public func writeFile(_ path: [UInt8], _ bytes: [UInt8], mode: mode_t = 0o644) {
    let descriptor = (path.map { CChar(bitPattern: $0) } + [0]).withUnsafeBufferPointer {
        open($0.baseAddress!, O_WRONLY | O_CREAT | O_TRUNC, mode)
    }
    precondition(descriptor >= 0, "open failed: \(errno)")
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
        precondition(written > 0)
        offset += written
    }
    close(descriptor)
}

public func writeFile(_ path: FilePath, _ bytes: [UInt8], mode: mode_t = 0o644) {
    writeFile(
        path.withPlatformString { Array(UnsafeBufferPointer(start: $0, count: strlen($0))) }.map {
            UInt8(bitPattern: $0)
        }, bytes, mode: mode)
}

/// Reads a whole file with plain libc calls (not through fsring).
public func libcRead(_ path: FilePath) -> [UInt8]? {
    let descriptor = path.withPlatformString { open($0, O_RDONLY) }
    guard descriptor >= 0 else { return nil }
    defer { close(descriptor) }
    var result: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = Glibc.read(descriptor, &buffer, buffer.count)
        if count <= 0 { break }
        result += buffer[..<count]
    }
    return result
}

/// stat(2) through libc.
public func libcStat(_ path: FilePath, followLinks: Bool = true) -> stat? {
    var info = stat()
    let status = path.withPlatformString { followLinks ? stat($0, &info) : lstat($0, &info) }
    return status == 0 ? info : nil
}

// MARK: Processes

public struct ProcessResult {
    public var status: Int32
    public var standardOutput: [UInt8]
    public var standardError: [UInt8]
    public var output: String { String(decoding: standardOutput, as: UTF8.self) }
    public var errors: String { String(decoding: standardError, as: UTF8.self) }
}

public struct SpawnFailure: Error { public let code: Int32 }

/// Taken while processes run as an unprivileged user, and while such
/// users are refused io_uring: a process of one test never meets the other
/// test's restriction.
private let unprivilegedProcesses = DispatchSemaphore(value: 1)

private let asNobody = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]

/// Runs a program as the unprivileged user nobody (65534); needs root.
public func runAsNobody(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
    unprivilegedProcesses.wait()
    defer { unprivilegedProcesses.signal() }
    return try runProcess(asNobody + arguments, environment: environment)
}

/// Runs `body` while processes without CAP_SYS_ADMIN may not set up
/// io_uring (kernel.io_uring_disabled=1), giving it a way to run programs
/// as nobody under that rule. Root keeps io_uring, so the tests running as
/// root at the same time are not affected (=2 refused every new ring, the
/// other tests' included). Needs root and a writable sysctl.
public func withIoUringRefusedToNobody<Result>(
    _ body: (_ runAsNobody: ([String], [String: String]) throws -> ProcessResult) throws -> Result
) throws -> Result {
    unprivilegedProcesses.wait()
    defer { unprivilegedProcesses.signal() }
    let setting = "/proc/sys/kernel/io_uring_disabled"
    let before = String(decoding: try runProcess(["/bin/cat", setting]).standardOutput, as: UTF8.self).filter(
        \.isNumber)
    func set(_ value: String) throws {
        let result = try runProcess(["/bin/sh", "-c", "echo \(value) > \(setting)"])
        guard result.status == 0 else { throw SpawnFailure(code: EPERM) }
    }
    try set("1")
    defer { try? set(before.isEmpty ? "0" : before) }
    return try body { try runProcess(asNobody + $0, environment: $1) }
}

/// Runs a program to completion, capturing stdout and stderr.
public func runProcess(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
    var outputPipe: [Int32] = [0, 0]
    var errorPipe: [Int32] = [0, 0]
    guard pipe(&outputPipe) == 0, pipe(&errorPipe) == 0 else { throw SpawnFailure(code: errno) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 1)
    posix_spawn_file_actions_adddup2(&actions, errorPipe[1], 2)
    posix_spawn_file_actions_addclose(&actions, outputPipe[0])
    posix_spawn_file_actions_addclose(&actions, errorPipe[0])

    var merged: [String: String] = [:]
    var index = 0
    while let entry = environ[index] {
        let text = String(cString: entry)
        if let equals = text.firstIndex(of: "=") {
            merged[String(text[..<equals])] = String(text[text.index(after: equals)...])
        }
        index += 1
    }
    for (key, value) in environment { merged[key] = value }
    let argv = arguments.map { strdup($0) } + [nil]
    let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
        argv.forEach { free($0) }
        envp.forEach { free($0) }
    }
    // The child starts with no signal blocked and default handlers: the
    // calling thread may be one of Dispatch's, which block signals, and a
    // child inheriting that mask could not be stopped by `timeout`.
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var noSignals = sigset_t()
    sigemptyset(&noSignals)
    posix_spawnattr_setsigmask(&attributes, &noSignals)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGALRM, SIGCHLD] { sigaddset(&defaults, signal) }
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    var pid = pid_t()
    let status = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, envp)
    close(outputPipe[1])
    close(errorPipe[1])
    guard status == 0 else {
        close(outputPipe[0])
        close(errorPipe[0])
        throw SpawnFailure(code: status)
    }
    // Drain both pipes with poll, so neither can fill up and stall the child.
    var output: [UInt8] = []
    var errors: [UInt8] = []
    var open = [outputPipe[0], errorPipe[0]]
    var buffer = [UInt8](repeating: 0, count: 65536)
    while !open.isEmpty {
        var polled = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        _ = poll(&polled, nfds_t(polled.count), -1)
        for entry in polled where entry.revents != 0 {
            let count = Glibc.read(entry.fd, &buffer, buffer.count)
            if count <= 0 {
                close(entry.fd)
                open.removeAll { $0 == entry.fd }
            } else if entry.fd == outputPipe[0] {
                output += buffer[..<count]
            } else {
                errors += buffer[..<count]
            }
        }
    }
    var exitStatus: Int32 = 0
    while waitpid(pid, &exitStatus, 0) < 0 && errno == EINTR {}
    let code = (exitStatus & 0x7f) == 0 ? (exitStatus >> 8) & 0xff : 128 + (exitStatus & 0x7f)
    return ProcessResult(status: code, standardOutput: output, standardError: errors)
}

/// What `/bin/sh -c command` printed on stdout (with stderr folded in when
/// asked), and its exit status.
public struct ShellResult {
    public var status: Int32
    public var output: [UInt8]
    public var text: String { String(decoding: output, as: UTF8.self) }
}

public func shell(_ command: String, standardError: Bool = false) throws -> ShellResult {
    let result = try runProcess(["/bin/sh", "-c", standardError ? "(\(command)) 2>&1" : command])
    return ShellResult(status: result.status, output: result.standardOutput)
}

/// The directory holding the test binary and the built products.
public var productsDirectory: String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    let executable = String(decoding: buffer[..<max(0, length)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return String(executable[..<(executable.lastIndex(of: "/") ?? executable.endIndex)])
}

/// The `fsring` executable under test: `FSRING_EXECUTABLE` when set (the
/// test script runs the command-line suites again on the release binary,
/// which is linked differently), else the one built beside the tests.
public var fsringExecutable: String {
    if let chosen = getenv("FSRING_EXECUTABLE"), chosen.pointee != 0 { return String(cString: chosen) }
    return productsDirectory + "/fsring"
}

/// Runs a command with some system calls refused (Tests/RefusingSyscalls):
/// how the tests reach the fallbacks for older kernels and other file systems.
public var refusingSyscallsExecutable: String { productsDirectory + "/refusing-syscalls" }

// MARK: Descriptors

/// Makes a Unix-domain socket at `path` (bound, not listening); the socket
/// file stays when the returned descriptor is closed. Nil when it cannot be
/// made (a path longer than a socket address holds, say).
public func bindUnixSocket(at path: String) -> Int32? {
    let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { return nil }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8) + [0]
    guard bytes.count <= MemoryLayout.size(ofValue: address.sun_path) else {
        close(descriptor)
        return nil
    }
    withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
        }
    }
    guard bound == 0 else {
        close(descriptor)
        return nil
    }
    return descriptor
}

/// The `/proc/self/fd` link text of the pipe behind `descriptor`
/// (`pipe:[INODE]`): names that pipe and no other, while any end is open.
public func pipeIdentity(_ descriptor: Int32) -> String {
    var status = stat()
    guard fstat(descriptor, &status) == 0 else { return "" }
    return "pipe:[\(status.st_ino)]"
}

/// Which of `identities` (see `pipeIdentity`) some descriptor of this
/// process still points to. Unlike a count, other tests running at the same
/// time cannot change the answer.
public func stillOpenPipes(_ identities: Set<String>) -> Set<String> {
    Set(openDescriptorTargets()).intersection(identities)
}

/// Where each open descriptor of this process points (`/proc/self/fd` links).
public func openDescriptorTargets() -> [String] {
    guard let directory = opendir("/proc/self/fd") else { return [] }
    defer { closedir(directory) }
    var targets: [String] = []
    var buffer = [CChar](repeating: 0, count: 4096)
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) {
            String(cString: $0.bindMemory(to: CChar.self).baseAddress!)
        }
        if name == "." || name == ".." { continue }
        let length = readlink("/proc/self/fd/\(name)", &buffer, buffer.count - 1)
        if length > 0 {
            targets.append(String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
    }
    return targets
}

/// The name of each level of `makeDeepDirectories`: 250 bytes, so 17
/// levels make a path longer than PATH_MAX (4,096 bytes).
public let deepDirectoryName = String(repeating: "n", count: 250)

/// Makes `levels` directories named `deepDirectoryName` under `root`, each
/// inside the one before, calling `eachLevel` with each new directory's
/// descriptor and depth; returns the deepest one's descriptor, for the
/// caller to fill and close. Built from descriptors: shells cannot cd that
/// deep, and calls by whole path stop at 4,096 bytes.
public func makeDeepDirectories(
    under root: FilePath, levels: Int, mode: mode_t = 0o750, _ eachLevel: (Int32, Int) -> Void = { _, _ in }
) -> Int32 {
    var level = open(root.string, O_RDONLY | O_DIRECTORY)
    for depth in 1...levels {
        mkdirat(level, deepDirectoryName, mode)
        let next = openat(level, deepDirectoryName, O_RDONLY | O_DIRECTORY)
        close(level)
        level = next
        eachLevel(level, depth)
    }
    return level
}
