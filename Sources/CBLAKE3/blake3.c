// BLAKE3: the compression function, the chunk and tree logic, and the
// choice of SIMD kernel. Written from the BLAKE3 specification.
#include "fsring_blake3.h"
#include "blake3_internal.h"

#include <stdlib.h>
#if __has_include(<sys/platform/x86.h>)
#include <sys/platform/x86.h>
#endif

void fsr_blake3_hash_subtree(const uint8_t *input, size_t length, uint64_t chunk_counter, uint8_t out_cv[32]);

static inline uint32_t rotr32(uint32_t word, int count) { return (word >> count) | (word << (32 - count)); }

static inline void g(uint32_t *state, int a, int b, int c, int d, uint32_t x, uint32_t y) {
    state[a] = state[a] + state[b] + x;
    state[d] = rotr32(state[d] ^ state[a], 16);
    state[c] = state[c] + state[d];
    state[b] = rotr32(state[b] ^ state[c], 12);
    state[a] = state[a] + state[b] + y;
    state[d] = rotr32(state[d] ^ state[a], 8);
    state[c] = state[c] + state[d];
    state[b] = rotr32(state[b] ^ state[c], 7);
}

// Set when the chosen kernel is SSE4.1 or wider: single blocks then use the
// row-parallel compression too.
static int use_row_compress = 0;

static void compress_scalar(const uint32_t cv[8], const uint8_t block[BLOCK_LEN], uint8_t block_len,
                            uint64_t counter, uint8_t flags, uint32_t out[16]);

void fsr_blake3_compress(const uint32_t cv[8], const uint8_t block[BLOCK_LEN], uint8_t block_len,
                         uint64_t counter, uint8_t flags, uint32_t out[16]) {
    if (__atomic_load_n(&use_row_compress, __ATOMIC_RELAXED)) {
        fsr_blake3_compress_rows(cv, block, block_len, counter, flags, out);
    } else {
        compress_scalar(cv, block, block_len, counter, flags, out);
    }
}

static void compress_scalar(const uint32_t cv[8], const uint8_t block[BLOCK_LEN], uint8_t block_len,
                            uint64_t counter, uint8_t flags, uint32_t out[16]) {
    uint32_t m[16];
    for (int i = 0; i < 16; i++) m[i] = load32(block + 4 * i);
    uint32_t s[16] = {
        cv[0], cv[1], cv[2], cv[3], cv[4], cv[5], cv[6], cv[7],
        BLAKE3_IV[0], BLAKE3_IV[1], BLAKE3_IV[2], BLAKE3_IV[3],
        (uint32_t)counter, (uint32_t)(counter >> 32), block_len, flags,
    };
    for (int r = 0; r < 7; r++) {
        const uint8_t *w = BLAKE3_SCHEDULE[r];
        g(s, 0, 4, 8, 12, m[w[0]], m[w[1]]);
        g(s, 1, 5, 9, 13, m[w[2]], m[w[3]]);
        g(s, 2, 6, 10, 14, m[w[4]], m[w[5]]);
        g(s, 3, 7, 11, 15, m[w[6]], m[w[7]]);
        g(s, 0, 5, 10, 15, m[w[8]], m[w[9]]);
        g(s, 1, 6, 11, 12, m[w[10]], m[w[11]]);
        g(s, 2, 7, 8, 13, m[w[12]], m[w[13]]);
        g(s, 3, 4, 9, 14, m[w[14]], m[w[15]]);
    }
    for (int i = 0; i < 8; i++) {
        out[i] = s[i] ^ s[i + 8];
        out[i + 8] = s[i + 8] ^ cv[i];
    }
}

