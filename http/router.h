/* SPDX-License-Identifier: MIT */
/*
 * Routing: each API surface is one table of method + path pattern -> handler, readable on
 * one screen (Blue Ocean today; the classic API, KubeSphere, Rancher, CodeArts slot in as
 * more tables). Patterns are matched segment by segment, no regexes: `{name}` captures one
 * percent-decoded segment, `{+name}` (last) the rest of the path; a trailing '/' is optional on
 * both sides. Pure.
 */
#ifndef TP_HTTP_ROUTER_H
#define TP_HTTP_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "http/http.h"

typedef int (*tp_route_fn)(struct tp_req *req, struct tp_resp *resp);

struct tp_route {
    int method;          /* llhttp_method_t; a GET route also answers HEAD */
    const char *pattern; /* "/blue/rest/organizations/{org}/pipelines/{pipeline}/" */
    tp_route_fn handler;
};

struct tp_route_table {
    const char *prefix; /* only paths under this prefix are tried against the table */
    const struct tp_route *routes;
    size_t count;
    /* Blue Ocean's rule: POST/PUT/PATCH need a JSON Content-Type, else 415. */
    bool json_writes;
    /* Called for every response from this table, errors included (common headers). */
    void (*finish)(struct tp_req *req, struct tp_resp *resp);
};

/*
 * Matches `path` against `pattern`; on a match, fills params (decoded, in the arena).
 * Returns true on a match. Pure.
 */
bool tp_router_match(const char *pattern, const char *path, struct tp_arena *arena,
                     const char **params, size_t *nparams);

/*
 * Folder paths in one segment, so that a `{job}` or `{pipeline}` capture is the item's full
 * name "a/b": Jenkins' "/job/a/job/b/rest" becomes "/job/a%2Fb/rest", Blue Ocean's
 * ".../organizations/O/pipelines/a/pipelines/b/rest" becomes ".../pipelines/a%2Fb/rest", and a
 * multibranch pipeline's
 * ".../pipelines/m/branches/b/rest" the same (a folder's own "pipelines/" and "branches/"
 * lists stay). Other paths come back as they are. Pure.
 */
const char *tp_router_fold_items(const char *path, struct tp_arena *arena);

/*
 * Finds the route for `req` among the tables (in order; a table whose prefix fits but which
 * has no pattern for the path lets the next ones try) and calls its handler. 404 when no
 * pattern matches, 405 when a pattern matches with another method, 415 per json_writes.
 * Returns 0, or what the handler returned.
 */
int tp_router_dispatch(const struct tp_route_table *const *tables, size_t ntables,
                       struct tp_req *req, struct tp_resp *resp);

#endif
