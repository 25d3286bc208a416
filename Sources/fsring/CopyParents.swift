import FSRing
import FSRingCopy
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// `--parents`, as cp's: each SOURCE is copied to DEST/SOURCE, the
/// directories along its path made where missing, and those given their
/// sources' metadata once everything is copied (a directory's times would
/// change as entries are made in it).
extension CopyCommand {
    /// A directory made on the way to a copy, and the one it stands for.
    struct MadeParent {
        var source: FilePath
        var destination: FilePath
    }

    /// Where each SOURCE goes under DEST, and how cp spells it.
    func parentsDestinations(into destination: FilePath, written: [UInt8]) throws
        -> [(source: FilePath, destination: FilePath, writtenDestination: [UInt8])]
    {
        try sourceArguments.map { argument in
            let source = argument.path
            guard !source.components.contains(where: { $0.kind == .parentDirectory }) else {
                throw CopyPlanError(message: "with --parents, \(source.quoted) would be copied outside the destination")
            }
            var spelled = argument.bytes[...]
            while spelled.first == UInt8(ascii: "/") { spelled.removeFirst() }
            return (source, destination.appending(source.components), Self.spelledInside(written, spelled))
        }
    }

    /// Makes the missing directories between DEST and a source's copy (the
    /// copy's parent last), listing them as cp -v does; nil when one cannot
    /// be made (reported).
    func makeParents(of source: FilePath, into destination: FilePath, printer: CopyPrinter) -> [MadeParent]? {
        let components = Array(source.components.dropLast())
        var made: [MadeParent] = []
        for count in components.indices.map({ $0 + 1 }) {
            let sourcePrefix = FilePath(root: source.root, components[0..<count])
            let destinationPrefix = destination.appending(components[0..<count])
            var info = stat()
            if destinationPrefix.withPlatformString({ lstat($0, &info) }) == 0 {
                guard info.st_mode & S_IFMT == S_IFDIR else {
                    printer.diagnostic("\(destinationPrefix.quoted) is not a directory")
                    return nil
                }
                continue
            }
            guard destinationPrefix.withPlatformString({ mkdir($0, 0o700) }) == 0 else {
                printer.diagnostic(
                    FileSystemError(code: errno, operation: "mkdir", path: destinationPrefix).description)
                return nil
            }
            printer.listMadeParent(source: sourcePrefix, destination: destinationPrefix)
            made.append(MadeParent(source: sourcePrefix, destination: destinationPrefix))
        }
        return made
    }

    /// Gives the directories made their sources' metadata, deepest first.
    func finishParents(
        _ made: [MadeParent], options: CopyOptions, fileSystem: FileSystem, printer: CopyPrinter
    ) async -> Bool {
        var options = options
        options.copiesDirectoryContents = false
        options.countTotals = false
        var failed = false
        for parent in made.reversed() {
            do throws(CopyError) {
                _ = try await fileSystem.copyItem(
                    at: parent.source, to: parent.destination, options: options,
                    onError: { failure in
                        printer.failure(failure)
                        return .proceed
                    })
            } catch {
                printer.fatal(error)
                failed = true
            }
        }
        return !failed
    }
}