void fsr_blake3_hash_chunks_portable(const uint8_t *const *inputs, const uint64_t *counters, size_t count,
                                     uint64_t counter, const uint32_t key[8], uint8_t flags, uint8_t *out) {
    for (size_t i = 0; i < count; i++) {
        uint64_t chunk_counter = counters ? counters[i] : counter + i;
        uint32_t cv[8];
        memcpy(cv, key, 32);
        for (int block = 0; block < 16; block++) {
            uint8_t block_flags = flags | (block == 0 ? CHUNK_START : 0) | (block == 15 ? CHUNK_END : 0);
            uint32_t full[16];
            fsr_blake3_compress(cv, inputs[i] + block * BLOCK_LEN, BLOCK_LEN, chunk_counter, block_flags, full);
            memcpy(cv, full, 32);
        }
        for (int w = 0; w < 8; w++) store32(out + 32 * i + 4 * w, cv[w]);
    }
}

// MARK: Kernel choice

static void hash_parents_portable(const uint8_t *const *inputs, size_t count, const uint32_t key[8], uint8_t flags,
                                  uint8_t *out);

typedef struct {
    fsr_hash_chunks_fn hash;
    fsr_hash_parents_fn parents;
    fsr_hash_tails_fn tails;  // NULL for the portable kernel: one chunk at a time
    size_t width;
    const char *name;
} kernel_info;

static const kernel_info KERNELS[4] = {
    {fsr_blake3_hash_chunks_portable, hash_parents_portable, NULL, 1, "portable"},
    {fsr_blake3_hash_chunks_sse41, fsr_blake3_hash_parents_sse41, fsr_blake3_hash_tails_sse41, 4, "sse4.1"},
    {fsr_blake3_hash_chunks_avx2, fsr_blake3_hash_parents_avx2, fsr_blake3_hash_tails_avx2, 8, "avx2"},
    {fsr_blake3_hash_chunks_avx512, fsr_blake3_hash_parents_avx512, fsr_blake3_hash_tails_avx512, 16, "avx512"},
};

static void hash_parents_portable(const uint8_t *const *inputs, size_t count, const uint32_t key[8], uint8_t flags,
                                  uint8_t *out) {
    for (size_t i = 0; i < count; i++) {
        uint32_t full[16];
        fsr_blake3_compress(key, inputs[i], BLOCK_LEN, 0, flags | PARENT, full);
        for (int w = 0; w < 8; w++) store32(out + 32 * i + 4 * w, full[w]);
    }
}

// One pointer, so a hash in progress always sees a kernel and its width together.
static const kernel_info *chosen_kernel = 0;

// glibc has already probed the CPU (and whether the kernel saves the wide
// registers) before main: its answers cost nothing. __builtin_cpu_supports
// would link compiler-rt's own probe, a constructor that runs `cpuid` again
// at every start (each a trap to the hypervisor on a virtual machine: about
// 1.4% of fsring's start-up).
#if __has_include(<sys/platform/x86.h>)
#define FSR_CPU_HAS(feature, builtin_name) CPU_FEATURE_ACTIVE(feature)
#else
#define FSR_CPU_HAS(feature, builtin_name) (__builtin_cpu_init(), __builtin_cpu_supports(builtin_name))
#endif

static int cpu_has(int level) {
    switch (level) {
    case 0: return 1;
    case 1: return FSR_CPU_HAS(SSE4_1, "sse4.1");
    case 2: return FSR_CPU_HAS(AVX2, "avx2");
    case 3: return FSR_CPU_HAS(AVX512F, "avx512f") && FSR_CPU_HAS(AVX512VL, "avx512vl");
    default: return 0;
    }
}

int fsr_blake3_force_implementation(int level) {
    if (level < 0 || level > 3 || !cpu_has(level)) return -1;
    __atomic_store_n(&use_row_compress, level >= 1, __ATOMIC_RELAXED);
    __atomic_store_n(&chosen_kernel, &KERNELS[level], __ATOMIC_RELEASE);
    return 0;
}

static const kernel_info *kernel(void) {
    const kernel_info *chosen = __atomic_load_n(&chosen_kernel, __ATOMIC_ACQUIRE);
    if (chosen) return chosen;
    for (int level = 3; level >= 0; level--) {
        if (fsr_blake3_force_implementation(level) == 0) break;
    }
    return __atomic_load_n(&chosen_kernel, __ATOMIC_ACQUIRE);
}

