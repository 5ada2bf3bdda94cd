/* SPDX-License-Identifier: MIT */
/*
 * OpenSSL's libcrypto, loaded when security is turned on (serve --users, tidepool passwd):
 * a server without users does not map it (it would cost every start about a millisecond and
 * a megabyte and a half of memory). The functions auth.c and jwt.c use are reached through
 * `tp_crypto`, filled by tp_crypto_load. Loop thread, or before it starts.
 */
#ifndef TP_HTTP_CRYPTO_H
#define TP_HTTP_CRYPTO_H

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

struct tp_buf;

#define TP_CRYPTO_FUNCTIONS(XX)  \
    XX(CRYPTO_memcmp)            \
    XX(SHA256)                   \
    XX(PKCS5_PBKDF2_HMAC)        \
    XX(EVP_sha256)               \
    XX(RAND_bytes)               \
    XX(OPENSSL_cleanse)          \
    XX(EVP_DecodeBlock)          \
    XX(EVP_EncodeBlock)          \
    XX(EVP_PKEY_Q_keygen)        \
    XX(BIO_new)                  \
    XX(BIO_s_mem)                \
    XX(BIO_ctrl)                 \
    XX(BIO_free)                 \
    XX(BIO_new_mem_buf)          \
    XX(PEM_write_bio_PrivateKey) \
    XX(PEM_read_bio_PrivateKey)  \
    XX(EVP_PKEY_free)            \
    XX(EVP_PKEY_get_base_id)     \
    XX(EVP_PKEY_get_bn_param)    \
    XX(EVP_MD_CTX_new)           \
    XX(EVP_MD_CTX_free)          \
    XX(EVP_DigestSignInit)       \
    XX(EVP_DigestSign)           \
    XX(EVP_DigestVerifyInit)     \
    XX(EVP_DigestVerify)         \
    XX(BN_num_bits)              \
    XX(BN_bn2bin)                \
    XX(BN_free)

struct tp_crypto {
#define XX(name) __typeof__(&name) name;
    TP_CRYPTO_FUNCTIONS(XX)
#undef XX
};

/* The functions, once tp_crypto_load has succeeded. */
extern struct tp_crypto tp_crypto;

/* Loads libcrypto (libcrypto.so.3) the first time. Returns 0, or TP_EUNSUPPORTED with what is
 * missing in `error`. */
int tp_crypto_load(struct tp_buf *error);

#endif
