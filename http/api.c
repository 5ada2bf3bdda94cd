/* SPDX-License-Identifier: MIT */
#include "http/api.h"

#include "engine/engine.h"
#include "http/auth.h"
#include "http/blue.h"
#include "http/cache.h"
#include "http/classic.h"
#include "http/jwt.h"
#include "http/lint.h"
#include "http/router.h"
#include "http/sse.h"
#include "http/wfapi.h"
#include "store/store.h"

/* In order; a table that has no route for a path lets the next one try. */
static const struct tp_route_table *const surfaces[] = {
    &tp_blue_table, &tp_lint_table, &tp_wfapi_table,
    &tp_sse_table,  &tp_jwt_table,  &tp_classic_table, /* last: its prefix is every path */
};

int tp_api_handle(struct tp_req *req, struct tp_resp *resp)
{
    req->path = tp_router_fold_items(req->path, req->arena);
    if (!tp_auth_request(req, resp))
        return 0;
    /* A read the cache may answer: while no run is queued or running, and the store has not
     * moved since the answer was made. */
    struct tp_app *app = req->app;
    bool cached = app->cache != NULL && app->engine != NULL && app->store != NULL &&
                  tp_cache_eligible(req) && tp_engine_active(app->engine) == 0;
    uint64_t generation = cached ? tp_store_generation(app->store) : 0;
    if (cached && tp_cache_get(app->cache, req, generation, resp))
        return 0;
    int rc = tp_router_dispatch(surfaces, sizeof(surfaces) / sizeof(surfaces[0]), req, resp);
    if (cached && rc == 0 && tp_store_generation(app->store) == generation &&
        tp_engine_active(app->engine) == 0)
        tp_cache_put(app->cache, req, generation, resp);
    return rc;
}
