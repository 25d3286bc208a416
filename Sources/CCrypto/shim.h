// OpenSSL's libcrypto (Debian's libssl-dev): the EVP digest interface, which
// uses the CPU's SHA extensions where it has them.
//
// Linked from the static archive (module.modulemap: link ":libcrypto.a"):
// the shared library made the dynamic loader bind 3,400 of its symbols at
// every start, 1.1 ms of fsring's 6.4 ms (300 paired runs of `fsring hash`
// on an empty file), whichever algorithm was asked for.
#ifndef FSRING_CCRYPTO_SHIM_H
#define FSRING_CCRYPTO_SHIM_H
#include <openssl/evp.h>
#endif
