// OpenSSL's libcrypto (Debian's libssl-dev): the EVP digest interface, which
// uses the CPU's SHA extensions where it has them.
//
// The release binary is static (scripts/build-release), so it links the
// archive, libcrypto.a: the shared library made the dynamic loader bind
// 3,400 of its symbols at every start, 1.1 ms of a 6.4 ms start, whichever
// algorithm was asked for. Debug builds and the tests link the shared one.
#ifndef FSRING_CCRYPTO_SHIM_H
#define FSRING_CCRYPTO_SHIM_H
#include <openssl/evp.h>
#endif