const char *fsr_blake3_implementation(void) { return kernel()->name; }

/// Hashes `count` whole chunks: as many as possible with the chosen kernel,
/// the rest with each narrower kernel the CPU has, the last few portably
/// (most files are a few chunks long, so the remainders matter).
static void hash_chunks_counted(const uint8_t *const *inputs, const uint64_t *counters, size_t count,
                                uint64_t counter, const uint32_t key[8], uint8_t flags, uint8_t *out) {
    const kernel_info *info = kernel();
    size_t done = 0;
    for (const kernel_info *level = info; level > KERNELS; level--) {
        size_t wide = (count - done) - (count - done) % level->width;
        if (wide > 0) {
            level->hash(inputs + done, counters ? counters + done : NULL, wide, counter + done, key, flags,
                        out + done * 32);
        }
        done += wide;
    }
    if (done < count) {
        fsr_blake3_hash_chunks_portable(inputs + done, counters ? counters + done : NULL, count - done,
                                        counter + done, key, flags, out + done * 32);
    }
}

static void hash_chunks(const uint8_t *const *inputs, size_t count, uint64_t counter, const uint32_t key[8],
                        uint8_t flags, uint8_t *out) {
    hash_chunks_counted(inputs, NULL, count, counter, key, flags, out);
}

/// Compresses `count` parents the same way: widest kernel first.
static void hash_parents(const uint8_t *const *inputs, size_t count, const uint32_t key[8], uint8_t flags,
                         uint8_t *out) {
    const kernel_info *info = kernel();
    size_t done = 0;
    for (const kernel_info *level = info; level > KERNELS; level--) {
        size_t wide = (count - done) - (count - done) % level->width;
        if (wide > 0) level->parents(inputs + done, wide, key, flags, out + done * 32);
        done += wide;
    }
    if (done < count) hash_parents_portable(inputs + done, count - done, key, flags, out + done * 32);
}

// MARK: Chunks

static void chunk_init(fsr_blake3_chunk_state *chunk, const uint32_t key[8], uint64_t counter) {
    memcpy(chunk->cv, key, 32);
    chunk->chunk_counter = counter;
    chunk->buffer_len = 0;
    chunk->blocks_compressed = 0;
    memset(chunk->buffer, 0, BLOCK_LEN);
}

static size_t chunk_len(const fsr_blake3_chunk_state *chunk) {
    return (size_t)chunk->blocks_compressed * BLOCK_LEN + chunk->buffer_len;
}

static uint8_t chunk_start_flag(const fsr_blake3_chunk_state *chunk) {
    return chunk->blocks_compressed == 0 ? CHUNK_START : 0;
}

static void chunk_update(fsr_blake3_chunk_state *chunk, uint8_t flags, const uint8_t *input, size_t length) {
    while (length > 0) {
        // A full buffer is compressed only when more input follows: the last
        // block of a chunk must keep its CHUNK_END flag for the output.
        if (chunk->buffer_len == BLOCK_LEN) {
            uint32_t full[16];
            fsr_blake3_compress(chunk->cv, chunk->buffer, BLOCK_LEN, chunk->chunk_counter,
                                flags | chunk_start_flag(chunk), full);
            memcpy(chunk->cv, full, 32);
            chunk->blocks_compressed++;
            chunk->buffer_len = 0;
            memset(chunk->buffer, 0, BLOCK_LEN);
        }
        size_t take = BLOCK_LEN - chunk->buffer_len;
        if (take > length) take = length;
        memcpy(chunk->buffer + chunk->buffer_len, input, take);
        chunk->buffer_len += (uint8_t)take;
        input += take;
        length -= take;
    }
}

