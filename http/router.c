/* SPDX-License-Identifier: MIT */
#include "http/router.h"

#include <llhttp.h>
#include <string.h>

#include "common/err.h"
#include "common/str.h"

/* Next segment of `*p` (skipping one leading '/'); returns false at the end. */
static bool next_segment(const char **p, const char **start, size_t *len)
{
    while (**p == '/')
        (*p)++;
    if (**p == '\0')
        return false;
    *start = *p;
    const char *slash = strchr(*p, '/');
    *len = slash ? (size_t)(slash - *p) : strlen(*p);
    *p += *len;
    return true;
}

bool tp_router_match(const char *pattern, const char *path, struct tp_arena *arena,
                     const char **params, size_t *nparams)
{
    const char *pp = pattern, *qp = path;
    size_t n = 0;
    /* A path with an empty segment ("//") never matches: it is not a resource name. */
    if (strstr(path, "//") != NULL)
        return false;
    for (;;) {
        const char *ps, *qs;
        size_t pl, ql;
        bool more_pattern = next_segment(&pp, &ps, &pl);
        bool more_path = next_segment(&qp, &qs, &ql);
        if (!more_pattern || !more_path) {
            if (more_pattern != more_path)
                return false;
            *nparams = n;
            return true;
        }
        if (pl >= 3 && ps[0] == '{' && ps[1] == '+' && ps[pl - 1] == '}') {
            /* {+name}: the rest of the path, every segment */
            if (n >= TP_ROUTE_MAX_PARAMS)
                return false;
            size_t rest = strlen(qs);
            while (rest > 0 && qs[rest - 1] == '/')
                rest--;
            struct tp_buf value;
            tp_buf_init(&value);
            bool ok = tp_str_url_decode(qs, rest, false, &value) == 0;
            if (ok)
                params[n++] = tp_arena_strndup(arena, tp_buf_str(&value), value.len);
            tp_buf_close(&value);
            *nparams = n;
            return ok;
        }
        if (pl >= 2 && ps[0] == '{' && ps[pl - 1] == '}') {
            if (n >= TP_ROUTE_MAX_PARAMS)
                return false;
            struct tp_buf value;
            tp_buf_init(&value);
            if (tp_str_url_decode(qs, ql, false, &value) < 0) {
                tp_buf_close(&value);
                return false;
            }
            params[n++] = tp_arena_strndup(arena, tp_buf_str(&value), value.len);
            tp_buf_close(&value);
        } else if (pl != ql || memcmp(ps, qs, pl) != 0) {
            return false;
        }
    }
}

/* Folds "<marker>a<marker>b" from `at` (which points at the first marker) on. */
/* The length of `marker` or `alias` (NULL: none) when `p` starts with it and a name follows. */
static size_t marker_at(const char *p, const char *marker, const char *alias)
{
    const char *const both[] = { marker, alias };
    for (size_t i = 0; i < 2 && both[i] != NULL; i++) {
        size_t n = strlen(both[i]);
        if (strncmp(p, both[i], n) == 0 && p[n] != '\0' && p[n] != '/')
            return n;
    }
    return 0;
}

/* Folds "<marker>a<marker>b" (or "<marker>a<alias>b") from `at`, the first marker, on. */
static const char *fold_from(const char *path, const char *at, const char *marker,
                             const char *alias, struct tp_arena *arena)
{
    const char *p = at + strlen(marker);
    p += strcspn(p, "/");
    if (marker_at(p, marker, alias) == 0)
        return path;
    struct tp_buf out;
    tp_buf_init(&out);
    tp_buf_append(&out, path, (size_t)(p - path));
    /* "<marker>NAME" right after an item's segment: an item inside a folder */
    for (size_t mlen; (mlen = marker_at(p, marker, alias)) > 0;) {
        p += mlen;
        size_t len = strcspn(p, "/");
        tp_buf_puts(&out, "%2F");
        tp_buf_append(&out, p, len);
        p += len;
    }
    tp_buf_puts(&out, p);
    const char *folded = tp_arena_strdup(arena, tp_buf_str(&out));
    tp_buf_close(&out);
    return folded;
}

const char *tp_router_fold_items(const char *path, struct tp_arena *arena)
{
    static const char blue[] = "/blue/rest/organizations/";
    if (strncmp(path, "/job/", 5) == 0)
        return fold_from(path, path, "/job/", NULL, arena);
    if (strncmp(path, blue, sizeof(blue) - 1) == 0) {
        const char *org_end = path + sizeof(blue) - 1 + strcspn(path + sizeof(blue) - 1, "/");
        if (strncmp(org_end, "/pipelines/", 11) == 0)
            return fold_from(path, org_end, "/pipelines/", "/branches/", arena);
    }
    return path;
}

static bool is_json(const char *content_type)
{
    return content_type != NULL && strstr(content_type, "application/json") != NULL;
}

int tp_router_dispatch(const struct tp_route_table *const *tables, size_t ntables,
                       struct tp_req *req, struct tp_resp *resp)
{
    int method = req->head ? HTTP_GET : req->method;
    for (size_t t = 0; t < ntables; t++) {
        const struct tp_route_table *table = tables[t];
        size_t prefix_len = strlen(table->prefix);
        if (strncmp(req->path, table->prefix, prefix_len) != 0 ||
            (req->path[prefix_len] != '\0' && req->path[prefix_len] != '/' &&
             table->prefix[prefix_len - 1] != '/'))
            continue;
        bool path_matched = false;
        int err = 0;
        for (size_t i = 0; i < table->count; i++) {
            const struct tp_route *route = &table->routes[i];
            const char *params[TP_ROUTE_MAX_PARAMS];
            size_t nparams = 0;
            if (!tp_router_match(route->pattern, req->path, req->arena, params, &nparams))
                continue;
            path_matched = true;
            if (route->method != method)
                continue;
            memcpy(req->params, params, sizeof(params));
            req->nparams = nparams;
            bool writes = method == HTTP_POST || method == HTTP_PUT || method == HTTP_PATCH;
            if (table->json_writes && writes && !is_json(tp_req_header(req, "Content-Type")))
                tp_resp_error(resp, 415, "Content-Type: application/json required");
            else
                err = route->handler(req, resp);
            goto finish;
        }
        if (!path_matched)
            continue; /* another table may know the path (wfapi, then the classic API) */
        tp_resp_error(resp, 405, "Method %s not allowed on %s",
                      llhttp_method_name((llhttp_method_t)req->method), req->path);
finish:
        if (err < 0) {
            tp_resp_error(resp, tp_err_http_status(err), "%s", tp_strerror(err));
            err = 0;
        }
        if (table->finish != NULL)
            table->finish(req, resp);
        return err;
    }
    return tp_resp_error(resp, 404, "Not Found: %s", req->path);
}
