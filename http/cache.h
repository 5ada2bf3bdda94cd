/* SPDX-License-Identifier: MIT */
/*
 * The answers of read-only JSON routes, kept while nothing they are made of can have changed:
 * an entry holds the store's generation (its count of written rows) when it was made and is
 * good only while that is the generation and no run is queued or running (a running run's
 * durations move with the clock). A client polling a finished run, a dashboard listing jobs,
 * gets the bytes made for the previous identical request: same path and query, same caller.
 *
 * Bounded: at most TP_CACHE_SLOTS entries, none over TP_CACHE_MAX_ENTRY bytes, all together
 * under TP_CACHE_MAX_BYTES; an entry takes the slot of its key's hash. Loop thread only.
 */
#ifndef TP_HTTP_CACHE_H
#define TP_HTTP_CACHE_H

#include <stdbool.h>
#include <stdint.h>

struct tp_req;
struct tp_resp;
struct tp_cache;

enum {
    TP_CACHE_SLOTS = 512,
    TP_CACHE_MAX_ENTRY = 256 * 1024,
    TP_CACHE_MAX_BYTES = 8 * 1024 * 1024
};

struct tp_cache *tp_cache_new(void);
void tp_cache_free(struct tp_cache *cache);

/* Whether `req` is one the cache may answer: a GET (or HEAD) of a JSON route that only reads. */
bool tp_cache_eligible(const struct tp_req *req);
/* Fills `resp` with the answer kept for `req` at `generation`; false when there is none. */
bool tp_cache_get(struct tp_cache *cache, const struct tp_req *req, uint64_t generation,
                  struct tp_resp *resp);
/* Keeps `resp` (a 200 with an in-memory body) as the answer to `req` at `generation`. */
void tp_cache_put(struct tp_cache *cache, const struct tp_req *req, uint64_t generation,
                  const struct tp_resp *resp);

#endif
