/* SPDX-License-Identifier: MIT */
#include "http/blue_graph.h"

#include <stdint.h>
#include <string.h>

#include "common/str.h"

static int collect_node(void *ctx, const struct tp_node_rec *rec)
{
    struct tp_blue_graph *g = ctx;
    g->items = tp_arena_grow(g->arena, g->items, g->count, &g->cap, sizeof(*g->items));
    g->items[g->count++] = *rec;
    return 0;
}

static int load_own(struct tp_store *store, int64_t run_id, struct tp_arena *arena,
                    struct tp_blue_graph *out)
{
    memset(out, 0, sizeof(*out));
    out->arena = arena;
    return tp_store_node_list(store, run_id, arena, collect_node, out);
}

const struct tp_node_rec *tp_blue_graph_find(const struct tp_blue_graph *g, int64_t id)
{
    for (size_t i = 0; i < g->count; i++) {
        if (g->items[i].node_id == id)
            return &g->items[i];
    }
    return NULL;
}

size_t tp_blue_graph_edges(const struct tp_blue_graph *g, const struct tp_node_rec *node,
                           struct tp_arena *arena, struct tp_blue_edge **out)
{
    size_t n = 0, cap = 0;
    *out = NULL;
    const char *p = node->edges;
    while (*p) {
        while (*p == ' ')
            p++;
        size_t len = strcspn(p, " ");
        if (len == 0)
            break;
        int64_t id;
        const struct tp_node_rec *target =
            tp_str_to_i64(p, len, &id) == 0 ? tp_blue_graph_find(g, id) : NULL;
        if (target != NULL) {
            *out = tp_arena_grow(arena, *out, n, &cap, sizeof(**out));
            (*out)[n++] = (struct tp_blue_edge){ .id = id, .type = target->type };
        }
        p += len;
    }
    return n;
}

struct last_success {
    int64_t before; /* a run number: the success must be older */
    struct tp_run_rec found;
    bool has;
};

static int pick_success(void *ctx, const struct tp_run_rec *rec)
{
    struct last_success *c = ctx;
    if (rec->number >= c->before || rec->state != TP_STATE_FINISHED ||
        rec->result != TP_RESULT_SUCCESS)
        return 0;
    c->found = *rec;
    c->has = true;
    return 1; /* newest first: the first one is the last success */
}

int tp_blue_graph_load(struct tp_store *store, const struct tp_run_rec *run, bool with_future,
                       struct tp_arena *arena, struct tp_blue_graph *out)
{
    int err = load_own(store, run->id, arena, out);
    if (err < 0 || !with_future ||
        (run->state == TP_STATE_FINISHED && run->result == TP_RESULT_SUCCESS))
        return err;
    struct last_success last = { .before = run->number };
    struct tp_blue_graph before;
    if (tp_store_run_list(store, run->pipeline_id, TP_RUNS_BUILDS, 0, INT64_MAX, arena,
                          pick_success, &last) < 0 ||
        !last.has || load_own(store, last.found.id, arena, &before) < 0)
        return 0; /* no union: the run's own nodes */
    for (size_t i = 0; i < out->count; i++) {
        const struct tp_node_rec *a = &out->items[i], *b = tp_blue_graph_find(&before, a->node_id);
        if (b == NULL || b->type != a->type || strcmp(b->name, a->name) != 0 ||
            b->parent != a->parent)
            return 0; /* another shape: no union */
    }
    struct tp_blue_graph merged = { .arena = arena };
    merged.future = tp_arena_alloc(arena, before.count * sizeof(bool) + 1);
    for (size_t i = 0; i < before.count; i++) {
        const struct tp_node_rec *current = tp_blue_graph_find(out, before.items[i].node_id);
        merged.items =
            tp_arena_grow(arena, merged.items, merged.count, &merged.cap, sizeof(*merged.items));
        merged.future[merged.count] = current == NULL;
        merged.items[merged.count++] = current != NULL ? *current : before.items[i];
    }
    *out = merged;
    return 0;
}
