/* SPDX-License-Identifier: MIT */
#include "http/jwt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <llhttp.h>
#include <openssl/core_names.h>
#include <openssl/rsa.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/json.h"
#include "common/mem.h"
#include "common/str.h"
#include "common/timefmt.h"
#include "http/auth.h"
#include "http/crypto.h"

struct tp_jwt {
    EVP_PKEY *key;
    char kid[24]; /* yyyyMM */
};

/* --- base64url --- */

static void b64url(const unsigned char *data, size_t len, struct tp_buf *out)
{
    size_t cap = 4 * ((len + 2) / 3) + 1;
    unsigned char *text = tp_xmalloc(cap);
    int n = tp_crypto.EVP_EncodeBlock(text, data, (int)len);
    for (int i = 0; i < n; i++) {
        if (text[i] == '=')
            break;
        tp_buf_putc(out, text[i] == '+' ? '-' : text[i] == '/' ? '_' : (char)text[i]);
    }
    free(text);
}

/* Decodes base64url `text[0..len)` into `out`. Returns false when it is not base64url. */
static bool unb64url(const char *text, size_t len, struct tp_buf *out)
{
    struct tp_buf std;
    tp_buf_init(&std);
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (c == '+' || c == '/' || c == '=') {
            tp_buf_close(&std);
            return false;
        }
        tp_buf_putc(&std, c == '-' ? '+' : c == '_' ? '/' : c);
    }
    size_t pad = (4 - std.len % 4) % 4;
    if (pad == 3) {
        tp_buf_close(&std);
        return false;
    }
    for (size_t i = 0; i < pad; i++)
        tp_buf_putc(&std, '=');
    tp_buf_reserve(out, std.len);
    int n = std.len > 0 ? tp_crypto.EVP_DecodeBlock((unsigned char *)out->data + out->len,
                                                    (const unsigned char *)std.data, (int)std.len)
                        : 0;
    tp_buf_close(&std);
    if (n < 0)
        return false;
    out->len += (size_t)n - pad;
    out->data[out->len] = '\0';
    return true;
}

/* --- keys --- */

int tp_jwt_generate(struct tp_buf *pem)
{
    EVP_PKEY *key = tp_crypto.EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    BIO *bio = tp_crypto.BIO_new(tp_crypto.BIO_s_mem());
    int err = TP_EINVAL;
    if (key != NULL && bio != NULL &&
        tp_crypto.PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) == 1) {
        char *data;
        long n = tp_crypto.BIO_ctrl(bio, BIO_CTRL_INFO, 0, (char *)&data);
        tp_buf_append(pem, data, (size_t)n);
        err = 0;
    }
    tp_crypto.BIO_free(bio);
    tp_crypto.EVP_PKEY_free(key);
    return err;
}

int tp_jwt_new(const char *pem, size_t len, struct tp_jwt **out)
{
    BIO *bio = tp_crypto.BIO_new_mem_buf(pem, (int)len);
    EVP_PKEY *key = bio != NULL ? tp_crypto.PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    tp_crypto.BIO_free(bio);
    if (key == NULL || tp_crypto.EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
        tp_crypto.EVP_PKEY_free(key);
        return TP_EINVAL;
    }
    struct tp_jwt *jwt = tp_xcalloc(1, sizeof(*jwt));
    jwt->key = key;
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    snprintf(jwt->kid, sizeof(jwt->kid), "%04d%02d", (tm.tm_year + 1900) % 10000, tm.tm_mon + 1);
    *out = jwt;
    return 0;
}

void tp_jwt_free(struct tp_jwt *jwt)
{
    if (jwt == NULL)
        return;
    tp_crypto.EVP_PKEY_free(jwt->key);
    free(jwt);
}

/* --- tokens --- */

static void b64url_json(const cJSON *json, struct tp_buf *out)
{
    char *text = cJSON_PrintUnformatted(json);
    b64url((const unsigned char *)text, strlen(text), out);
    free(text);
}

