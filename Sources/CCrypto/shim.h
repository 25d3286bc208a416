// OpenSSL's libcrypto (Debian's libssl-dev): the EVP digest interface, which
// uses the CPU's SHA extensions where it has them.
#ifndef FSRING_CCRYPTO_SHIM_H
#define FSRING_CCRYPTO_SHIM_H
#include <openssl/evp.h>
#endif