/// The inputs of a node's final compression, kept so the root can be
/// compressed again with ROOT (and any counter, for extended output).
typedef struct {
    uint32_t cv[8];
    uint8_t block[BLOCK_LEN];
    uint8_t block_len;
    uint64_t counter;
    uint8_t flags;
} node_output;

static node_output chunk_output(const fsr_blake3_chunk_state *chunk, uint8_t flags) {
    node_output output;
    memcpy(output.cv, chunk->cv, 32);
    memcpy(output.block, chunk->buffer, BLOCK_LEN);
    output.block_len = chunk->buffer_len;
    output.counter = chunk->chunk_counter;
    output.flags = flags | chunk_start_flag(chunk) | CHUNK_END;
    return output;
}

static node_output parent_output(const uint8_t left_and_right[64], const uint32_t key[8], uint8_t flags) {
    node_output output;
    memcpy(output.cv, key, 32);
    memcpy(output.block, left_and_right, BLOCK_LEN);
    output.block_len = BLOCK_LEN;
    output.counter = 0;
    output.flags = flags | PARENT;
    return output;
}

static void output_cv(const node_output *output, uint8_t out[32]) {
    uint32_t full[16];
    fsr_blake3_compress(output->cv, output->block, output->block_len, output->counter, output->flags, full);
    for (int w = 0; w < 8; w++) store32(out + 4 * w, full[w]);
}

static void output_root(const node_output *output, uint8_t *out, size_t out_len) {
    uint64_t counter = 0;
    while (out_len > 0) {
        uint32_t full[16];
        fsr_blake3_compress(output->cv, output->block, output->block_len, counter, output->flags | ROOT, full);
        uint8_t bytes[64];
        for (int w = 0; w < 16; w++) store32(bytes + 4 * w, full[w]);
        size_t take = out_len < 64 ? out_len : 64;
        memcpy(out, bytes, take);
        out += take;
        out_len -= take;
        counter++;
    }
}

// MARK: The tree

void fsr_blake3_hasher_init(fsr_blake3_hasher *hasher) {
    kernel();  // choose the kernels (and the single-block compression) once
    memcpy(hasher->key, BLAKE3_IV, 32);
    hasher->flags = 0;
    chunk_init(&hasher->chunk, hasher->key, 0);
    hasher->cv_stack_len = 0;
}

/// Merges finished subtrees, lazily: a stack entry is merged only once the
/// tree is known to continue past it, so the last node can still be the root.
/// After `total_chunks` chunks, complete subtrees number popcount(total_chunks).
static void merge_cv_stack(fsr_blake3_hasher *hasher, uint64_t total_chunks) {
    size_t post_merge_len = (size_t)__builtin_popcountll(total_chunks);
    while (hasher->cv_stack_len > post_merge_len) {
        uint8_t *left = hasher->cv_stack + (hasher->cv_stack_len - 2) * 32;
        node_output parent = parent_output(left, hasher->key, hasher->flags);
        output_cv(&parent, left);
        hasher->cv_stack_len--;
    }
}

static void push_cv(fsr_blake3_hasher *hasher, const uint8_t cv[32], uint64_t chunk_counter) {
    merge_cv_stack(hasher, chunk_counter);
    memcpy(hasher->cv_stack + hasher->cv_stack_len * 32, cv, 32);
    hasher->cv_stack_len++;
}

