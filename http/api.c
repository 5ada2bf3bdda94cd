/* SPDX-License-Identifier: MIT */
#include "http/api.h"

#include "http/auth.h"
#include "http/blue.h"
#include "http/classic.h"
#include "http/jwt.h"
#include "http/lint.h"
#include "http/router.h"
#include "http/sse.h"
#include "http/wfapi.h"

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
    return tp_router_dispatch(surfaces, sizeof(surfaces) / sizeof(surfaces[0]), req, resp);
}
