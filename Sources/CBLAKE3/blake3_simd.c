// Wide BLAKE3 kernels: N chunks hashed side by side, one per vector lane.
// One generic body, written with the compiler's vector extensions and
// compiled three times for SSE4.1 (4 lanes), AVX2 (8) and AVX-512 (16); the
// caller picks one at run time (fsr_blake3_force_implementation). The loops
// are unrolled fully so every message index and lane is a constant: at -O2
// without that, the kernels run at about 60% of the speed.
#include "blake3_internal.h"

#include <immintrin.h>

// How far ahead each lane's input is prefetched, in blocks (see the group
// loop below).
#define PREFETCH_BLOCKS 4

// Transposing a square of LANES vectors of LANES words, one step per bit
// of the word index: the step for bit D swaps element (i, j) with
// (i ^ D, j ^ D) wherever bit D of i and j differ, so after every step
// (in any order) element (i, j) has moved to (j, i). For rows a = r[i] and
// b = r[i + D] (bit D of i clear), word j of the new rows is taken from
// a:b (b's words numbered from LANES) at these indexes. A step for a D of
// LANES or more is skipped; its indexes are kept in range all the same.
#define STEP_LOW(j, D, LANES) (((j) & (D)) ? (LANES) + (j) - (D) : (j))
#define STEP_HIGH(j, D, LANES) (((j) & (D)) ? (LANES) + (j) : ((j) + (D)) % (2 * (LANES)))
#define INDEXES4(F, D, LANES) F(0, D, LANES), F(1, D, LANES), F(2, D, LANES), F(3, D, LANES)
#define INDEXES8(F, D, LANES) \
    INDEXES4(F, D, LANES), F(4, D, LANES), F(5, D, LANES), F(6, D, LANES), F(7, D, LANES)
#define INDEXES16(F, D, LANES)                                                                               \
    INDEXES8(F, D, LANES), F(8, D, LANES), F(9, D, LANES), F(10, D, LANES), F(11, D, LANES), F(12, D, LANES), \
        F(13, D, LANES), F(14, D, LANES), F(15, D, LANES)
