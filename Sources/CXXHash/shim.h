// xxHash (Debian's libxxhash-dev): XXH3 with 128-bit output, as xxh128sum prints it.
#ifndef FSRING_CXXHASH_SHIM_H
#define FSRING_CXXHASH_SHIM_H
#include <xxhash.h>
#endif
