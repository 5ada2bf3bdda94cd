/* SPDX-License-Identifier: MIT */
/*
 * Blue Ocean's JWT (spec §11.1): RS256 tokens signed with one RSA key that tidepool keeps in
 * its data directory (main reads or makes the PEM; this file only does the crypto, with
 * OpenSSL's libcrypto), the `/jwt-auth/token`, `/jwt-auth/jwks/<kid>/` and
 * `/jwt-auth/jwk-set` routes, and verification of `Authorization: Bearer` tokens. The key id
 * is the month the server started in (yyyyMM), as Blue Ocean names its monthly keys.
 */
#ifndef TP_HTTP_JWT_H
#define TP_HTTP_JWT_H

#include <stdint.h>

#include "http/router.h"

struct tp_buf;
struct tp_arena;
struct tp_jwt;

enum {
    TP_JWT_DEFAULT_EXPIRY_MIN = 30,
    TP_JWT_MAX_EXPIRY_MIN = 480,
    TP_JWT_MAX_TOKEN = 16384, /* characters of a token that is looked at */
    TP_JWT_SKEW_S = 30        /* clock skew allowed on exp and nbf */
};

/* Appends a new 2048-bit RSA private key, PEM-encoded. Returns 0 or TP_EINVAL. */
int tp_jwt_generate(struct tp_buf *pem);
/* A signer/verifier from a PEM private key. Returns 0, or TP_EINVAL for a key it cannot use. */
int tp_jwt_new(const char *pem, size_t len, struct tp_jwt **out);
void tp_jwt_free(struct tp_jwt *jwt);

/* Appends a compact JWS for user `subject` (full name `name`, may be NULL), issued at `now_s`
 * and valid `expiry_s` seconds. Returns 0 or TP_EINVAL. */
int tp_jwt_issue(struct tp_jwt *jwt, const char *subject, const char *name, int64_t now_s,
                 int64_t expiry_s, struct tp_buf *out);
/*
 * Checks `token` (signature, alg RS256, exp/jti/sub present, not expired unless anonymous).
 * Returns 0 with `*subject` (in `arena`), or TP_EINVAL with the reason in `why` ("expired").
 */
int tp_jwt_verify(struct tp_jwt *jwt, const char *token, struct tp_arena *arena,
                  const char **subject, struct tp_buf *why);

/* /jwt-auth/...: they reach the key through req->app->jwt (404 when JWT is off). */
extern const struct tp_route_table tp_jwt_table;

#endif
