internal import CURing
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

// A run over a few files (`fsring hash FILE`) spends more time handing each
// call to a backend thread and back than in the calls themselves: every hop
// wakes another thread, often on the other, idle, core. A handle opened in
// place makes its calls on the caller's thread instead. Only for regular
// files, whose calls wait for the disk at worst, never for a writer: the
// open does not block on a FIFO put in a file's place (O_NONBLOCK), and the
// caller checks the type it gets back before reading.

extension FileSystem {
    /// Opens path `index` of `paths` for reading and looks up what it is,
    /// both on the calling thread, as a handle that makes its reads by
    /// offset, `info`, `advise` and `close` there too (see
    /// `FileHandle.callsInPlace`). Its other operations go through this
    /// file system's backend as usual.
    package func openForReadingInPlace(
        _ paths: PathList, _ index: Int
    ) -> Result<(handle: FileHandle, info: FileInfo), FileSystemError> {
        paths.withCString(of: index) { path in
            let descriptor = LongPaths.open(path, flags: O_RDONLY | O_NONBLOCK | O_NOCTTY, mode: 0)
            guard descriptor >= 0 else {
                return .failure(FileSystemError(code: errno, operation: "open", path: paths[index]))
            }
            guard let info = FileInfo.blockingLookup(descriptor, "", followLinks: true) else {
                let code = errno
                Glibc.close(descriptor)
                return .failure(FileSystemError(code: code, operation: "statx", path: paths[index]))
            }
            return .success((FileHandle(descriptor: descriptor, path: paths[index], io: io, callsInPlace: true), info))
        }
    }
}

extension FileHandle {
    /// pread(2), retried when interrupted: the number of bytes read, 0 at
    /// the end of the file.
    func readInPlace(
        into buffer: UnsafeMutableRawBufferPointer, fromAbsoluteOffset offset: Int64
    ) throws(FileSystemError) -> Int {
        while true {
            let count = pread(descriptor, buffer.baseAddress, buffer.count, off_t(offset))
            if count >= 0 { return count }
            if errno != EINTR { throw FileSystemError(code: errno, operation: "read", path: path) }
        }
    }

    func infoInPlace() throws(FileSystemError) -> FileInfo {
        guard let info = FileInfo.blockingLookup(descriptor, "", followLinks: true) else {
            throw FileSystemError(code: errno, operation: "statx", path: path)
        }
        return info
    }

    func adviseInPlace(_ advice: FileAdvice, offset: Int64, length: Int) throws(FileSystemError) {
        // posix_fadvise returns the error number instead of setting errno.
        let result = posix_fadvise(descriptor, off_t(max(0, offset)), off_t(length), advice.value)
        if result != 0 { throw FileSystemError(code: result, operation: "fadvise", path: path) }
    }

    /// close(2), which does not wait.
    func closeInPlace() throws(FileSystemError) {
        if Glibc.close(descriptor) < 0 { throw FileSystemError(code: errno, operation: "close", path: path) }
    }
}
