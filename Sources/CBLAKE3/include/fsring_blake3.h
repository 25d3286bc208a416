// BLAKE3, as specified in "BLAKE3: one function, fast everywhere"
// (O'Connor, Aumasson, Neves, Wilcox-O'Hearn, 2020): this project's own
// implementation, with SIMD kernels for SSE4.1, AVX2 and AVX-512 chosen at
// run time and a portable fallback.
#ifndef FSRING_BLAKE3_H
#define FSRING_BLAKE3_H

#include <stddef.h>
#include <stdint.h>

#define FSR_BLAKE3_OUT_LEN 32
#define FSR_BLAKE3_CHUNK_LEN 1024
#define FSR_BLAKE3_MAX_DEPTH 54

typedef struct {
    uint32_t cv[8];
    uint64_t chunk_counter;
    uint8_t buffer[64];
    uint8_t buffer_len;
    uint8_t blocks_compressed;
} fsr_blake3_chunk_state;

typedef struct {
    uint32_t key[8];
    uint8_t flags;
    fsr_blake3_chunk_state chunk;
    uint8_t cv_stack_len;
    uint8_t cv_stack[(FSR_BLAKE3_MAX_DEPTH + 1) * FSR_BLAKE3_OUT_LEN];
} fsr_blake3_hasher;

/// Starts a hash (the default, unkeyed mode).
void fsr_blake3_hasher_init(fsr_blake3_hasher *hasher);
/// Adds input. Whole chunks are hashed several at a time with SIMD.
void fsr_blake3_hasher_update(fsr_blake3_hasher *hasher, const void *input, size_t length);
/// Writes `out_len` bytes of output (32 is the standard digest; more is the XOF).
void fsr_blake3_hasher_finalize(const fsr_blake3_hasher *hasher, uint8_t *out, size_t out_len);

/// Chaining value of a complete subtree: `length` bytes that are a power of
/// two number of chunks (at least one), starting at chunk `chunk_counter`,
/// which must be a multiple of that number. Never the root.
void fsr_blake3_hash_subtree(const uint8_t *input, size_t length, uint64_t chunk_counter, uint8_t out_cv[32]);
/// Adds a subtree's chaining value (from fsr_blake3_hash_subtree) covering
/// `chunks` chunks; the hasher must be at a subtree boundary (no buffered input).
void fsr_blake3_hasher_push_subtree(fsr_blake3_hasher *hasher, const uint8_t cv[32], uint64_t chunks);

/// The digests (32 bytes each, at outs + 32 * i) of `count` separate
/// inputs: the whole chunks of all of them, then their last chunks, are
/// hashed side by side in the SIMD kernel, which a single input of a few
/// KiB cannot fill; only parent nodes are compressed one at a time.
void fsr_blake3_hash_inputs(const uint8_t *const *inputs, const size_t *lengths, size_t count, uint8_t *outs);

/// The SIMD kernel in use: "avx512", "avx2", "sse4.1" or "portable".
const char *fsr_blake3_implementation(void);
/// Forces a kernel (for tests): 0 portable, 1 sse4.1, 2 avx2, 3 avx512.
/// Returns 0 on success, -1 when this CPU lacks it.
int fsr_blake3_force_implementation(int level);

#endif
