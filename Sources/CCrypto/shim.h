// SHA-1, SHA-2 and MD5 from OpenSSL's libcrypto (Debian's libssl-dev),
// through its one-algorithm functions (SHA256_Init and the like): the same
// assembly as the EVP interface, which uses the CPU's SHA extensions where
// it has them, without the provider machinery around it.
//
// Why not EVP: in the static release binary (scripts/build-release) EVP
// brings in most of libcrypto, 4.7 MB and 16,600 of the relocations applied
// at every start, whatever the algorithm (0.28 ms a start, measured with a
// C program linked both ways), and its first use loads the configuration
// and providers (2 ms). OpenSSL 3 marks these functions deprecated in
// favour of EVP; they remain part of its API, hence the define below.
#ifndef FSRING_CCRYPTO_SHIM_H
#define FSRING_CCRYPTO_SHIM_H
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/md5.h>
#include <openssl/sha.h>

typedef enum { FSR_DIGEST_SHA256, FSR_DIGEST_SHA512, FSR_DIGEST_SHA1, FSR_DIGEST_MD5 } fsr_digest_kind;

// The state of one running digest; which member is in use is the kind it
// was started with.
typedef union {
    SHA256_CTX sha256;
    SHA512_CTX sha512;
    SHA_CTX sha1;
    MD5_CTX md5;
} fsr_digest_state;

static inline void fsr_digest_start(fsr_digest_kind kind, fsr_digest_state *state) {
    switch (kind) {
    case FSR_DIGEST_SHA256: SHA256_Init(&state->sha256); break;
    case FSR_DIGEST_SHA512: SHA512_Init(&state->sha512); break;
    case FSR_DIGEST_SHA1: SHA1_Init(&state->sha1); break;
    case FSR_DIGEST_MD5: MD5_Init(&state->md5); break;
    }
}

static inline void fsr_digest_update(fsr_digest_kind kind, fsr_digest_state *state, const void *bytes, size_t count) {
    switch (kind) {
    case FSR_DIGEST_SHA256: SHA256_Update(&state->sha256, bytes, count); break;
    case FSR_DIGEST_SHA512: SHA512_Update(&state->sha512, bytes, count); break;
    case FSR_DIGEST_SHA1: SHA1_Update(&state->sha1, bytes, count); break;
    case FSR_DIGEST_MD5: MD5_Update(&state->md5, bytes, count); break;
    }
}

// Writes the digest's length in bytes (32, 64, 20 or 16) to `output`.
static inline void fsr_digest_finish(fsr_digest_kind kind, fsr_digest_state *state, unsigned char *output) {
    switch (kind) {
    case FSR_DIGEST_SHA256: SHA256_Final(output, &state->sha256); break;
    case FSR_DIGEST_SHA512: SHA512_Final(output, &state->sha512); break;
    case FSR_DIGEST_SHA1: SHA1_Final(output, &state->sha1); break;
    case FSR_DIGEST_MD5: MD5_Final(output, &state->md5); break;
    }
}
#endif