void fsr_blake3_hasher_update(fsr_blake3_hasher *hasher, const void *input_bytes, size_t length) {
    const uint8_t *input = input_bytes;
    // Finish a partly filled chunk first.
    if (chunk_len(&hasher->chunk) > 0) {
        size_t take = CHUNK_LEN - chunk_len(&hasher->chunk);
        if (take > length) take = length;
        chunk_update(&hasher->chunk, hasher->flags, input, take);
        input += take;
        length -= take;
        if (length == 0) return;
        uint8_t cv[32];
        node_output output = chunk_output(&hasher->chunk, hasher->flags);
        output_cv(&output, cv);
        push_cv(hasher, cv, hasher->chunk.chunk_counter);
        chunk_init(&hasher->chunk, hasher->key, hasher->chunk.chunk_counter + 1);
    }
    // Whole chunks, many at a time, keeping at least one byte back: the last
    // chunk may be the root and is finished in finalize. They go in as the
    // largest aligned power-of-two subtrees that fit, so that parents are
    // compressed side by side too (the CV stack merges subtrees lazily).
    while (length > CHUNK_LEN) {
        uint64_t available = (length - 1) / CHUNK_LEN;
        uint64_t counter = hasher->chunk.chunk_counter;
        uint64_t size = 1;
        while (size * 2 <= available && size * 2 <= 1024 && counter % (size * 2) == 0) size *= 2;
        uint8_t cv[32];
        if (hasher->flags == 0) {
            fsr_blake3_hash_subtree(input, size * CHUNK_LEN, counter, cv);
        } else {
            // Keyed modes are not used by fsring: one chunk at a time.
            size = 1;
            const uint8_t *inputs[1] = {input};
            hash_chunks(inputs, 1, counter, hasher->key, hasher->flags, cv);
        }
        push_cv(hasher, cv, counter);
        hasher->chunk.chunk_counter += size;
        input += size * CHUNK_LEN;
        length -= size * CHUNK_LEN;
    }
    chunk_update(&hasher->chunk, hasher->flags, input, length);
}

void fsr_blake3_hasher_finalize(const fsr_blake3_hasher *original, uint8_t *out, size_t out_len) {
    fsr_blake3_hasher copy = *original;
    fsr_blake3_hasher *hasher = &copy;
    // With a last chunk still open, every stacked subtree lies to its left:
    // merge the pairs the lazy merging left, none of which is the root.
    if (chunk_len(&hasher->chunk) > 0) merge_cv_stack(hasher, hasher->chunk.chunk_counter);
    node_output output = chunk_output(&hasher->chunk, hasher->flags);
    size_t remaining = hasher->cv_stack_len;
    if (chunk_len(&hasher->chunk) == 0 && remaining > 0) {
        // Input ended exactly at a subtree boundary (after pushed subtrees):
        // the top of the stack is the last node.
        remaining--;
        uint8_t right[32];
        memcpy(right, hasher->cv_stack + remaining * 32, 32);
        if (remaining == 0) {
            // A single pushed subtree cannot be a root: subtrees are never
            // the whole input (see fsr_blake3_hasher_push_subtree).
            memset(out, 0, out_len);
            return;
        }
        uint8_t block[64];
        memcpy(block, hasher->cv_stack + (remaining - 1) * 32, 32);
        memcpy(block + 32, right, 32);
        output = parent_output(block, hasher->key, hasher->flags);
        remaining--;
    }
    while (remaining > 0) {
        uint8_t block[64];
        memcpy(block, hasher->cv_stack + (remaining - 1) * 32, 32);
        output_cv(&output, block + 32);
        output = parent_output(block, hasher->key, hasher->flags);
        remaining--;
    }
    output_root(&output, out, out_len);
}

// Chunks of a subtree hashed in one batch: the levels of parents narrower
// than the widest kernel cost the same per batch however large it is, so a
// larger batch spends less on them. 1 MiB in cache, one core, AVX-512, four
// paired rounds: 3.98-4.38 GB/s against 3.85-4.07 with 64 chunks.
enum { SUBTREE_BATCH = 512 };

