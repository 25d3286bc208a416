// refusing-syscalls MODE COMMAND [ARGUMENT...]
//
// Runs COMMAND with one kind of system call refused, the way older kernels
// and other file systems refuse it, so the tests reach fsring's fallbacks on
// a machine whose kernel and file systems allow everything:
//
//   link-by-descriptor  linkat(AT_EMPTY_PATH) fails with ENOENT, as kernels
//                       that want CAP_DAC_READ_SEARCH for it answer
//   unnamed-links       that, and linkat(AT_SYMLINK_FOLLOW) too, as when
//                       /proc is not mounted either (plain hard links work)
//   tmpfile             open(O_TMPFILE) fails with EOPNOTSUPP, as on file
//                       systems without unnamed files
//   copy-file-range     copy_file_range fails with ENOSYS, as in sandboxes
//                       that do not know it (gVisor) and before Linux 4.5
//
// A seccomp filter does it; it is inherited by every thread and child.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define THIS_ARCHITECTURE AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define THIS_ARCHITECTURE AUDIT_ARCH_AARCH64
#else
#error "unknown architecture"
#endif

// The kernel's own value; glibc's O_TMPFILE adds O_DIRECTORY to it.
#define KERNEL_O_TMPFILE_BIT 020000000

// The low 32 bits of a call's argument (both architectures are little-endian).
#define ARGUMENT_LOW_HALF(index) (offsetof(struct seccomp_data, args) + 8 * (index))

/// Makes `call` fail with `error` when its argument `argument` has any of
/// the bits of `mask`; everything else is allowed.
static int refuse(int call, int argument, unsigned int mask, int error) {
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, THIS_ARCHITECTURE, 0, 5),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned int)call, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARGUMENT_LOW_HALF(argument)),
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, mask, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (unsigned int)error),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog program = {.len = sizeof(filter) / sizeof(filter[0]), .filter = filter};
    // Without it only a privileged process may install a filter.
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program);
}

int main(int count, char **arguments) {
    if (count < 3) {
        fprintf(stderr, "usage: refusing-syscalls link-by-descriptor|unnamed-links|tmpfile|copy-file-range COMMAND [ARGUMENT...]\n");
        return 2;
    }
    const char *mode = arguments[1];
    int result;
    if (strcmp(mode, "link-by-descriptor") == 0) {
        result = refuse(SYS_linkat, 4, AT_EMPTY_PATH, ENOENT);
    } else if (strcmp(mode, "unnamed-links") == 0) {
        result = refuse(SYS_linkat, 4, AT_EMPTY_PATH | AT_SYMLINK_FOLLOW, ENOENT);
    } else if (strcmp(mode, "tmpfile") == 0) {
        result = refuse(SYS_openat, 2, KERNEL_O_TMPFILE_BIT, EOPNOTSUPP);
    } else if (strcmp(mode, "copy-file-range") == 0) {
        // Every call: its length (argument 4) is never zero.
        result = refuse(SYS_copy_file_range, 4, 0xFFFFFFFFu, ENOSYS);
    } else {
        fprintf(stderr, "refusing-syscalls: unknown mode '%s'\n", mode);
        return 2;
    }
    if (result != 0) {
        fprintf(stderr, "refusing-syscalls: cannot install the filter: %s\n", strerror(errno));
        return 2;
    }
    execvp(arguments[2], arguments + 2);
    fprintf(stderr, "refusing-syscalls: cannot run '%s': %s\n", arguments[2], strerror(errno));
    return 127;
}
