// Read-only file mappings that survive the file shrinking under them.
//
// Reading a mapped page that lies past the end of a file (because the file
// was truncated after it was mapped) raises SIGBUS, which would kill the
// process. While a mapping made here is in use, a SIGBUS inside it is
// caught: the rest of the mapping is replaced with zero pages, so the read
// goes on, and the mapping is marked as having lost its file's bytes. Its
// owner learns that when it unmaps, and reports the file instead of a digest.
#ifndef FSRING_MAPPED_FILE_H
#define FSRING_MAPPED_FILE_H

#include <stddef.h>
#include <sys/types.h>

// Maps `length` bytes of `descriptor` from `offset` (a multiple of the page
// size) read-only, and guards the mapping. Returns the address and sets
// `*slot`, or returns NULL with errno set (EBUSY when every guard slot is in
// use; the caller then reads instead).
const void *fsr_map_guarded(int descriptor, off_t offset, size_t length, int *slot);

// Unmaps a mapping made by fsr_map_guarded. Returns 1 if the file ended
// inside the mapping while it was in use (some bytes read as zeros), else 0.
int fsr_unmap_guarded(const void *address, size_t length, int slot);

// Fills in the page-table entries for [address, address + length) in one
// call (MADV_POPULATE_READ), instead of a page fault every 64 KiB while it is
// read: measured on a 1 GiB cached file, 0.055 s against 0.13 s. Errors are
// ignored: the reads then fault as usual (and a file that shrank is caught
// by the guard).
void fsr_map_prefault(const void *address, size_t length);

// Drops the page-table entries of a range already read (MADV_DONTNEED; the
// file's pages stay in the page cache), so that the final unmap, which has
// to run after everything else, has little left to do.
void fsr_map_release(const void *address, size_t length);

#endif