/// A power-of-two subtree of at most SUBTREE_BATCH chunks: its chunks side
/// by side, then its parents level by level, each level side by side. Not
/// inlined, so that its arrays are on the stack once, not in every frame of
/// the recursion above it.
__attribute__((noinline)) static void hash_batch_subtree(const uint8_t *input, size_t chunks, uint64_t chunk_counter,
                                                         uint8_t out_cv[32]) {
    const uint8_t *inputs[SUBTREE_BATCH];
    uint8_t cvs[SUBTREE_BATCH * 32];
    for (size_t i = 0; i < chunks; i++) inputs[i] = input + i * CHUNK_LEN;
    hash_chunks(inputs, chunks, chunk_counter, BLAKE3_IV, 0, cvs);
    for (size_t count = chunks; count > 1; count /= 2) {
        uint8_t parents[SUBTREE_BATCH / 2 * 32];
        for (size_t i = 0; i < count / 2; i++) inputs[i] = cvs + 64 * i;
        hash_parents(inputs, count / 2, BLAKE3_IV, 0, parents);
        memcpy(cvs, parents, count / 2 * 32);
    }
    memcpy(out_cv, cvs, 32);
}

void fsr_blake3_hash_subtree(const uint8_t *input, size_t length, uint64_t chunk_counter, uint8_t out_cv[32]) {
    size_t chunks = length / CHUNK_LEN;
    if (chunks <= SUBTREE_BATCH) {
        hash_batch_subtree(input, chunks, chunk_counter, out_cv);
        return;
    }
    // Halves of a power-of-two subtree are power-of-two subtrees.
    uint8_t halves[64];
    size_t half = length / 2;
    fsr_blake3_hash_subtree(input, half, chunk_counter, halves);
    fsr_blake3_hash_subtree(input + half, half, chunk_counter + chunks / 2, halves + 32);
    node_output parent = parent_output(halves, BLAKE3_IV, 0);
    output_cv(&parent, out_cv);
}

void fsr_blake3_hasher_push_subtree(fsr_blake3_hasher *hasher, const uint8_t cv[32], uint64_t chunks) {
    push_cv(hasher, cv, hasher->chunk.chunk_counter);
    hasher->chunk.chunk_counter += chunks;
    chunk_init(&hasher->chunk, hasher->key, hasher->chunk.chunk_counter);
}

/// The last chunks of separate inputs (see fsr_hash_tails_fn): widest kernel
/// first, then one at a time. A group of lanes runs as many blocks as its
/// longest chunk, so callers give the chunks ordered by block count.
static void hash_tails(const uint8_t *const *inputs, const uint8_t *const *last_blocks, const uint8_t *blocks,
                       const uint8_t *last_lengths, const uint64_t *counters, const uint8_t *end_flags, size_t count,
                       uint8_t *out) {
    const kernel_info *info = kernel();
    size_t done = 0;
    for (const kernel_info *level = info; level > KERNELS; level--) {
        size_t wide = (count - done) - (count - done) % level->width;
        if (wide > 0) {
            level->tails(inputs + done, last_blocks + done, blocks + done, last_lengths + done, counters + done,
                         end_flags + done, wide, BLAKE3_IV, 0, out + done * 32);
        }
        done += wide;
    }
    for (; done < count; done++) {
        fsr_blake3_chunk_state chunk;
        chunk_init(&chunk, BLAKE3_IV, counters[done]);
        chunk_update(&chunk, 0, inputs[done], (size_t)(blocks[done] - 1) * BLOCK_LEN + last_lengths[done]);
        node_output output = chunk_output(&chunk, 0);
        if (end_flags[done] & ROOT) {
            output_root(&output, out + 32 * done, 32);
        } else {
            output_cv(&output, out + 32 * done);
        }
    }
}

