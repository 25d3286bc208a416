import FSRing
import FSRingCopy
import FSRingHash
import Synchronization
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// What `fsring copy` prints while it works: entries (-v, --dry-run) on
/// stdout, failures and warnings on stderr, and a progress line on stderr
/// that is redrawn in place and cleared before anything else is printed.
final class CopyPrinter: Sendable {
    private struct State {
        var output = RawOutput(descriptor: 1)
        var diagnostics = RawOutput(descriptor: 2)
        var progressShown = false
        /// `-i`'s question is on the screen, waiting for its answer: the
        /// progress line is not drawn over it.
        var questionShown = false
        var lastProgress: CopyProgress?
        /// The source being copied, as a path and as it was written.
        var source: (path: [UInt8], written: [UInt8])?
        /// Its destination, as a path and as cp spells it.
        var destination: (path: [UInt8], written: [UInt8])?
    }
    private let state: Mutex<State>
    /// Held while `-i`'s question waits for its answer: one at a time.
    private let asking = Mutex(())
    /// Set when the copy is interrupted: every answer is then no.
    private let askingStopped = Atomic<Bool>(false)
    private let verbose: Bool
    private let dryRun: Bool
    private let showsProgress: Bool

    init(verbose: Bool, dryRun: Bool, progress: Bool) {
        self.verbose = verbose
        self.dryRun = dryRun
        self.showsProgress = progress
        // RawOutput is used only under the lock.
        state = Mutex(State())
    }

    /// Says how the source about to be copied and its destination were
    /// written: entries are listed and named in messages under those
    /// spellings (`d//s/f`, `dir//new/f`, as cp names them), not the paths'
    /// normalized ones (`d/s/f`).
    func listPair(source: FilePath, written: [UInt8], destination: FilePath, writtenDestination: [UInt8]) {
        state.withLock {
            $0.source = (source.rawBytes, written)
            $0.destination = (destination.rawBytes, writtenDestination)
        }
    }

    func item(_ item: CopiedItem) {
        // Most entries print nothing: decide that before building any text.
        switch item.outcome {
        case .wouldCopy: break
        // As cp -v, which lists the directories it makes, not those it copies into.
        case .merged: return
        case .linked: guard verbose || dryRun else { return }
        case .skipped: guard verbose || item.type == .socket else { return }
        case .copied: guard verbose else { return }
        }
        state.withLock { state in
            let source = Self.quoted(Self.spelled(item.source.rawBytes, as: state.source))
            let destination = Self.quoted(Self.spelled(item.destination.rawBytes, as: state.destination))
            // As cp -v: ` (backup: 'dest/f~')`.
            let backup = item.backup.map {
                Array(" (backup: ".utf8) + Self.quoted(Self.spelled($0.rawBytes, as: state.destination)) + [0x29]
            }
            switch item.outcome {
            case .copied where verbose:
                clearProgress(&state)
                state.output.write(source + Array(" -> ".utf8) + destination + (backup ?? []) + [0x0A])
            case .linked where verbose || dryRun:
                // As cp -v lists an entry it links to an earlier copy: as a copy.
                clearProgress(&state)
                let prefix = dryRun ? "would link " : ""
                state.output.write(
                    Array(prefix.utf8) + source + Array(" -> ".utf8) + destination + (backup ?? []) + [0x0A])
            case .wouldCopy:
                state.output.write(Array("would copy ".utf8) + source + Array(" -> ".utf8) + destination + [0x0A])
            case .skipped(let reason) where item.type == .socket:
                clearProgress(&state)
                state.output.flush()
                state.diagnostics.write(Array("fsring: copy: skipping ".utf8) + source + Array(": \(reason)\n".utf8))
                state.diagnostics.flush()
            case .skipped(let reason) where verbose:
                clearProgress(&state)
                state.output.write(Array("skipped ".utf8) + destination + Array(" (\(reason))\n".utf8))
            default:
                break
            }
        }
    }

    /// `--parents -v`: a directory made on the way, as cp lists it (`a -> dest/a`, unquoted).
    func listMadeParent(source: FilePath, destination: FilePath) {
        guard verbose else { return }
        state.withLock { state in
            clearProgress(&state)
            state.output.write(source.rawBytes + Array(" -> ".utf8) + destination.rawBytes + [0x0A])
        }
    }

    /// `-i`: asks on stderr whether to replace `destination` (named as cp
    /// names it) and reads the answer from stdin, yes when it starts with y
    /// or Y, as cp reads it. The end of stdin, or an interruption, is no.
    func confirmReplacing(_ destination: FilePath) -> Bool {
        asking.withLock { _ in
            if askingStopped.load(ordering: .relaxed) { return false }
            state.withLock { state in
                let shown = Self.quoted(Self.spelled(destination.rawBytes, as: state.destination))
                clearProgress(&state)
                state.output.flush()
                state.diagnostics.write(Array("fsring: copy: overwrite ".utf8) + shown + Array("? ".utf8))
                state.diagnostics.flush()
                state.questionShown = true
            }
            let answer = readAnswer()
            state.withLock { state in
                state.questionShown = false
                // Interrupted: what is said next starts a line of its own.
                if answer == nil {
                    state.diagnostics.write("\n")
                    state.diagnostics.flush()
                }
            }
            guard let answer else { return false }
            return answer.first == UInt8(ascii: "y") || answer.first == UInt8(ascii: "Y")
        }
    }

    /// Makes a question being asked, and every later one, answer no.
    func stopAsking() { askingStopped.store(true, ordering: .relaxed) }

