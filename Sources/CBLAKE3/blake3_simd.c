// Wide BLAKE3 kernels: N chunks hashed side by side, one per vector lane.
// One generic body, written with the compiler's vector extensions and
// compiled three times for SSE4.1 (4 lanes), AVX2 (8) and AVX-512 (16); the
// caller picks one at run time (fsr_blake3_force_implementation). The loops
// are unrolled fully so every message index and lane is a constant: at -O2
// without that, the kernels run at about 60% of the speed.
#include "blake3_internal.h"

#define DEFINE_HASH_CHUNKS(NAME, LANES, TARGET)                                                               \
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
    __attribute__((target(TARGET))) static void NAME##_group(const uint8_t *const *inputs, int blocks,        \
                                                              uint64_t counter, int increment,                \
                                                              const uint32_t key[8], uint8_t flags,           \
                                                              uint8_t flags_start, uint8_t flags_end,         \
                                                              uint8_t *out) {                                 \
        NAME##_vector cv[8], counter_low, counter_high;                                                        \
        for (int w = 0; w < 8; w++) {                                                                          \
            for (int lane = 0; lane < LANES; lane++) cv[w][lane] = key[w];                                     \
        }                                                                                                      \
        for (int lane = 0; lane < LANES; lane++) {                                                             \
            uint64_t lane_counter = counter + (increment ? (uint64_t)lane : 0);                                \
            counter_low[lane] = (uint32_t)lane_counter;                                                        \
            counter_high[lane] = (uint32_t)(lane_counter >> 32);                                               \
        }                                                                                                      \
        for (int block = 0; block < blocks; block++) {                                                         \
            NAME##_vector m[16], v[16];                                                                        \
            _Pragma("clang loop unroll(full)") for (int word = 0; word < 16; word++) {                      \
                _Pragma("clang loop unroll(full)") for (int lane = 0; lane < LANES; lane++) {                                                     \
                    m[word][lane] = load32(inputs[lane] + block * BLOCK_LEN + 4 * word);                       \
                }                                                                                              \
            }                                                                                                  \
            uint32_t block_flags = flags | (block == 0 ? flags_start : 0) | (block == blocks - 1 ? flags_end : 0); \
            for (int w = 0; w < 8; w++) v[w] = cv[w];                                                          \
            for (int w = 0; w < 4; w++) {                                                                      \
                for (int lane = 0; lane < LANES; lane++) v[8 + w][lane] = BLAKE3_IV[w];                        \
            }                                                                                                  \
            v[12] = counter_low;                                                                               \
            v[13] = counter_high;                                                                              \
            for (int lane = 0; lane < LANES; lane++) {                                                         \
                v[14][lane] = BLOCK_LEN;                                                                       \
                v[15][lane] = block_flags;                                                                     \
            }                                                                                                  \
            _Pragma("clang loop unroll(full)") for (int r = 0; r < 7; r++) NAME##_round(v, m, BLAKE3_SCHEDULE[r]);                                \
            for (int w = 0; w < 8; w++) cv[w] = v[w] ^ v[w + 8];                                               \
        }                                                                                                      \
        for (int lane = 0; lane < LANES; lane++) {                                                             \
            for (int w = 0; w < 8; w++) store32(out + 32 * lane + 4 * w, cv[w][lane]);                        \
        }                                                                                                      \
    }                                                                                                          \
                                                                                                               \
    void fsr_blake3_hash_chunks_##NAME(const uint8_t *const *inputs, size_t count, uint64_t counter,          \
                                       const uint32_t key[8], uint8_t flags, uint8_t *out) {                  \
        for (size_t start = 0; start + LANES <= count; start += LANES) {                                       \
            NAME##_group(inputs + start, 16, counter + start, 1, key, flags, CHUNK_START, CHUNK_END,           \
                         out + 32 * start);                                                                    \
        }                                                                                                      \
    }                                                                                                          \
                                                                                                               \
    void fsr_blake3_hash_parents_##NAME(const uint8_t *const *inputs, size_t count, const uint32_t key[8],    \
                                        uint8_t flags, uint8_t *out) {                                        \
        for (size_t start = 0; start + LANES <= count; start += LANES) {                                       \
            NAME##_group(inputs + start, 1, 0, 0, key, flags | PARENT, 0, 0, out + 32 * start);                \
        }                                                                                                      \
    }

DEFINE_HASH_CHUNKS(sse41, 4, "sse4.1")
DEFINE_HASH_CHUNKS(avx2, 8, "avx2")
DEFINE_HASH_CHUNKS(avx512, 16, "avx512f,avx512vl")
