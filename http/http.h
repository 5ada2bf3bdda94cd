/* SPDX-License-Identifier: MIT */
/*
 * Types shared by the HTTP room: a parsed request, a response under construction, and the
 * application context handlers reach the store and engine through. A request's memory comes
 * from its arena, freed when the response has been produced.
 */
#ifndef TP_HTTP_HTTP_H
#define TP_HTTP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/mem.h"

struct tp_store;
struct tp_engine;
struct tp_sse;
struct tp_users;
struct tp_user;
struct tp_jwt;

/* What handlers can reach. Borrowed by every connection. */
struct tp_cache;

struct tp_app {
    struct tp_store *store;
    struct tp_engine *engine;
    const char *version;    /* X-Jenkins */
    const char *session;    /* X-Jenkins-Session */
    struct tp_sse *sse;     /* the SSE gateway's dispatchers, or NULL */
    struct tp_users *users; /* serve --users: security is on; NULL: everyone may do anything */
    struct tp_jwt *jwt;     /* Blue Ocean JWT signer (with users), or NULL */
    struct tp_cache *cache; /* answers of read-only routes (http/cache.h), or NULL */
};

struct tp_header {
    const char *name; /* as received */
    const char *value;
};

enum {
    TP_ROUTE_MAX_PARAMS = 8
};

struct tp_req {
    int method; /* llhttp_method_t; HEAD is answered as GET without a body */
    bool head;
    const char *path;  /* raw path, without the query */
    const char *query; /* raw query without '?', "" when none */
    struct tp_header *headers;
    size_t nheaders;
    const char *body;
    size_t body_len;
    const char *params[TP_ROUTE_MAX_PARAMS]; /* decoded {name} captures, in pattern order */
    size_t nparams;
    struct tp_arena *arena;
    struct tp_app *app;
    const struct tp_user *user; /* who it comes from (http/auth.h); NULL: anonymous */
};

/*
 * A response body produced piece by piece (a log that may be far larger than memory).
 * `read` appends up to about `max` bytes to `out` and returns 0, 1 when the body is
 * complete, or a negative error (the connection is then closed).
 *
 * A source owns everything it reads: the request (its arena) is gone once the body starts.
 *
 * An endless body (source_length < 0: an event stream) has no Content-Length and ends with
 * the connection. Its `read` may append nothing; the source then calls `wake(wake_ctx)`
 * (set by the server when the stream starts) once it has more, and `read` is called again.
 */
struct tp_body_source {
    int (*read)(struct tp_body_source *src, struct tp_buf *out, size_t max);
    void (*free)(struct tp_body_source *src);
    void (*wake)(void *wake_ctx);
    void *wake_ctx;
};

struct tp_resp {
    int status;
    const char *content_type; /* NULL: no body type */
    struct tp_buf headers;    /* extra "Name: value\r\n" lines */
    struct tp_buf body;
    struct tp_body_source *source; /* when set, the body comes from here ... */
    int64_t source_length;         /* ... and is exactly this long (< 0: endless) */
};

/* The value of header `name` (case-insensitive), or NULL. */
const char *tp_req_header(const struct tp_req *req, const char *name);
/*
 * Finds query parameter `name`; `*value` gets its decoded value ("" for a bare `name`).
 * Returns true when present.
 */
bool tp_req_query(const struct tp_req *req, const char *name, const char **value);

void tp_resp_header(struct tp_resp *resp, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/*
 * Sets a Blue Ocean error: status and the JSON body {"message", "code", "errors": []}
 * printed as Jenkins prints it. Returns 0 so handlers can `return tp_resp_error(...)`.
 */
int tp_resp_error(struct tp_resp *resp, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
