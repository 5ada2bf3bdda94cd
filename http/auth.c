/* SPDX-License-Identifier: MIT */
#include "http/auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/crypto.h"
#include <llhttp.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"
#include "common/str.h"
#include "http/jwt.h"

enum {
    SALT_BYTES = 16,
    HASH_BYTES = 32,
    MAX_ITERATIONS = 10000000,
    MAX_CREDENTIALS = 1024 /* bytes of a decoded user:password */
};

struct entry {
    struct tp_user user;
    unsigned iterations;
    unsigned char salt[SALT_BYTES];
    unsigned char hash[HASH_BYTES];
    bool known; /* `checked` holds a password that was right */
    unsigned char checked[SHA256_DIGEST_LENGTH];
};

struct tp_users {
    struct entry *items;
    size_t count;
};

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes exactly `n` bytes of hex from `text` (which must end there). */
static bool unhex(const char *text, unsigned char *out, size_t n)
{
    if (strlen(text) != n * 2)
        return false;
    for (size_t i = 0; i < n; i++) {
        int hi = hex_value(text[2 * i]), lo = hex_value(text[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return true;
}

static bool role_of(const char *text, enum tp_role *out)
{
    static const char *const names[] = { "read", "build", "admin" };
    for (size_t i = 0; i < 3; i++) {
        if (strcmp(text, names[i]) == 0) {
            *out = (enum tp_role)(i + 1);
            return true;
        }
    }
    return false;
}

/* Reads one `name:role:hash` line into `e`; the reason in `why` when it is not one. */
static bool parse_line(char *line, struct entry *e, const char **why)
{
    char *role = strchr(line, ':');
    char *hash = role != NULL ? strchr(role + 1, ':') : NULL;
    if (hash == NULL) {
        *why = "expected name:role:hash";
        return false;
    }
    *role++ = '\0';
    *hash++ = '\0';
    if (line[0] == '\0' || strlen(line) > 128 || strpbrk(line, " \t/") != NULL) {
        *why = "bad user name";
        return false;
    }
    if (!role_of(role, &e->user.role)) {
        *why = "the role is read, build or admin";
        return false;
    }
    char *parts[4];
    size_t n = 0;
    for (char *save = NULL, *p = strtok_r(hash, "$", &save); p != NULL && n < 4;
         p = strtok_r(NULL, "$", &save))
        parts[n++] = p;
    long iterations = n == 4 ? strtol(parts[1], NULL, 10) : 0;
    if (n != 4 || strcmp(parts[0], "pbkdf2-sha256") != 0 || iterations < 1 ||
        iterations > MAX_ITERATIONS || !unhex(parts[2], e->salt, SALT_BYTES) ||
        !unhex(parts[3], e->hash, HASH_BYTES)) {
        *why = "the hash is not pbkdf2-sha256$iterations$salt$hash (see tidepool passwd)";
        return false;
    }
    e->iterations = (unsigned)iterations;
    e->user.name = tp_xstrdup(line);
    return true;
}

int tp_users_parse(const char *text, size_t len, struct tp_users **out, struct tp_buf *error)
{
    struct tp_users *users = tp_xcalloc(1, sizeof(*users));
    char *copy = tp_xmalloc(len + 1);
    memcpy(copy, text, len);
    copy[len] = '\0';
    size_t cap = 0, number = 0;
    int err = 0;
    char *cursor = copy, *line;
    while (err == 0 && (line = tp_str_next_line(&cursor)) != NULL) {
        number++;
        line[strcspn(line, "#")] = '\0'; /* a comment may follow an entry */
        for (size_t end = strlen(line); end > 0 && (line[end - 1] == ' ' || line[end - 1] == '\t');)
            line[--end] = '\0';
        if (*line == '\0')
            continue;
        if (users->count >= TP_USERS_MAX) {
            tp_buf_printf(error, "more than %d users", TP_USERS_MAX);
            err = TP_EINVAL;
            break;
        }
        if (users->count == cap) {
            cap = cap ? cap * 2 : 8;
            users->items = tp_xrealloc(users->items, cap * sizeof(*users->items));
        }
        struct entry *e = &users->items[users->count];
        memset(e, 0, sizeof(*e));
        const char *why = NULL;
        if (!parse_line(line, e, &why)) {
            tp_buf_printf(error, "line %zu: %s", number, why);
            err = TP_EINVAL;
        } else if (tp_users_find(users, e->user.name) != NULL) {
            tp_buf_printf(error, "line %zu: user %s is there twice", number, e->user.name);
            free(e->user.name);
            err = TP_EINVAL;
        } else {
            users->count++;
        }
    }
    free(copy);
    if (err == 0 && users->count == 0) {
        tp_buf_puts(error, "no users");
        err = TP_EINVAL;
    }
    if (err < 0) {
        tp_users_free(users);
        return err;
    }
    *out = users;
    return 0;
}

void tp_users_free(struct tp_users *users)
{
    if (users == NULL)
        return;
    for (size_t i = 0; i < users->count; i++)
        free(users->items[i].user.name);
    tp_crypto.OPENSSL_cleanse(users->items, users->count * sizeof(*users->items));
    free(users->items);
    free(users);
}

const struct tp_user *tp_users_find(const struct tp_users *users, const char *name)
{
    for (size_t i = 0; users != NULL && i < users->count; i++) {
        if (strcmp(users->items[i].user.name, name) == 0)
            return &users->items[i].user;
    }
    return NULL;
}

const char *tp_users_name_at(const struct tp_users *users, size_t i)
{
    if (users == NULL)
        return i == 0 ? "anonymous" : NULL;
    return i < users->count ? users->items[i].user.name : NULL;
}

const struct tp_user *tp_users_check(struct tp_users *users, const char *name, const char *password)
{
    struct entry *e = (struct entry *)tp_users_find(users, name);
    if (e == NULL)
        return NULL;
    unsigned char digest[SHA256_DIGEST_LENGTH];
    tp_crypto.SHA256((const unsigned char *)password, strlen(password), digest);
    if (e->known && tp_crypto.CRYPTO_memcmp(digest, e->checked, sizeof(digest)) == 0)
        return &e->user;
    unsigned char hash[HASH_BYTES];
    if (tp_crypto.PKCS5_PBKDF2_HMAC(password, (int)strlen(password), e->salt, SALT_BYTES,
                                    (int)e->iterations, tp_crypto.EVP_sha256(), HASH_BYTES,
                                    hash) != 1 ||
        tp_crypto.CRYPTO_memcmp(hash, e->hash, HASH_BYTES) != 0)
        return NULL;
    memcpy(e->checked, digest, sizeof(digest));
    e->known = true;
    return &e->user;
}

static void hex(const unsigned char *data, size_t n, struct tp_buf *out)
{
    for (size_t i = 0; i < n; i++)
        tp_buf_printf(out, "%02x", data[i]);
}

int tp_password_hash(const char *password, struct tp_buf *out)
{
    unsigned char salt[SALT_BYTES], hash[HASH_BYTES];
    if (password[0] == '\0' || tp_crypto.RAND_bytes(salt, sizeof(salt)) != 1 ||
        tp_crypto.PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, SALT_BYTES,
                                    TP_PBKDF2_ITERATIONS, tp_crypto.EVP_sha256(), HASH_BYTES,
                                    hash) != 1)
        return TP_EINVAL;
    tp_buf_printf(out, "pbkdf2-sha256$%d$", TP_PBKDF2_ITERATIONS);
    hex(salt, sizeof(salt), out);
    tp_buf_putc(out, '$');
    hex(hash, sizeof(hash), out);
    return 0;
}

enum tp_role tp_req_role(const struct tp_req *req)
{
    if (req->app == NULL || req->app->users == NULL)
        return TP_ROLE_ADMIN;
    return req->user != NULL ? req->user->role : TP_ROLE_NONE;
}

const char *tp_req_user(const struct tp_req *req)
{
    return req->user != NULL ? req->user->name : "anonymous";
}

/* --- what a request needs --- */

static bool ends_with_segment(const char *path, const char *name)
{
    size_t len = strlen(path), n = strlen(name);
    while (len > 0 && path[len - 1] == '/')
        len--;
    return len > n && path[len - n - 1] == '/' && strncmp(path + len - n, name, n) == 0;
}

/* The role a request needs: reads need READ; changes to items (create, configure, rename,
 * enable/disable, delete) ADMIN; other changes (build, stop, replay, input, queue) BUILD. */
static enum tp_role needed_role(const struct tp_req *req)
{
    static const char *const admin_actions[] = { "createItem", "config.xml", "doDelete",
                                                 "doRename",   "enable",     "disable" };
    if (strncmp(req->path, "/jwt-auth/", 10) == 0)
        return TP_ROLE_NONE; /* anyone may ask for a token; it says who they are */
    if (req->method == HTTP_GET || req->method == HTTP_HEAD)
        return TP_ROLE_READ;
    /* writes that only touch the caller's own state */
    if (strncmp(req->path, "/sse-gateway/", 13) == 0 ||
        strncmp(req->path, "/blue/rest/classes", 18) == 0 ||
        strncmp(req->path, "/blue/rest/users/", 17) == 0 ||
        ends_with_segment(req->path, "favorite") ||
        strstr(req->path, "/pipeline-model-converter/") != NULL)
        return TP_ROLE_READ;
    /* the last segment, without a trailing /api/json */
    char last[64] = "";
    const char *end = req->path + strlen(req->path);
    while (end > req->path && end[-1] == '/')
        end--;
    if (end - req->path >= 9 && strncmp(end - 9, "/api/json", 9) == 0)
        end -= 9;
    const char *start = end;
    while (start > req->path && start[-1] != '/')
        start--;
    if ((size_t)(end - start) < sizeof(last)) {
        memcpy(last, start, (size_t)(end - start));
        last[end - start] = '\0';
    }
    for (size_t i = 0; i < sizeof(admin_actions) / sizeof(admin_actions[0]); i++) {
        if (strcmp(last, admin_actions[i]) == 0)
            return TP_ROLE_ADMIN;
    }
    /* DELETE of a Blue Ocean pipeline (not of a queue item) */
    if (req->method == HTTP_DELETE && strstr(req->path, "/queue/") == NULL)
        return TP_ROLE_ADMIN;
    return TP_ROLE_BUILD;
}

/* Reads `Authorization: Basic <base64 user:password>`. */
static bool basic_credentials(const char *value, struct tp_arena *arena, const char **name,
                              const char **password)
{
    if (strncasecmp(value, "Basic ", 6) != 0)
        return false;
    const char *b64 = value + 6;
    while (*b64 == ' ')
        b64++;
    size_t len = strlen(b64);
    if (len == 0 || len > MAX_CREDENTIALS * 4 / 3 + 4)
        return false;
    unsigned char *decoded = tp_arena_alloc(arena, len + 1);
    int n = tp_crypto.EVP_DecodeBlock(decoded, (const unsigned char *)b64, (int)len);
    if (n < 0)
        return false;
    /* EVP_DecodeBlock counts the '=' padding as zero bytes */
    for (size_t i = len; i > 0 && b64[i - 1] == '='; i--)
        n--;
    decoded[n] = '\0';
    if (memchr(decoded, '\0', (size_t)n) != NULL)
        return false;
    char *colon = strchr((char *)decoded, ':');
    if (colon == NULL)
        return false;
    *colon = '\0';
    *name = (const char *)decoded;
    *password = colon + 1;
    return true;
}

static bool refuse(struct tp_resp *resp, int status, const char *message)
{
    tp_resp_error(resp, status, "%s", message);
    if (status == 401)
        tp_resp_header(resp, "WWW-Authenticate", "Basic realm=\"Jenkins\"");
    return false;
}

bool tp_auth_request(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_users *users = req->app->users;
    if (users == NULL)
        return true;
    const char *value = tp_req_header(req, "Authorization");
    if (value != NULL) {
        const char *name, *password;
        if (basic_credentials(value, req->arena, &name, &password)) {
            req->user = tp_users_check(users, name, password);
            if (req->user == NULL)
                return refuse(resp, 401, "Invalid password/token for user");
        } else if (strncasecmp(value, "Bearer ", 7) == 0 && req->app->jwt != NULL &&
                   (strncmp(req->path, "/blue/", 6) == 0 ||
                    strncmp(req->path, "/sse-gateway/", 13) == 0)) {
            struct tp_buf why;
            tp_buf_init(&why);
            const char *subject = NULL;
            int err = tp_jwt_verify(req->app->jwt, value + 7, req->arena, &subject, &why);
            if (err == 0 && strcmp(subject, "anonymous") != 0) {
                req->user = tp_users_find(users, subject);
                if (req->user == NULL)
                    err = TP_EINVAL;
            }
            if (err < 0) {
                const char *message = tp_arena_printf(req->arena, "Invalid JWT token%s%s",
                                                      why.len ? ": " : "", tp_buf_str(&why));
                tp_buf_close(&why);
                return refuse(resp, 401, message);
            }
            tp_buf_close(&why);
        }
    }
    enum tp_role needed = needed_role(req);
    if (tp_req_role(req) >= needed)
        return true;
    if (req->user == NULL)
        return refuse(resp, 401, "Authentication required");
    return refuse(resp, 403,
                  tp_arena_printf(req->arena, "%s is missing the %s permission", req->user->name,
                                  needed == TP_ROLE_ADMIN ? "Job/Configure" : "Job/Build"));
}