#define TRANSPOSE_STEP(LANES, D, rows)                                                                    \
    if ((D) < (LANES)) {                                                                                  \
        _Pragma("clang loop unroll(full)") for (int i = 0; i < (LANES); i++) {                         \
            if (i & (D)) continue;                                                                        \
            __typeof__(rows[0]) a = rows[i], b = rows[(i + (D)) % (LANES)];                               \
            rows[i] = __builtin_shufflevector(a, b, INDEXES##LANES(STEP_LOW, D, LANES));                  \
            rows[(i + (D)) % (LANES)] = __builtin_shufflevector(a, b, INDEXES##LANES(STEP_HIGH, D, LANES)); \
        }                                                                                                 \
    }

#define DEFINE_HASH_CHUNKS(NAME, LANES, TARGET, LOAD)                                                               \
    typedef uint32_t NAME##_vector __attribute__((vector_size(LANES * 4)));                                   \
                                                                                                               \
    __attribute__((target(TARGET))) static inline NAME##_vector NAME##_rotr(NAME##_vector word, int count) {   \
        return (word >> count) | (word << (32 - count));                                                       \
    }                                                                                                          \
                                                                                                               \
    __attribute__((target(TARGET))) static inline void NAME##_round(NAME##_vector *v, const NAME##_vector *m, \
                                                                    const uint8_t *w) {                       \
        static const int lanes[8][4] = {{0, 4, 8, 12},  {1, 5, 9, 13},  {2, 6, 10, 14}, {3, 7, 11, 15},         \
                                        {0, 5, 10, 15}, {1, 6, 11, 12}, {2, 7, 8, 13},  {3, 4, 9, 14}};        \
        _Pragma("clang loop unroll(full)") for (int i = 0; i < 8; i++) {                                    \
            int a = lanes[i][0], b = lanes[i][1], c = lanes[i][2], d = lanes[i][3];                            \
            v[a] = v[a] + v[b] + m[w[2 * i]];                                                                  \
            v[d] = NAME##_rotr(v[d] ^ v[a], 16);                                                               \
            v[c] = v[c] + v[d];                                                                                \
            v[b] = NAME##_rotr(v[b] ^ v[c], 12);                                                               \
            v[a] = v[a] + v[b] + m[w[2 * i + 1]];                                                              \
            v[d] = NAME##_rotr(v[d] ^ v[a], 8);                                                                \
            v[c] = v[c] + v[d];                                                                                \
            v[b] = NAME##_rotr(v[b] ^ v[c], 7);                                                                \
        }                                                                                                      \
    }                                                                                                          \
                                                                                                               \
    /* Block `block` of every lane's input, as one vector per message word:  \
       each lane's block comes in as whole vectors of LANES words and a     \
       transpose turns them around (64 shuffles a block for AVX-512, where  \
       word-by-word inserts took 256; in cache, 4.9 -> 5.35 GB/s). */       \
    __attribute__((target(TARGET))) static inline void NAME##_load(const uint8_t *const *inputs, int block,  \
                                                                   NAME##_vector m[16]) {                     \
        _Pragma("clang loop unroll(full)") for (int part = 0; part < 16 / LANES; part++) {                  \
            NAME##_vector rows[LANES];                                                                         \
            for (int lane = 0; lane < LANES; lane++) {                                                         \
                memcpy(&rows[lane], inputs[lane] + block * BLOCK_LEN + part * LANES * 4, sizeof(rows[0]));     \
            }                                                                                                  \
            TRANSPOSE_STEP(LANES, 8, rows);                                                                    \
            TRANSPOSE_STEP(LANES, 4, rows);                                                                    \
            TRANSPOSE_STEP(LANES, 2, rows);                                                                    \
            TRANSPOSE_STEP(LANES, 1, rows);                                                                    \
            for (int word = 0; word < LANES; word++) m[part * LANES + word] = rows[word];                      \
        }                                                                                                      \
    }                                                                                                          \
                                                                                                               \
    /* The state's first 14 words for one block: chaining values, the IV,  \
       the counters (the length and flags, words 14 and 15, vary). */       \
    __attribute__((target(TARGET))) static inline void NAME##_start(                                           \
        NAME##_vector v[16], const NAME##_vector cv[8], NAME##_vector counter_low, NAME##_vector counter_high) { \
        for (int w = 0; w < 8; w++) v[w] = cv[w];                                                              \
        for (int w = 0; w < 4; w++) {                                                                          \
            for (int lane = 0; lane < LANES; lane++) v[8 + w][lane] = BLAKE3_IV[w];                            \
        }                                                                                                      \
        v[12] = counter_low;                                                                                   \
        v[13] = counter_high;                                                                                  \
    }                                                                                                          \
                                                                                                               \
    /* Each lane's chaining value, 32 bytes a lane. */                                                         \
    __attribute__((target(TARGET))) static inline void NAME##_store(const NAME##_vector cv[8], uint8_t *out) { \
        for (int lane = 0; lane < LANES; lane++) {                                                             \
            for (int w = 0; w < 8; w++) store32(out + 32 * lane + 4 * w, cv[w][lane]);                        \
        }                                                                                                      \
    }                                                                                                          \
                                                                                                               \
    __attribute__((target(TARGET))) static void NAME##_group(const uint8_t *const *inputs, int blocks,        \
                                                              const uint64_t *counters, uint64_t counter,     \
                                                              int increment,                                  \
                                                              const uint32_t key[8], uint8_t flags,           \
                                                              uint8_t flags_start, uint8_t flags_end,         \
                                                              const uint8_t *const *ahead, uint8_t *out) {    \
        NAME##_vector cv[8], counter_low, counter_high;                                                        \
        for (int w = 0; w < 8; w++) {                                                                          \
            for (int lane = 0; lane < LANES; lane++) cv[w][lane] = key[w];                                     \
        }                                                                                                      \
        for (int lane = 0; lane < LANES; lane++) {                                                             \
            uint64_t lane_counter = counters ? counters[lane] : counter + (increment ? (uint64_t)lane : 0);    \
            counter_low[lane] = (uint32_t)lane_counter;                                                        \
            counter_high[lane] = (uint32_t)(lane_counter >> 32);                                               \
        }                                                                                                      \
        for (int block = 0; block < blocks; block++) {                                                         \
            NAME##_vector m[16], v[16];                                                                        \
            /* Input straight from a file's mapping is not in the CPU caches, and   \
               the hardware prefetcher does not follow 16 streams a chunk apart:     \
               each lane's block PREFETCH_BLOCKS on is fetched meanwhile, from the   \
               next group's chunks (`ahead`, one per lane) near a chunk's end. A     \
               prefetch never faults, so one past the input's end is harmless.      \
               Measured on 1 GiB mapped, AVX-512: 2.9 GB/s without any, 4.5 with    \
               the next group's block as far ahead; 4 blocks ahead then took 1 GiB   \
               on two cores in 146.5-149.8 ms against 151.6-156.0 (medians of 25-30  \
               paired runs, three rounds; 2, 3, 6 and 8 blocks in between). */       \
            if (block + PREFETCH_BLOCKS < blocks) {                                                           \
                for (int lane = 0; lane < LANES; lane++)                                                       \
                    __builtin_prefetch(inputs[lane] + (block + PREFETCH_BLOCKS) * BLOCK_LEN);                   \
            } else if (ahead) {                                                                                \
                for (int lane = 0; lane < LANES; lane++)                                                       \
                    __builtin_prefetch(ahead[lane] + (block + PREFETCH_BLOCKS - blocks) * BLOCK_LEN);           \
            }                                                                                                  \
            LOAD(inputs, block, m);                                                                            \
            uint32_t block_flags = flags | (block == 0 ? flags_start : 0) | (block == blocks - 1 ? flags_end : 0); \
            NAME##_start(v, cv, counter_low, counter_high);                                                    \
            for (int lane = 0; lane < LANES; lane++) {                                                         \
                v[14][lane] = BLOCK_LEN;                                                                       \
                v[15][lane] = block_flags;                                                                     \
            }                                                                                                  \
            _Pragma("clang loop unroll(full)") for (int r = 0; r < 7; r++) NAME##_round(v, m, BLAKE3_SCHEDULE[r]);                                \
            for (int w = 0; w < 8; w++) cv[w] = v[w] ^ v[w + 8];                                               \
        }                                                                                                      \
        NAME##_store(cv, out);                                                                                 \
    }                                                                                                          \
                                                                                                               \
    void fsr_blake3_hash_chunks_##NAME(const uint8_t *const *inputs, const uint64_t *counters, size_t count,  \
                                       uint64_t counter, const uint32_t key[8], uint8_t flags, uint8_t *out) { \
        /* One input's chunks follow each other, and the next group's lie   \
           LANES chunks on, even past this call's; separate chunks' (counted) \
           are prefetched only from the pointers given. */                    \
        const uint8_t *following[LANES];                                                                       \
        for (size_t start = 0; start + LANES <= count; start += LANES) {                                       \
            const uint8_t *const *ahead = NULL;                                                                \
            if (!counters) {                                                                                   \
                for (int lane = 0; lane < LANES; lane++) following[lane] = inputs[start + lane] + LANES * CHUNK_LEN; \
                ahead = following;                                                                             \
            } else if (start + 2 * LANES <= count) {                                                           \
                ahead = inputs + start + LANES;                                                                \
            }                                                                                                  \
            NAME##_group(inputs + start, 16, counters ? counters + start : NULL, counter + start, 1, key, flags, \
                         CHUNK_START, CHUNK_END, ahead, out + 32 * start);                                     \
        }                                                                                                      \
    }                                                                                                          \
                                                                                                               \
    /* The last chunks of separate inputs, one per lane, each with its own  \
       number of blocks, last block length, counter and end flags (ROOT for \
       an input of one chunk, whose root output is then its digest). Each   \
       lane's last block comes from its zero-padded copy, and a lane whose  \
       chunk has ended reads zeros and keeps its chaining value, so every   \
       load stays within its input. */                                      \
    __attribute__((target(TARGET))) static void NAME##_tail_group(                                            \
        const uint8_t *const *inputs, const uint8_t *const *last_blocks, const uint8_t *blocks,               \
        const uint8_t *last_lengths, const uint64_t *counters, const uint8_t *end_flags, const uint32_t key[8], \
        uint8_t flags, uint8_t *out) {                                                                         \
        static const uint8_t zero_block[BLOCK_LEN];                                                            \
        NAME##_vector cv[8], counter_low, counter_high, lane_blocks, lane_last_length, lane_end_flags;         \
        int most_blocks = 0;                                                                                   \
        for (int w = 0; w < 8; w++) {                                                                          \
            for (int lane = 0; lane < LANES; lane++) cv[w][lane] = key[w];                                     \
        }                                                                                                      \
        for (int lane = 0; lane < LANES; lane++) {                                                             \
            counter_low[lane] = (uint32_t)counters[lane];                                                      \
            counter_high[lane] = (uint32_t)(counters[lane] >> 32);                                             \
            lane_blocks[lane] = blocks[lane];                                                                  \
            lane_last_length[lane] = last_lengths[lane];                                                       \
            lane_end_flags[lane] = end_flags[lane];                                                            \
            if (blocks[lane] > most_blocks) most_blocks = blocks[lane];                                        \
        }                                                                                                      \
        for (int block = 0; block < most_blocks; block++) {                                                    \
            NAME##_vector m[16], v[16];                                                                        \
            const uint8_t *sources[LANES];                                                                     \
            for (int lane = 0; lane < LANES; lane++) {                                                         \
                int last_block = blocks[lane] - 1;                                                             \
                sources[lane] = block < last_block    ? inputs[lane] + block * BLOCK_LEN                      \
                                : block == last_block ? last_blocks[lane]                                     \
                                                      : zero_block;                                           \
            }                                                                                                  \
            LOAD(sources, 0, m);                                                                               \
            NAME##_vector index = (NAME##_vector){0} + (uint32_t)block;                                        \
            NAME##_vector last = (NAME##_vector)(index == lane_blocks - 1);                                    \
            NAME##_vector active = (NAME##_vector)(index < lane_blocks);                                       \
            NAME##_start(v, cv, counter_low, counter_high);                                                    \
            v[14] = (last & lane_last_length) | (~last & (uint32_t)BLOCK_LEN);                                 \
            v[15] = ((NAME##_vector){0} + (uint32_t)(flags | (block == 0 ? CHUNK_START : 0))) |                \
                    (last & lane_end_flags);                                                                   \
            _Pragma("clang loop unroll(full)") for (int r = 0; r < 7; r++) NAME##_round(v, m, BLAKE3_SCHEDULE[r]); \
            for (int w = 0; w < 8; w++) cv[w] = ((v[w] ^ v[w + 8]) & active) | (cv[w] & ~active);             \
        }                                                                                                      \
        NAME##_store(cv, out);                                                                                 \
    }                                                                                                          \
                                                                                                               \
    void fsr_blake3_hash_tails_##NAME(const uint8_t *const *inputs, const uint8_t *const *last_blocks,       \
                                      const uint8_t *blocks, const uint8_t *last_lengths,                     \
                                      const uint64_t *counters, const uint8_t *end_flags, size_t count,       \
                                      const uint32_t key[8], uint8_t flags, uint8_t *out) {                   \
        for (size_t start = 0; start + LANES <= count; start += LANES) {                                       \
            NAME##_tail_group(inputs + start, last_blocks + start, blocks + start, last_lengths + start,       \
                              counters + start, end_flags + start, key, flags, out + 32 * start);              \
        }                                                                                                      \
    }                                                                                                          \
                                                                                                               \
    void fsr_blake3_hash_parents_##NAME(const uint8_t *const *inputs, size_t count, const uint32_t key[8],    \
                                        uint8_t flags, uint8_t *out) {                                        \
        for (size_t start = 0; start + LANES <= count; start += LANES) {                                       \
            NAME##_group(inputs + start, 1, NULL, 0, 0, key, flags | PARENT, 0, 0, NULL, out + 32 * start); \
        }                                                                                                      \
    }

