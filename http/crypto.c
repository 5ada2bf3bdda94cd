/* SPDX-License-Identifier: MIT */
#include "http/crypto.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"

struct tp_crypto tp_crypto;

int tp_crypto_load(struct tp_buf *error)
{
    static bool loaded;
    if (loaded)
        return 0;
    void *lib = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        tp_buf_printf(error, "cannot load OpenSSL's libcrypto (libcrypto.so.3): %s", dlerror());
        return TP_EUNSUPPORTED;
    }
    struct tp_crypto found;
    memset(&found, 0, sizeof(found));
    /* ISO C has no cast between object and function pointers; POSIX lets dlsym's result be
     * copied into one */
#define XX(fn)                                                \
    {                                                         \
        void *symbol = dlsym(lib, #fn);                       \
        if (symbol == NULL) {                                 \
            tp_buf_printf(error, "libcrypto has no %s", #fn); \
            dlclose(lib);                                     \
            return TP_EUNSUPPORTED;                           \
        }                                                     \
        memcpy(&found.fn, &symbol, sizeof(symbol));           \
    }
    TP_CRYPTO_FUNCTIONS(XX)
#undef XX
    tp_crypto = found;
    loaded = true;
    return 0;
}