int tp_jwt_issue(struct tp_jwt *jwt, const char *subject, const char *name, int64_t now_s,
                 int64_t expiry_s, struct tp_buf *out)
{
    cJSON *header = cJSON_CreateObject();
    cJSON_AddStringToObject(header, "kid", jwt->kid);
    cJSON_AddStringToObject(header, "alg", "RS256");
    cJSON_AddStringToObject(header, "typ", "JWT");
    unsigned char random[16];
    if (tp_crypto.RAND_bytes(random, sizeof(random)) != 1) {
        cJSON_Delete(header);
        return TP_EINVAL;
    }
    char jti[33];
    for (size_t i = 0; i < sizeof(random); i++)
        snprintf(jti + 2 * i, 3, "%02x", random[i]);
    cJSON *claims = cJSON_CreateObject();
    cJSON_AddStringToObject(claims, "jti", jti);
    cJSON_AddStringToObject(claims, "iss", "blueocean-jwt:tidepool");
    cJSON_AddStringToObject(claims, "sub", subject);
    if (name != NULL)
        cJSON_AddStringToObject(claims, "name", name);
    else
        cJSON_AddNullToObject(claims, "name");
    tp_json_add_i64(claims, "iat", now_s);
    tp_json_add_i64(claims, "exp", now_s + expiry_s);
    tp_json_add_i64(claims, "nbf", now_s - TP_JWT_SKEW_S);
    cJSON *user = cJSON_AddObjectToObject(cJSON_AddObjectToObject(claims, "context"), "user");
    cJSON_AddStringToObject(user, "id", subject);
    cJSON_AddStringToObject(user, "fullName", name != NULL ? name : subject);
    cJSON_AddNullToObject(user, "email");
    struct tp_buf signing;
    tp_buf_init(&signing);
    b64url_json(header, &signing);
    tp_buf_putc(&signing, '.');
    b64url_json(claims, &signing);
    cJSON_Delete(header);
    cJSON_Delete(claims);
    EVP_MD_CTX *ctx = tp_crypto.EVP_MD_CTX_new();
    size_t siglen = 0;
    unsigned char *sig = NULL;
    int err = TP_EINVAL;
    if (ctx != NULL &&
        tp_crypto.EVP_DigestSignInit(ctx, NULL, tp_crypto.EVP_sha256(), NULL, jwt->key) == 1 &&
        tp_crypto.EVP_DigestSign(ctx, NULL, &siglen, (const unsigned char *)signing.data,
                                 signing.len) == 1) {
        sig = tp_xmalloc(siglen);
        if (tp_crypto.EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)signing.data,
                                     signing.len) == 1) {
            tp_buf_append(out, signing.data, signing.len);
            tp_buf_putc(out, '.');
            b64url(sig, siglen, out);
            err = 0;
        }
    }
    free(sig);
    tp_crypto.EVP_MD_CTX_free(ctx);
    tp_buf_close(&signing);
    return err;
}

static int reject(struct tp_buf *why, const char *reason)
{
    if (reason != NULL)
        tp_buf_puts(why, reason);
    return TP_EINVAL;
}

int tp_jwt_verify(struct tp_jwt *jwt, const char *token, struct tp_arena *arena,
                  const char **subject, struct tp_buf *why)
{
    size_t len = strlen(token);
    const char *dot1 = memchr(token, '.', len);
    const char *dot2 =
        dot1 != NULL ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
    if (len > TP_JWT_MAX_TOKEN || dot2 == NULL ||
        memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)))
        return reject(why, NULL);
    struct tp_buf header, claims, sig;
    tp_buf_init(&header);
    tp_buf_init(&claims);
    tp_buf_init(&sig);
    int err = 0;
    cJSON *h = NULL, *c = NULL;
    if (!unb64url(token, (size_t)(dot1 - token), &header) ||
        !unb64url(dot1 + 1, (size_t)(dot2 - dot1 - 1), &claims) ||
        !unb64url(dot2 + 1, len - (size_t)(dot2 + 1 - token), &sig))
        err = reject(why, NULL);
    if (err == 0) {
        h = cJSON_ParseWithLength(header.data, header.len);
        c = cJSON_ParseWithLength(claims.data, claims.len);
        const cJSON *alg = cJSON_GetObjectItemCaseSensitive(h, "alg");
        if (!cJSON_IsString(alg) || strcmp(alg->valuestring, "RS256") != 0 || !cJSON_IsObject(c))
            err = reject(why, NULL);
    }
    if (err == 0) {
        EVP_MD_CTX *ctx = tp_crypto.EVP_MD_CTX_new();
        bool good =
            ctx != NULL &&
            tp_crypto.EVP_DigestVerifyInit(ctx, NULL, tp_crypto.EVP_sha256(), NULL, jwt->key) ==
                1 &&
            tp_crypto.EVP_DigestVerify(ctx, (const unsigned char *)sig.data, sig.len,
                                       (const unsigned char *)token, (size_t)(dot2 - token)) == 1;
        tp_crypto.EVP_MD_CTX_free(ctx);
        if (!good)
            err = reject(why, NULL);
    }
    if (err == 0) {
        const cJSON *sub = cJSON_GetObjectItemCaseSensitive(c, "sub");
        const cJSON *exp = cJSON_GetObjectItemCaseSensitive(c, "exp");
        const cJSON *jti = cJSON_GetObjectItemCaseSensitive(c, "jti");
        const cJSON *nbf = cJSON_GetObjectItemCaseSensitive(c, "nbf");
        int64_t now = tp_time_now_ms() / 1000;
        if (!cJSON_IsString(sub) || !cJSON_IsNumber(exp) || !cJSON_IsString(jti)) {
            err = reject(why, NULL);
        } else if (strcmp(sub->valuestring, "anonymous") != 0 &&
                   (int64_t)exp->valuedouble + TP_JWT_SKEW_S < now) {
            err = reject(why, "expired");
        } else if (cJSON_IsNumber(nbf) && (int64_t)nbf->valuedouble - TP_JWT_SKEW_S > now) {
            err = reject(why, "not valid yet");
        } else {
            *subject = tp_arena_strdup(arena, sub->valuestring);
        }
    }
    cJSON_Delete(h);
    cJSON_Delete(c);
    tp_buf_close(&header);
    tp_buf_close(&claims);
    tp_buf_close(&sig);
    return err;
}

