/* SPDX-License-Identifier: MIT */
#include "http/cache.h"

#include <stdlib.h>
#include <string.h>

#include <llhttp.h>

#include "common/buf.h"
#include "common/mem.h"
#include "common/str.h"
#include "http/auth.h"
#include "http/http.h"

struct entry {
    bool used;
    uint64_t generation;
    struct tp_buf key; /* method, path, query, caller */
    int status;
    char *content_type;
    struct tp_buf headers, body;
};

struct tp_cache {
    struct entry slots[TP_CACHE_SLOTS];
    size_t bytes;      /* of the entries' keys, headers and bodies */
    struct tp_buf key; /* scratch: the key of the request at hand */
};

struct tp_cache *tp_cache_new(void)
{
    struct tp_cache *cache = tp_xcalloc(1, sizeof(*cache));
    tp_buf_init(&cache->key);
    return cache;
}

static size_t entry_bytes(const struct entry *e)
{
    return e->key.len + e->headers.len + e->body.len;
}

static void entry_clear(struct tp_cache *cache, struct entry *e)
{
    if (!e->used)
        return;
    cache->bytes -= entry_bytes(e);
    tp_buf_close(&e->key);
    tp_buf_close(&e->headers);
    tp_buf_close(&e->body);
    free(e->content_type);
    memset(e, 0, sizeof(*e));
}

void tp_cache_free(struct tp_cache *cache)
{
    if (cache == NULL)
        return;
    for (size_t i = 0; i < TP_CACHE_SLOTS; i++)
        entry_clear(cache, &cache->slots[i]);
    tp_buf_close(&cache->key);
    free(cache);
}

bool tp_cache_eligible(const struct tp_req *req)
{
    if (req->method != HTTP_GET && req->method != HTTP_HEAD)
        return false;
    /* Blue Ocean's resources (its logs and the SSE gateway are elsewhere or streamed), and
     * the classic API's .../api/json */
    if (tp_str_starts_with(req->path, "/blue/rest/"))
        return strstr(req->path, "/log") == NULL;
    return tp_str_ends_with(req->path, "/api/json") || tp_str_ends_with(req->path, "/api/json/");
}

/* The request's key in the scratch buffer, and the slot it hashes to (FNV-1a). */
static struct entry *slot_of(struct tp_cache *cache, const struct tp_req *req)
{
    struct tp_buf *k = &cache->key;
    tp_buf_reset(k);
    tp_buf_puts(k, req->path);
    tp_buf_putc(k, '?');
    tp_buf_puts(k, req->query);
    tp_buf_putc(k, '\n');
    if (req->user != NULL)
        tp_buf_puts(k, req->user->name);
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < k->len; i++)
        h = (h ^ (unsigned char)k->data[i]) * 1099511628211ULL;
    return &cache->slots[h % TP_CACHE_SLOTS];
}

bool tp_cache_get(struct tp_cache *cache, const struct tp_req *req, uint64_t generation,
                  struct tp_resp *resp)
{
    struct entry *e = slot_of(cache, req);
    if (!e->used || e->generation != generation || e->key.len != cache->key.len ||
        memcmp(e->key.data, cache->key.data, e->key.len) != 0)
        return false;
    resp->status = e->status;
    resp->content_type = e->content_type; /* the entry outlives the answer's writing */
    if (e->headers.len > 0)
        tp_buf_append(&resp->headers, e->headers.data, e->headers.len);
    if (e->body.len > 0)
        tp_buf_append(&resp->body, e->body.data, e->body.len);
    return true;
}

void tp_cache_put(struct tp_cache *cache, const struct tp_req *req, uint64_t generation,
                  const struct tp_resp *resp)
{
    if (resp->status != 200 || resp->source != NULL || resp->content_type == NULL ||
        resp->body.len > TP_CACHE_MAX_ENTRY)
        return;
    struct entry *e = slot_of(cache, req);
    entry_clear(cache, e);
    size_t size = cache->key.len + resp->headers.len + resp->body.len;
    if (cache->bytes + size > TP_CACHE_MAX_BYTES) {
        for (size_t i = 0; i < TP_CACHE_SLOTS; i++) /* full: start again */
            entry_clear(cache, &cache->slots[i]);
    }
    e->used = true;
    e->generation = generation;
    tp_buf_init(&e->key);
    tp_buf_append(&e->key, cache->key.data, cache->key.len);
    e->status = resp->status;
    e->content_type = tp_xstrdup(resp->content_type);
    tp_buf_init(&e->headers);
    if (resp->headers.len > 0)
        tp_buf_append(&e->headers, resp->headers.data, resp->headers.len);
    tp_buf_init(&e->body);
    if (resp->body.len > 0)
        tp_buf_append(&e->body, resp->body.data, resp->body.len);
    cache->bytes += entry_bytes(e);
}
