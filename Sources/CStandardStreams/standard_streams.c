#include "fsring_standard_streams.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

static int closed_at_start;

// Priority 101, the first one available to programs: before the Swift
// runtime and Dispatch start and open descriptors of their own.
__attribute__((constructor(101))) static void reserve_standard_streams(void) {
    for (int descriptor = 0; descriptor <= 2; descriptor++) {
        if (fcntl(descriptor, F_GETFD) != -1 || errno != EBADF) continue;
        closed_at_start |= 1 << descriptor;
        // The lowest free number is this one, the ones below being open.
        int opened = open("/dev/null", descriptor == 0 ? O_RDONLY : O_WRONLY);
        if (opened != -1 && opened != descriptor) {
            dup2(opened, descriptor);
            close(opened);
        }
    }
}

int fsr_standard_streams_closed_at_start(void) { return closed_at_start; }