// AVX-512's transpose from unpack and 128-bit-lane shuffles, which write a
// third register: the generic steps become vpermt2d/vpermt2q, which
// overwrite a source, so clang copied one of each pair first (about 32
// register moves a block, on the two ports the rounds need). Rows 4k..4k+3
// are interleaved word by word, then pair by pair, so that 128-bit lane L
// of u[4k + j] holds word 4L + j of those four rows; two rounds of lane
// shuffles then gather word 4L + j of all sixteen rows in order.
typedef uint32_t avx512_words __attribute__((vector_size(64)));

__attribute__((target("avx512f,avx512vl"))) static inline void avx512_load_unpacked(const uint8_t *const *inputs,
                                                                                    int block, avx512_words m[16]) {
    __m512i r[16], t[16], u[16];
    for (int lane = 0; lane < 16; lane++) r[lane] = _mm512_loadu_si512(inputs[lane] + block * BLOCK_LEN);
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
    }
    for (int k = 0; k < 16; k += 4) {
        u[k] = _mm512_unpacklo_epi64(t[k], t[k + 2]);
        u[k + 1] = _mm512_unpackhi_epi64(t[k], t[k + 2]);
        u[k + 2] = _mm512_unpacklo_epi64(t[k + 1], t[k + 3]);
        u[k + 3] = _mm512_unpackhi_epi64(t[k + 1], t[k + 3]);
    }
    for (int j = 0; j < 4; j++) {
        // Lanes 0 and 1 (then 2 and 3) of row groups 0 and 1, and of 2 and 3.
        __m512i low01 = _mm512_shuffle_i32x4(u[j], u[4 + j], 0x44);
        __m512i high01 = _mm512_shuffle_i32x4(u[j], u[4 + j], 0xEE);
        __m512i low23 = _mm512_shuffle_i32x4(u[8 + j], u[12 + j], 0x44);
        __m512i high23 = _mm512_shuffle_i32x4(u[8 + j], u[12 + j], 0xEE);
        m[j] = (avx512_words)_mm512_shuffle_i32x4(low01, low23, 0x88);
        m[4 + j] = (avx512_words)_mm512_shuffle_i32x4(low01, low23, 0xDD);
        m[8 + j] = (avx512_words)_mm512_shuffle_i32x4(high01, high23, 0x88);
        m[12 + j] = (avx512_words)_mm512_shuffle_i32x4(high01, high23, 0xDD);
    }
}

