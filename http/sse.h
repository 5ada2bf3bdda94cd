/* SPDX-License-Identifier: MIT */
/*
 * The SSE gateway (spec §10): `/sse-gateway/connect`, `listen/<id>`, `configure`, `ping`.
 * A dispatcher per client id holds its subscriptions (channel + equality filters) and the
 * frames not yet written; its listener is an endless response body (text/event-stream) the
 * server writes as frames arrive. The engine's changes become the `job` and `pipeline`
 * channels' events (all values strings); they are matched and handed to dispatchers only when
 * the store has committed them (tp_sse_commit). An idle listener costs its dispatcher and
 * connection, nothing more: no timer, no work until an event matches. Sans I/O; loop thread.
 */
#ifndef TP_HTTP_SSE_H
#define TP_HTTP_SSE_H

#include "http/router.h"
#include "store/store.h"

struct tp_sse;

enum {
    TP_SSE_MAX_PENDING = 1 << 20,  /* bytes kept for a dispatcher that has no listener */
    TP_SSE_MAX_DISPATCHERS = 10000 /* clients known at once */
};

/* `root_url`: Jenkins' root ("http://127.0.0.1:8080/", jenkins_instance_url); copied. */
struct tp_sse *tp_sse_new(const char *root_url);
/* Frees the dispatchers; listeners still open end when next read. */
void tp_sse_free(struct tp_sse *sse);

/* The engine's listeners (tp_engine_events), to be called with what it reports. */
void tp_sse_on_run(struct tp_sse *sse, const struct tp_run_rec *run);
void tp_sse_on_node(struct tp_sse *sse, const struct tp_run_rec *run,
                    const struct tp_node_rec *node);
void tp_sse_on_step(struct tp_sse *sse, const struct tp_run_rec *run,
                    const struct tp_step_rec *step);
/* Item `name` was created, updated, deleted or renamed (from `old_name`): `event` is
 * job_crud_created, job_crud_updated, job_crud_deleted or job_crud_renamed. Sent with the
 * next commit. `sse` may be NULL. */
void tp_sse_on_item(struct tp_sse *sse, const char *event, const char *name, bool folder,
                    const char *old_name);
/* What was reported is committed: events go to the dispatchers that subscribed to them. */
void tp_sse_commit(struct tp_sse *sse);

/* The gateway's routes; they reach the gateway through req->app->sse. */
extern const struct tp_route_table tp_sse_table;

#endif
