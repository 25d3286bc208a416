internal import CURing
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

// A run over a few files (`fsring hash FILE`) spends more time handing each
// call to a backend thread and back than in the calls themselves: every hop
// wakes another thread, often on the other, idle, core. These calls are
// made on the caller's thread instead. Only for regular files, whose calls
// wait for the disk at worst, never for a writer: the open does not block
// on a FIFO put in a file's place (O_NONBLOCK), and the caller checks the
// type it gets back before reading.

extension FileSystem {
    /// Opens path `index` of `paths` for reading and looks up what it is,
    /// both on the calling thread. The handle's other operations go through
    /// this file system's backend as usual; `readInPlace` and `closeInPlace`
    /// do not.
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
            return .success((FileHandle(descriptor: descriptor, path: paths[index], io: io), info))
        }
    }
}

extension FileHandle {
    /// pread(2) on the calling thread, retried when interrupted: the number
    /// of bytes read, 0 at the end of the file.
    package func readInPlace(
        into buffer: UnsafeMutableRawBufferPointer, fromAbsoluteOffset offset: Int64
    ) throws(FileSystemError) -> Int {
        while true {
            let count = pread(descriptor, buffer.baseAddress, buffer.count, off_t(offset))
            if count >= 0 { return count }
            if errno != EINTR { throw FileSystemError(code: errno, operation: "read", path: path) }
        }
    }

    /// Tells the kernel how the file will be read, on the calling thread.
    /// Only a hint: a refusal changes nothing.
    package func adviseInPlace(_ advice: FileAdvice) {
        _ = posix_fadvise(descriptor, 0, 0, advice.value)
    }

    /// Closes the descriptor on the calling thread (close(2) does not wait).
    package func closeInPlace() throws(FileSystemError) {
        guard markClosed() else { throw FileSystemError(code: EBADF, operation: "close", path: path) }
        if Glibc.close(descriptor) < 0 { throw FileSystemError(code: errno, operation: "close", path: path) }
    }
}
