/* SPDX-License-Identifier: MIT */
/*
 * A run's nodes as Blue Ocean lists them: the stored nodes, or (for a run that has not
 * succeeded) their union with the last successful run's, where the stages not reached yet are
 * "future" nodes (spec 5.6). Shared by every surface that shows Blue Ocean's graph.
 */
#ifndef TP_HTTP_BLUE_GRAPH_H
#define TP_HTTP_BLUE_GRAPH_H

#include <stdbool.h>
#include <stddef.h>

#include "common/mem.h"
#include "http/blue_json.h"
#include "store/store.h"

struct tp_blue_graph {
    struct tp_node_rec *items; /* in Blue Ocean's order */
    size_t count, cap;
    bool *future; /* per item: a future node; NULL when there are none */
    struct tp_arena *arena;
};

/*
 * Loads `run`'s nodes into `out` (allocated in `arena`); with `with_future`, the union with
 * the last successful run older than it — only when every node it has matches one of that
 * run's (same id, type, name and parent); else its own nodes. Returns 0 or TP_EDB.
 */
int tp_blue_graph_load(struct tp_store *store, const struct tp_run_rec *run, bool with_future,
                       struct tp_arena *arena, struct tp_blue_graph *out);

/* The node with flow-node id `id`, or NULL. */
const struct tp_node_rec *tp_blue_graph_find(const struct tp_blue_graph *g, int64_t id);

/* The edges of `node` that point at nodes of `g`, with their types (Blue Ocean never links
 * to a node it does not list). Returns how many; `*out` is in `arena`. */
size_t tp_blue_graph_edges(const struct tp_blue_graph *g, const struct tp_node_rec *node,
                           struct tp_arena *arena, struct tp_blue_edge **out);

#endif