DEFINE_HASH_CHUNKS(sse41, 4, "sse4.1", sse41_load)
DEFINE_HASH_CHUNKS(avx2, 8, "avx2", avx2_load)
DEFINE_HASH_CHUNKS(avx512, 16, "avx512f,avx512vl", avx512_load_unpacked)

// One block, the four rows of the state in four 128-bit vectors: the column
// step works on all four columns at once, the diagonal step on the rows
// rotated so that each diagonal lines up in one lane.
typedef uint32_t row_vector __attribute__((vector_size(16)));

__attribute__((target("sse4.1"))) static inline row_vector row_rotr(row_vector word, int count) {
    return (word >> count) | (word << (32 - count));
}

__attribute__((target("sse4.1"))) static inline void row_g(row_vector *a, row_vector *b, row_vector *c,
                                                           row_vector *d, row_vector x, row_vector y) {
    *a = *a + *b + x;
    *d = row_rotr(*d ^ *a, 16);
    *c = *c + *d;
    *b = row_rotr(*b ^ *c, 12);
    *a = *a + *b + y;
    *d = row_rotr(*d ^ *a, 8);
    *c = *c + *d;
    *b = row_rotr(*b ^ *c, 7);
}

__attribute__((target("sse4.1"))) void fsr_blake3_compress_rows(const uint32_t cv[8], const uint8_t block[BLOCK_LEN],
                                                                uint8_t block_len, uint64_t counter, uint8_t flags,
                                                                uint32_t out[16]) {
    uint32_t m[16];
    for (int i = 0; i < 16; i++) m[i] = load32(block + 4 * i);
    row_vector r0 = {cv[0], cv[1], cv[2], cv[3]};
    row_vector r1 = {cv[4], cv[5], cv[6], cv[7]};
    row_vector r2 = {BLAKE3_IV[0], BLAKE3_IV[1], BLAKE3_IV[2], BLAKE3_IV[3]};
    row_vector r3 = {(uint32_t)counter, (uint32_t)(counter >> 32), block_len, flags};
    _Pragma("clang loop unroll(full)") for (int r = 0; r < 7; r++) {
        const uint8_t *w = BLAKE3_SCHEDULE[r];
        row_vector x0 = {m[w[0]], m[w[2]], m[w[4]], m[w[6]]};
        row_vector y0 = {m[w[1]], m[w[3]], m[w[5]], m[w[7]]};
        row_g(&r0, &r1, &r2, &r3, x0, y0);
        r1 = __builtin_shufflevector(r1, r1, 1, 2, 3, 0);
        r2 = __builtin_shufflevector(r2, r2, 2, 3, 0, 1);
        r3 = __builtin_shufflevector(r3, r3, 3, 0, 1, 2);
        row_vector x1 = {m[w[8]], m[w[10]], m[w[12]], m[w[14]]};
        row_vector y1 = {m[w[9]], m[w[11]], m[w[13]], m[w[15]]};
        row_g(&r0, &r1, &r2, &r3, x1, y1);
        r1 = __builtin_shufflevector(r1, r1, 3, 0, 1, 2);
        r2 = __builtin_shufflevector(r2, r2, 2, 3, 0, 1);
        r3 = __builtin_shufflevector(r3, r3, 1, 2, 3, 0);
    }
    row_vector cv0 = {cv[0], cv[1], cv[2], cv[3]};
    row_vector cv1 = {cv[4], cv[5], cv[6], cv[7]};
    row_vector o0 = r0 ^ r2, o1 = r1 ^ r3, o2 = r2 ^ cv0, o3 = r3 ^ cv1;
    memcpy(out, &o0, 16);
    memcpy(out + 4, &o1, 16);
    memcpy(out + 8, &o2, 16);
    memcpy(out + 12, &o3, 16);
}