/* --- routes --- */

static struct tp_jwt *jwt_of(struct tp_req *req, struct tp_resp *resp)
{
    if (req->app->jwt == NULL)
        tp_resp_error(resp, 404, "JWT is off: it comes with security (tidepool serve --users)");
    return req->app->jwt;
}

static bool minutes(struct tp_req *req, const char *name, int64_t *value)
{
    const char *text;
    return !tp_req_query(req, name, &text) || tp_str_to_i64(text, strlen(text), value) == 0;
}

/* GET /jwt-auth/token: 204 with the token in X-BLUEOCEAN-JWT, for the caller. */
static int get_token(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_jwt *jwt = jwt_of(req, resp);
    if (jwt == NULL)
        return 0;
    int64_t expiry = TP_JWT_DEFAULT_EXPIRY_MIN, max = TP_JWT_MAX_EXPIRY_MIN;
    if (!minutes(req, "expiryTimeInMins", &expiry) || !minutes(req, "maxExpiryTimeInMins", &max) ||
        expiry <= 0 || max <= 0)
        return tp_resp_error(resp, 400, "expiryTimeInMins and maxExpiryTimeInMins are minutes");
    if (max > TP_JWT_MAX_EXPIRY_MIN)
        max = TP_JWT_MAX_EXPIRY_MIN;
    if (expiry > max)
        return tp_resp_error(resp, 400,
                             "expiryTimeInMins=%lld can't be greater than maxExpiryTimeInMins=%lld",
                             (long long)expiry, (long long)max);
    struct tp_buf token;
    tp_buf_init(&token);
    int err = tp_jwt_issue(jwt, tp_req_user(req), req->user != NULL ? req->user->name : NULL,
                           tp_time_now_ms() / 1000, expiry * 60, &token);
    if (err == 0) {
        resp->status = 204;
        tp_resp_header(resp, "X-BLUEOCEAN-JWT", "%s", tp_buf_str(&token));
    }
    tp_buf_close(&token);
    return err;
}

static cJSON *jwk(struct tp_jwt *jwt)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "kty", "RSA");
    cJSON_AddStringToObject(o, "alg", "RS256");
    cJSON_AddStringToObject(o, "kid", jwt->kid);
    cJSON_AddStringToObject(o, "use", "sig");
    cJSON *ops = cJSON_AddArrayToObject(o, "key_ops");
    cJSON_AddItemToArray(ops, cJSON_CreateString("verify"));
    static const char *const params[][2] = { { "n", OSSL_PKEY_PARAM_RSA_N },
                                             { "e", OSSL_PKEY_PARAM_RSA_E } };
    for (size_t i = 0; i < 2; i++) {
        BIGNUM *bn = NULL;
        struct tp_buf text;
        tp_buf_init(&text);
        if (tp_crypto.EVP_PKEY_get_bn_param(jwt->key, params[i][1], &bn) == 1) {
            unsigned char *bytes = tp_xmalloc((size_t)((tp_crypto.BN_num_bits(bn) + 7) / 8) + 1);
            int n = tp_crypto.BN_bn2bin(bn, bytes);
            b64url(bytes, (size_t)n, &text);
            free(bytes);
        }
        tp_crypto.BN_free(bn);
        cJSON_AddStringToObject(o, params[i][0], tp_buf_str(&text));
        tp_buf_close(&text);
    }
    return o;
}

static int send(struct tp_resp *resp, cJSON *json)
{
    resp->content_type = "application/json;charset=utf-8";
    tp_json_print(json, &resp->body);
    cJSON_Delete(json);
    return 0;
}

static int get_jwks(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_jwt *jwt = jwt_of(req, resp);
    if (jwt == NULL)
        return 0;
    if (strcmp(req->params[0], jwt->kid) != 0)
        return tp_resp_error(resp, 404, "Key with kid %s not found", req->params[0]);
    return send(resp, jwk(jwt));
}

static int get_jwk_set(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_jwt *jwt = jwt_of(req, resp);
    if (jwt == NULL)
        return 0;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToArray(cJSON_AddArrayToObject(o, "keys"), jwk(jwt));
    return send(resp, o);
}

static const struct tp_route jwt_routes[] = {
    { HTTP_GET, "/jwt-auth/token", get_token },
    { HTTP_GET, "/jwt-auth/jwks/{kid}", get_jwks },
    { HTTP_GET, "/jwt-auth/jwk-set", get_jwk_set },
};

const struct tp_route_table tp_jwt_table = {
    .prefix = "/jwt-auth",
    .routes = jwt_routes,
    .count = sizeof(jwt_routes) / sizeof(jwt_routes[0]),
};