    /// A line from stdin, read a byte at a time so that nothing after it is
    /// taken from the next question's answer; waits in short polls so that
    /// an interruption is not held up by a question nobody answers (nil).
    private func readAnswer() -> [UInt8]? {
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while !askingStopped.load(ordering: .relaxed) {
            var waiting = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
            let ready = poll(&waiting, 1, 200)
            if ready < 0 && errno != EINTR { return line }
            if ready <= 0 { continue }
            let count = read(0, &byte, 1)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 || byte == 0x0A { return line }
            line.append(byte)
        }
        return nil
    }

    func failure(_ failure: CopyFailure) { diagnostic { failure.description(naming: $0) } }

    func fatal(_ error: CopyError) { diagnostic { error.description(naming: $0) } }

    /// A line on stderr, after what stdout has so far, with the progress line out of the way.
    func diagnostic(_ text: String) { diagnostic { _ in text } }

    /// A line whose paths are named as the source and destination were
    /// written (`d//x`, as cp names them), quoted.
    private func diagnostic(_ text: (_ naming: (FilePath) -> String) -> String) {
        state.withLock { state in
            let (source, destination) = (state.source, state.destination)
            let line = text { path in
                String(decoding: Self.quoted(Self.spelled(path.rawBytes, as: source, or: destination)), as: UTF8.self)
            }
            clearProgress(&state)
            state.output.flush()
            state.diagnostics.write("fsring: copy: \(line)\n")
            state.diagnostics.flush()
        }
    }

    func progress(_ progress: CopyProgress) {
        guard showsProgress else { return }
        state.withLock { state in
            state.lastProgress = progress
            if state.questionShown { return }
            state.output.flush()
            state.diagnostics.write("\r" + Self.progressLine(progress) + "\u{1B}[K")
            state.diagnostics.flush()
            state.progressShown = true
        }
    }

    func finish() {
        state.withLock { state in
            clearProgress(&state)
            state.output.flush()
            state.diagnostics.flush()
        }
    }

    private func clearProgress(_ state: inout State) {
        guard state.progressShown else { return }
        state.diagnostics.write("\r\u{1B}[K")
        state.diagnostics.flush()
        state.progressShown = false
    }

    /// `12,345/78,000 files  1.2/3.4 GiB  350 MiB/s  ETA 0:12`
    static func progressLine(_ progress: CopyProgress) -> String {
        let done = progress.done
        let seconds = max(
            0.001, Double(done.elapsed.components.seconds) + Double(done.elapsed.components.attoseconds) / 1e18)
        let rate = Double(done.bytes) / seconds
        var files = "\(done.files + done.hardLinks + done.symbolicLinks + done.specialFiles)"
        var bytes = size(Double(done.bytes))
        var eta = ""
        if let totalFiles = progress.totalFiles, let totalBytes = progress.totalBytes {
            files += "/\(totalFiles)"
            bytes += "/" + size(Double(totalBytes))
            if rate > 0, totalBytes > done.bytes, !progress.finished {
                let remaining = Int((Double(totalBytes - done.bytes) / rate).rounded(.up))
                eta = "  ETA \(remaining / 60):" + (remaining % 60 < 10 ? "0" : "") + "\(remaining % 60)"
            }
        }
        var line = "\(files) files  \(bytes)  \(size(rate))/s" + eta
        if done.failed > 0 { line += "  \(done.failed) failed" }
        return line
    }

    static func size(_ bytes: Double) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = bytes
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return (unit == 0 ? "\(Int(value))" : decimal(value, places: 1)) + " " + units[unit]
    }

    /// A fixed-point number without Foundation's formatter.
    static func decimal(_ value: Double, places: Int) -> String {
        var scale = 1
        for _ in 0..<places { scale *= 10 }
        let scaled = Int((value * Double(scale)).rounded())
        var fraction = String(scaled % scale)
        while fraction.count < places { fraction = "0" + fraction }
        return "\(scaled / scale)." + fraction
    }

    /// A path as cp -v prints it (`QuotedPath`): `'a b'`, `'bad'$'\377'`.
    static func quoted(_ path: [UInt8]) -> [UInt8] { QuotedPath.bytes(path) }

    /// `path` under the spelling of whichever of `source` and `destination`
    /// holds it (the one deeper down when both do: a copy inside its source).
    static func spelled(
        _ path: [UInt8], as source: (path: [UInt8], written: [UInt8])?,
        or destination: (path: [UInt8], written: [UInt8])?
    ) -> [UInt8] {
        let holders = [source, destination].compactMap { $0 }.filter { holds($0.path, path) }
        guard let holder = holders.max(by: { $0.path.count < $1.path.count }) else { return path }
        return spelled(path, as: holder)
    }

    /// Whether `path` is `top` or inside it.
    private static func holds(_ top: [UInt8], _ path: [UInt8]) -> Bool {
        path.starts(with: top) && (path.count == top.count || path[top.count] == UInt8(ascii: "/"))
    }

    /// `path` under the source's spelling: the source itself as written,
    /// an entry inside it as written without trailing slashes, then its
    /// own path (`./d/s/` and `./d/s/f`, as cp -v prints them).
    static func spelled(_ path: [UInt8], as source: (path: [UInt8], written: [UInt8])?) -> [UInt8] {
        guard let source, holds(source.path, path) else { return path }
        if path.count == source.path.count { return source.written }
        var prefix = source.written[...]
        while prefix.count > 1 && prefix.last == UInt8(ascii: "/") { prefix.removeLast() }
        return Array(prefix) + path[source.path.count...]
    }
}
