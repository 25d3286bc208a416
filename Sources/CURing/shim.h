// The C surface fsring needs from liburing and from Linux that Swift cannot
// import directly: macros (flag bits, constants defined through other
// macros) and variadic system calls. Everything here is a constant or a
// one-line static inline wrapper; no state, no logic.
#ifndef FSRING_CURING_SHIM_H
#define FSRING_CURING_SHIM_H

// Every glibc header liburing.h needs comes first, with the default feature
// set. liburing.h defines _GNU_SOURCE and _XOPEN_SOURCE, which change glibc
// types (fd_set's fields among them); if glibc's headers were first seen
// under those macros here, their types would differ from the ones the Swift
// Glibc module built, and the two modules would not load together. With the
// headers already included, liburing.h's macros change nothing.
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/syscall.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <inttypes.h>
#include <time.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>
#include <pthread.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

// pthread_setname_np is a GNU extension too; its prototype, as glibc declares it.
extern int pthread_setname_np(pthread_t thread, const char *name);

// The kernel's own io_uring.h before liburing's copy, which has the same
// include guard: every module that sees io_uring types sees one definition.
#include <linux/io_uring.h>
#include <linux/stat.h>
#include <liburing.h>

// IOSQE_* are defined as shifts of enum bits and do not import.
static const int FSR_IOSQE_FIXED_FILE = IOSQE_FIXED_FILE;
static const int FSR_IOSQE_IO_LINK = IOSQE_IO_LINK;
static const int FSR_IOSQE_IO_HARDLINK = IOSQE_IO_HARDLINK;
static const int FSR_IOSQE_CQE_SKIP_SUCCESS = IOSQE_CQE_SKIP_SUCCESS;

// Open and *at flags. AT_EMPTY_PATH, which glibc defines only for
// _GNU_SOURCE, is given as Linux's value (the same on x86_64 and arm64).
static const int FSR_O_DIRECTORY = O_DIRECTORY;
static const int FSR_O_NOFOLLOW = O_NOFOLLOW;
static const int FSR_O_CLOEXEC = O_CLOEXEC;
static const int FSR_AT_FDCWD = AT_FDCWD;
static const int FSR_AT_EMPTY_PATH = 0x1000;
static const int FSR_AT_SYMLINK_NOFOLLOW = AT_SYMLINK_NOFOLLOW;
static const int FSR_AT_REMOVEDIR = AT_REMOVEDIR;
static const int FSR_STATX_BASIC_STATS = STATX_BASIC_STATS;
static const int FSR_STATX_BTIME = STATX_BTIME;

// getdents64 and statx have no portable libc wrapper that imports; both
// are variadic syscall() calls, which Swift cannot make.
static inline long fsr_getdents64(int fd, void *buffer, unsigned long length) {
    return syscall(SYS_getdents64, fd, buffer, length);
}

static inline int fsr_statx(int dirfd, const char *path, int flags, unsigned int mask,
                            struct statx *result) {
    return (int)syscall(SYS_statx, dirfd, path, flags, mask, result);
}

// Debian's liburing 2.3 has io_uring_enable_rings in its static library
// but does not export it from the shared one: the register call itself.
// 0, or -errno as liburing returns it.
static inline int fsr_io_uring_enable_rings(struct io_uring *ring) {
    int status = (int)syscall(SYS_io_uring_register, ring->ring_fd, IORING_REGISTER_ENABLE_RINGS, NULL, 0);
    return status < 0 ? -errno : status;
}

static inline int fsr_fallocate(int fd, int mode, long long offset, long long length) {
    return (int)syscall(SYS_fallocate, fd, mode, offset, length);
}

static inline int fsr_renameat2(int olddirfd, const char *oldpath, int newdirfd,
                                const char *newpath, unsigned int flags) {
    return (int)syscall(SYS_renameat2, olddirfd, oldpath, newdirfd, newpath, flags);
}

// preadv2/pwritev2 with RWF_NOWAIT: a read or write that fails with EAGAIN
// rather than wait (for a pipe with no data, or pages not in the cache).
// glibc declares them only for _GNU_SOURCE. Offset -1: the file position.
static inline long fsr_pread_nowait(int fd, void *buffer, unsigned long length, long long offset) {
    struct iovec vector = {buffer, length};
    return syscall(SYS_preadv2, fd, &vector, 1, (long)offset, 0L, 0x00000008 /* RWF_NOWAIT */);
}

static inline long fsr_pwrite_nowait(int fd, const void *buffer, unsigned long length, long long offset) {
    struct iovec vector = {(void *)buffer, length};
    return syscall(SYS_pwritev2, fd, &vector, 1, (long)offset, 0L, 0x00000008 /* RWF_NOWAIT */);
}

// open(2) is variadic in glibc; openat through syscall() keeps the mode explicit.
static inline int fsr_openat(int dirfd, const char *path, int flags, unsigned int mode) {
    return (int)syscall(SYS_openat, dirfd, path, flags, mode);
}

// eventfd(2) for waking a ring thread; sys/eventfd.h does not import cleanly
// next to liburing.h, and O_CLOEXEC is the value of EFD_CLOEXEC.
static inline int fsr_eventfd_cloexec(void) {
    return (int)syscall(SYS_eventfd2, 0, O_CLOEXEC);
}

static inline int fsr_set_thread_name(const char *name) {
    return pthread_setname_np(pthread_self(), name);
}

// Tree copy. O_TMPFILE, O_PATH and SEEK_DATA/SEEK_HOLE exist in glibc only
// for _GNU_SOURCE; their values are Linux's (the same on x86_64 and arm64).
static const int FSR_O_TMPFILE = 020200000;  // __O_TMPFILE | O_DIRECTORY
static const int FSR_O_PATH = 010000000;
static const int FSR_SEEK_DATA = 3;
static const int FSR_SEEK_HOLE = 4;
static const unsigned int FSR_RENAME_NOREPLACE = 1;

// ioctl is variadic. FICLONE is _IOW(0x94, 9, int): share the source's
// extents with the destination (reflink) where the file system can.
static inline int fsr_ficlone(int destination, int source) {
    return ioctl(destination, 0x40049409, source);
}

// copy_file_range: glibc declares it only for _GNU_SOURCE. Null offsets use
// and advance the file positions.
static inline long fsr_copy_file_range(int source, long long *sourceOffset, int destination,
                                       long long *destinationOffset, unsigned long length) {
    return syscall(SYS_copy_file_range, source, sourceOffset, destination, destinationOffset, length, 0U);
}

// makedev is a macro.
static inline int fsr_mknodat(int dirfd, const char *path, unsigned int mode, unsigned int major,
                              unsigned int minor) {
    return mknodat(dirfd, path, mode, makedev(major, minor));
}

#endif