/// The roots of several inputs' trees from their chunks' chaining values:
/// input i has counts[i] values (0 for an input of one chunk, whose root is
/// already known), stored from cvs + 32 * starts[i]. Level by level, each
/// input's values are paired from the left (the odd last one moves up
/// unchanged), which builds exactly BLAKE3's left-complete tree; every
/// input's parents of a level go through the wide kernel together, and the
/// last pair of every input at the end, with the ROOT flag. `spare` has room
/// for as many values as `cvs`, `pairs` for half as many pointers; counts
/// are used up.
static void hash_roots(uint8_t *cvs, uint8_t *spare, const uint8_t **pairs, const size_t *starts, size_t *counts,
                       size_t count, uint8_t *outs) {
    while (1) {
        size_t parents = 0;
        for (size_t i = 0; i < count; i++) {
            if (counts[i] < 3) continue;
            for (size_t k = 0; k < counts[i] / 2; k++) pairs[parents++] = cvs + 32 * (starts[i] + 2 * k);
        }
        if (parents == 0) break;
        hash_parents(pairs, parents, BLAKE3_IV, 0, spare);
        // Each input's parents, then its odd value, back in its own place.
        size_t next = 0;
        for (size_t i = 0; i < count; i++) {
            size_t n = counts[i];
            if (n < 3) continue;
            uint8_t *own = cvs + 32 * starts[i];
            memcpy(own, spare + 32 * next, 32 * (n / 2));
            if (n % 2) memcpy(own + 32 * (n / 2), own + 32 * (n - 1), 32);
            next += n / 2;
            counts[i] = (n + 1) / 2;
        }
    }
    size_t roots = 0;
    for (size_t i = 0; i < count; i++) {
        if (counts[i] == 2) pairs[roots++] = cvs + 32 * starts[i];
    }
    hash_parents(pairs, roots, BLAKE3_IV, ROOT, spare);
    roots = 0;
    for (size_t i = 0; i < count; i++) {
        if (counts[i] == 2) memcpy(outs + 32 * i, spare + 32 * roots++, 32);
    }
}

/// Blocks in the last chunk of an input of `length` bytes (1 for an empty input).
static uint8_t tail_blocks(size_t length) {
    size_t tail = length - (length > 0 ? (length - 1) / CHUNK_LEN : 0) * CHUNK_LEN;
    return (uint8_t)(tail == 0 ? 1 : (tail + BLOCK_LEN - 1) / BLOCK_LEN);
}

