// Standard input, output and error that were closed when the process began.
//
// A descriptor number is reused by the next open: with standard output
// closed, the first file or ring or epoll descriptor the process made would
// be number 1, and everything printed would go into it (into a file being
// copied, say). Before anything else runs, a constructor opens /dev/null on
// each of 0, 1 and 2 that is closed, and remembers which were, so that
// output meant for a closed stream can be reported as a write error, as
// coreutils reports it, instead of landing somewhere else.
#ifndef FSRING_STANDARD_STREAMS_H
#define FSRING_STANDARD_STREAMS_H

// Bit N set: descriptor N (0, 1 or 2) was closed at start.
int fsr_standard_streams_closed_at_start(void);

#endif
