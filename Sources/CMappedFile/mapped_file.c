// See fsring_mapped_file.h. The signal handler reads a fixed table of
// guarded ranges; slots are claimed and released with atomics, so the
// handler never takes a lock and never sees a half-written slot.
#define _GNU_SOURCE
#include "fsring_mapped_file.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

enum { slot_count = 64 };

// A slot is in use while `start` is non-zero. The owner writes `end` and
// clears `lost` before publishing `start`, and clears `start` before it
// unmaps, so the handler only acts on live, complete ranges. A SIGBUS in a
// range comes from the thread reading it, which holds the slot until it is
// done: the range cannot be released while the handler works on it.
static _Atomic uintptr_t slot_start[slot_count];
static _Atomic uintptr_t slot_end[slot_count];
static _Atomic int slot_lost[slot_count];

static struct sigaction previous_action;
// Read once at install: sysconf is not on the list of calls safe in a handler.
static uintptr_t page_size;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;
static int install_error;

static void on_sigbus(int signal_number, siginfo_t *info, void *context) {
    uintptr_t address = (uintptr_t)info->si_addr;
    for (int slot = 0; slot < slot_count; slot++) {
        uintptr_t start = atomic_load(&slot_start[slot]);
        if (start == 0 || address < start || address >= atomic_load(&slot_end[slot])) continue;
        // Zero pages from the faulting page to the end of the range: the
        // file has no bytes there any more. mmap is a plain system call,
        // safe in a handler. If it fails, the read faults again.
        uintptr_t page = address & ~(page_size - 1);
        size_t rest = atomic_load(&slot_end[slot]) - page;
        if (mmap((void *)page, rest, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED) {
            atomic_store(&slot_lost[slot], 1);
            return;
        }
        break;
    }
    // Not a guarded range: put back whoever handled SIGBUS before (the
    // default action, or the Swift runtime's crash reporter), and return to
    // the faulting instruction, which raises the signal again for it.
    (void)signal_number;
    (void)context;
    sigaction(SIGBUS, &previous_action, NULL);
}

static void install_handler(void) {
    page_size = (uintptr_t)sysconf(_SC_PAGESIZE);
    struct sigaction action = {0};
    action.sa_sigaction = on_sigbus;
    action.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGBUS, &action, &previous_action) != 0) install_error = errno;
}

const void *fsr_map_guarded(int descriptor, off_t offset, size_t length, int *slot) {
    pthread_once(&install_once, install_handler);
    if (install_error != 0) {
        errno = install_error;
        return NULL;
    }
    if (length == 0) {
        errno = EINVAL;
        return NULL;
    }
    for (int candidate = 0; candidate < slot_count; candidate++) {
        uintptr_t free_marker = 0;
        // Claim with a placeholder start that no address matches (1 is never
        // a mapping's address, and end stays below it until published).
        if (!atomic_compare_exchange_strong(&slot_start[candidate], &free_marker, 1)) continue;
        atomic_store(&slot_end[candidate], 0);
        void *address = mmap(NULL, length, PROT_READ, MAP_SHARED, descriptor, offset);
        if (address == MAP_FAILED) {
            int saved = errno;
            atomic_store(&slot_start[candidate], 0);
            errno = saved;
            return NULL;
        }
        atomic_store(&slot_lost[candidate], 0);
        atomic_store(&slot_end[candidate], (uintptr_t)address + length);
        atomic_store(&slot_start[candidate], (uintptr_t)address);
        *slot = candidate;
        return address;
    }
    errno = EBUSY;
    return NULL;
}

int fsr_unmap_guarded(const void *address, size_t length, int slot) {
    atomic_store(&slot_end[slot], 0);
    int lost = atomic_load(&slot_lost[slot]);
    atomic_store(&slot_start[slot], 0);
    munmap((void *)address, length);
    return lost;
}

// madvise wants a page-aligned start: round down, and lengthen to match.
static void advise_pages(const void *address, size_t length, int advice) {
    uintptr_t start = (uintptr_t)address & ~(page_size - 1);  // set when the first mapping was made
    (void)madvise((void *)start, length + ((uintptr_t)address - start), advice);
}

void fsr_map_prefault(const void *address, size_t length) {
    // One read per 64 KiB: each fault maps its whole fault-around window
    // (64 KiB by default) from the page cache. A SIGBUS here is the
    // guard's, as for any read of the mapping.
    const volatile uint8_t *bytes = address;
    for (size_t offset = 0; offset < length; offset += 64 * 1024) (void)bytes[offset];
}

void fsr_map_release(const void *address, size_t length) { advise_pages(address, length, MADV_DONTNEED); }
