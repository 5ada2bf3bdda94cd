/* SPDX-License-Identifier: MIT */
/*
 * Users and who may do what, when `serve --users FILE` turns security on (it is off by
 * default: a sandbox just works). The file has one user per line, `name:role:hash`, where role
 * is read, build or admin and hash is `pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>`
 * (`tidepool passwd NAME ROLE` writes such a line); '#' starts a comment. Passwords are never
 * kept in the clear: a checked password is remembered only as its SHA-256, so the slow hash is
 * paid once per user and password. Crypto from OpenSSL's libcrypto. Loop thread only.
 */
#ifndef TP_HTTP_AUTH_H
#define TP_HTTP_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "http/http.h"

struct tp_buf;

enum tp_role {
    TP_ROLE_NONE = 0,  /* anonymous while security is on */
    TP_ROLE_READ = 1,  /* see everything */
    TP_ROLE_BUILD = 2, /* also start, stop, replay, answer inputs */
    TP_ROLE_ADMIN = 3  /* also create, configure, rename, enable/disable and delete items */
};

enum {
    TP_USERS_MAX = 10000,        /* users in one file */
    TP_PBKDF2_ITERATIONS = 60000 /* for new hashes */
};

struct tp_user {
    char *name;
    enum tp_role role;
};

struct tp_users;

/* Reads a users file's text. Returns 0, or TP_EINVAL with the line and reason in `error`. */
int tp_users_parse(const char *text, size_t len, struct tp_users **out, struct tp_buf *error);
void tp_users_free(struct tp_users *users);
/* The user these credentials name, or NULL when the name or password is wrong. */
const struct tp_user *tp_users_check(struct tp_users *users, const char *name,
                                     const char *password);
/* The user called `name`, or NULL. */
const struct tp_user *tp_users_find(const struct tp_users *users, const char *name);
/* The name of the i-th user, or NULL past the last (without security: "anonymous" alone). */
const char *tp_users_name_at(const struct tp_users *users, size_t i);
/* Appends a users-file hash of `password` (a fresh random salt). Returns 0 or TP_EINVAL. */
int tp_password_hash(const char *password, struct tp_buf *out);

/* The role the request acts with: ADMIN when security is off, else its user's (NONE for
 * anonymous). */
enum tp_role tp_req_role(const struct tp_req *req);
/* The request's user name: "anonymous" when there is none. */
const char *tp_req_user(const struct tp_req *req);

/*
 * Authenticates `req` (HTTP basic, or a Blue Ocean JWT bearer token when `verify_jwt` is set)
 * and checks it may do what it asks. Returns true to go on (req->user set); false after
 * answering 401 (bad or missing credentials) or 403 (not allowed), as JSON errors.
 */
bool tp_auth_request(struct tp_req *req, struct tp_resp *resp);

#endif
