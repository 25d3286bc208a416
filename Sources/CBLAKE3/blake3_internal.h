// Shared between the portable code and the SIMD kernels.
#ifndef FSRING_BLAKE3_INTERNAL_H
#define FSRING_BLAKE3_INTERNAL_H

#include <stdint.h>
#include <string.h>

enum {
    CHUNK_START = 1 << 0,
    CHUNK_END = 1 << 1,
    PARENT = 1 << 2,
    ROOT = 1 << 3,
};

#define BLOCK_LEN 64
#define CHUNK_LEN 1024

static const uint32_t BLAKE3_IV[8] = {
    0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19,
};

// Message word order for each of the 7 rounds: the permutation
// [2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8] applied repeatedly.
static const uint8_t BLAKE3_SCHEDULE[7][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8},
    {3, 4, 10, 12, 13, 2, 7, 14, 6, 5, 9, 0, 11, 15, 8, 1},
    {10, 7, 12, 9, 14, 3, 13, 15, 4, 0, 11, 2, 5, 8, 1, 6},
    {12, 13, 9, 11, 15, 10, 14, 8, 7, 2, 5, 3, 0, 1, 6, 4},
    {9, 14, 11, 5, 8, 12, 15, 1, 13, 3, 0, 10, 2, 6, 4, 7},
    {11, 15, 5, 0, 1, 9, 8, 6, 14, 10, 2, 12, 3, 4, 7, 13},
};

static inline uint32_t load32(const void *source) {
    uint32_t value;
    memcpy(&value, source, 4);  // little-endian hosts only (x86_64, arm64)
    return value;
}

static inline void store32(void *destination, uint32_t value) { memcpy(destination, &value, 4); }

/// Hashes `count` whole chunks, chunk i at inputs[i] with counter
/// counters[i] (or counter + i when counters is NULL: the chunks of one
/// input), into `count` chaining values of 32 bytes at out.
typedef void (*fsr_hash_chunks_fn)(const uint8_t *const *inputs, const uint64_t *counters, size_t count,
                                   uint64_t counter, const uint32_t key[8], uint8_t flags, uint8_t *out);

void fsr_blake3_hash_chunks_portable(const uint8_t *const *inputs, const uint64_t *counters, size_t count,
                                     uint64_t counter, const uint32_t key[8], uint8_t flags, uint8_t *out);
void fsr_blake3_hash_chunks_sse41(const uint8_t *const *inputs, const uint64_t *counters, size_t count,
                                  uint64_t counter, const uint32_t key[8], uint8_t flags, uint8_t *out);
void fsr_blake3_hash_chunks_avx2(const uint8_t *const *inputs, const uint64_t *counters, size_t count,
                                 uint64_t counter, const uint32_t key[8], uint8_t flags, uint8_t *out);
void fsr_blake3_hash_chunks_avx512(const uint8_t *const *inputs, const uint64_t *counters, size_t count,
                                   uint64_t counter, const uint32_t key[8], uint8_t flags, uint8_t *out);

/// Hashes the last chunks of `count` separate inputs, one per lane: chunk i
/// has blocks[i] blocks, all but the last read from inputs[i], the last (of
/// last_lengths[i] bytes) as 64 bytes from last_blocks[i], zero-padded; at
/// counter counters[i], its last block flagged end_flags[i] (CHUNK_END,
/// plus ROOT when it is the whole input). Whole groups of lanes only; the
/// caller hashes the rest.
typedef void (*fsr_hash_tails_fn)(const uint8_t *const *inputs, const uint8_t *const *last_blocks,
                                  const uint8_t *blocks, const uint8_t *last_lengths,
                                  const uint64_t *counters, const uint8_t *end_flags, size_t count,
                                  const uint32_t key[8], uint8_t flags, uint8_t *out);

void fsr_blake3_hash_tails_sse41(const uint8_t *const *inputs, const uint8_t *const *last_blocks,
                                 const uint8_t *blocks, const uint8_t *last_lengths,
                                 const uint64_t *counters, const uint8_t *end_flags, size_t count,
                                 const uint32_t key[8], uint8_t flags, uint8_t *out);
void fsr_blake3_hash_tails_avx2(const uint8_t *const *inputs, const uint8_t *const *last_blocks,
                                 const uint8_t *blocks, const uint8_t *last_lengths,
                                const uint64_t *counters, const uint8_t *end_flags, size_t count,
                                const uint32_t key[8], uint8_t flags, uint8_t *out);
void fsr_blake3_hash_tails_avx512(const uint8_t *const *inputs, const uint8_t *const *last_blocks,
                                 const uint8_t *blocks, const uint8_t *last_lengths,
                                  const uint64_t *counters, const uint8_t *end_flags, size_t count,
                                  const uint32_t key[8], uint8_t flags, uint8_t *out);

/// Compresses `count` parent nodes: input i is the 64-byte pair of child
/// chaining values at inputs[i].
typedef void (*fsr_hash_parents_fn)(const uint8_t *const *inputs, size_t count, const uint32_t key[8],
                                    uint8_t flags, uint8_t *out);

void fsr_blake3_hash_parents_sse41(const uint8_t *const *inputs, size_t count, const uint32_t key[8],
                                   uint8_t flags, uint8_t *out);
void fsr_blake3_hash_parents_avx2(const uint8_t *const *inputs, size_t count, const uint32_t key[8],
                                  uint8_t flags, uint8_t *out);
void fsr_blake3_hash_parents_avx512(const uint8_t *const *inputs, size_t count, const uint32_t key[8],
                                    uint8_t flags, uint8_t *out);

void fsr_blake3_compress_rows(const uint32_t cv[8], const uint8_t block[BLOCK_LEN], uint8_t block_len,
                              uint64_t counter, uint8_t flags, uint32_t out[16]);

void fsr_blake3_compress(const uint32_t cv[8], const uint8_t block[BLOCK_LEN], uint8_t block_len,
                         uint64_t counter, uint8_t flags, uint32_t out[16]);

#endif