void fsr_blake3_hash_inputs(const uint8_t *const *inputs, const size_t *lengths, size_t count, uint8_t *outs) {
    // Every whole chunk that is not its input's last, from all inputs, goes
    // through the wide kernel together; then every input's last chunk
    // (the root, for an input of one chunk), one per lane; then the parent
    // nodes of all inputs, level by level, many per kernel call.
    size_t total = 0;
    for (size_t i = 0; i < count; i++) total += lengths[i] > 0 ? (lengths[i] - 1) / CHUNK_LEN : 0;
    // One allocation: per input a zero-padded copy of its last block (the
    // rest of its last chunk is read in place); whole chunks' pointers, then
    // per input its last chunk's pointer and its last block's; counters
    // likewise; chaining values: each input's whole chunks' followed by its
    // last chunk's, room for as many parents, and a parent's pointer per two
    // values; per input where its values start, how many there are, its
    // last chunk's place among the last chunks, block count, last block
    // length and end flags.
    size_t values = total + count;
    size_t bytes = count * (BLOCK_LEN + sizeof(const uint8_t *)) +
                   values * (2 * sizeof(const uint8_t *) + sizeof(uint64_t) + 2 * 32) +
                   count * (3 * sizeof(size_t) + 3);
    uint8_t *memory = malloc(bytes);
    if (!memory) {
        // Out of memory: one input at a time, with no extra memory.
        for (size_t i = 0; i < count; i++) {
            fsr_blake3_hasher hasher;
            fsr_blake3_hasher_init(&hasher);
            fsr_blake3_hasher_update(&hasher, inputs[i], lengths[i]);
            fsr_blake3_hasher_finalize(&hasher, outs + 32 * i, 32);
        }
        return;
    }
    uint8_t *padded = memory;  // first, so that each copy is 64-byte aligned within it
    const uint8_t **chunks = (const uint8_t **)(padded + count * BLOCK_LEN);
    const uint8_t **tails = chunks + total;
    const uint8_t **last_blocks = tails + count;
    const uint8_t **pairs = last_blocks + count;  // values pointers: at least values / 2
    uint64_t *counters = (uint64_t *)(pairs + values);
    uint64_t *tail_counters = counters + total;
    size_t *starts = (size_t *)(tail_counters + count);
    size_t *counts = starts + count;
    size_t *slots = counts + count;
    uint8_t *cvs = (uint8_t *)(slots + count);
    uint8_t *spare = cvs + values * 32;
    uint8_t *blocks = spare + values * 32;
    uint8_t *last_lengths = blocks + count;
    uint8_t *end_flags = last_lengths + count;

    // Each input's last chunk takes its place among the last chunks by block
    // count (a counting sort), so that chunks of like length share a group
    // of lanes: a group runs as many blocks as its longest chunk, and mixing
    // 1-block and 16-block chunks wasted most lanes (callgrind, 3,000 of the
    // Linux tree's files: the tail kernel's instructions -36%).
    size_t places[CHUNK_LEN / BLOCK_LEN + 2] = {0};
    for (size_t i = 0; i < count; i++) places[tail_blocks(lengths[i]) + 1]++;
    for (size_t b = 1; b < CHUNK_LEN / BLOCK_LEN + 2; b++) places[b] += places[b - 1];
    size_t next = 0;
    for (size_t i = 0; i < count; i++) {
        size_t whole = lengths[i] > 0 ? (lengths[i] - 1) / CHUNK_LEN : 0;
        starts[i] = next + i;  // its whole chunks' values, then its last chunk's
        counts[i] = whole == 0 ? 0 : whole + 1;
        for (size_t chunk = 0; chunk < whole; chunk++) {
            chunks[next] = inputs[i] + chunk * CHUNK_LEN;
            counters[next] = chunk;
            next++;
        }
        size_t tail = lengths[i] - whole * CHUNK_LEN;  // 1 to 1024, or 0 for an empty input
        uint8_t tail_block_count = tail_blocks(lengths[i]);
        size_t t = slots[i] = places[tail_block_count]++;
        tails[t] = tail > 0 ? inputs[i] + whole * CHUNK_LEN : padded + t * BLOCK_LEN;  // an empty input may be NULL
        blocks[t] = tail_block_count;
        last_lengths[t] = (uint8_t)(tail - (size_t)(blocks[t] - 1) * BLOCK_LEN);
        // Only a partial last block needs a padded copy (measured: copying
        // whole last chunks was 1.2% of hashing the Linux tree).
        const uint8_t *last = tails[t] + (size_t)(blocks[t] - 1) * BLOCK_LEN;
        if (last_lengths[t] == BLOCK_LEN) {
            last_blocks[t] = last;
        } else {
            uint8_t *copy = padded + t * BLOCK_LEN;
            if (last_lengths[t] > 0) memcpy(copy, last, last_lengths[t]);
            memset(copy + last_lengths[t], 0, BLOCK_LEN - last_lengths[t]);
            last_blocks[t] = copy;
        }
        tail_counters[t] = whole;
        end_flags[t] = CHUNK_END | (whole == 0 ? ROOT : 0);
    }
    // Whole chunks' values are computed densely, then spread out so that
    // each input's last chunk's value can follow its others.
    hash_chunks_counted(chunks, counters, total, 0, BLAKE3_IV, 0, spare);
    uint8_t *tail_cvs = spare + total * 32;
    hash_tails(tails, last_blocks, blocks, last_lengths, tail_counters, end_flags, count, tail_cvs);
    next = 0;
    for (size_t i = 0; i < count; i++) {
        if (counts[i] == 0) {
            memcpy(outs + 32 * i, tail_cvs + 32 * slots[i], 32);  // its last chunk was the root
            continue;
        }
        memcpy(cvs + 32 * starts[i], spare + 32 * next, 32 * (counts[i] - 1));
        memcpy(cvs + 32 * (starts[i] + counts[i] - 1), tail_cvs + 32 * slots[i], 32);
        next += counts[i] - 1;
    }
    hash_roots(cvs, spare, pairs, starts, counts, count, outs);
    free(memory);
}
