/* SPDX-License-Identifier: MIT */
/*
 * The milestone step (pipeline-milestone-step): builds of a job pass its milestones in the
 * order of their numbers. A build reaching a milestone a newer build already passed is
 * cancelled (NOT_BUILT); a build passing a milestone cancels the older builds still between
 * the milestone it leaves and this one (and when a build ends, the older ones behind its last
 * milestone). Ordinals are given (`milestone 10`) or counted from 0. In memory, per job.
 */
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "engine/engine_int.h"

struct milestone {
    int64_t pipeline_id;
    long long ordinal;
    int64_t last_build; /* the newest build that passed it, 0: none */
    int64_t *in_sight;  /* builds that passed it and not the next one yet */
    size_t nsight, cap;
};

struct tp_milestones {
    struct milestone *items;
    size_t count, cap;
};

struct tp_milestones *tp_milestones_new(void)
{
    return tp_xcalloc(1, sizeof(struct tp_milestones));
}

void tp_milestones_free(struct tp_milestones *ms)
{
    if (ms == NULL)
        return;
    for (size_t i = 0; i < ms->count; i++)
        free(ms->items[i].in_sight);
    free(ms->items);
    free(ms);
}

static struct milestone *find(struct tp_milestones *ms, int64_t pipeline_id, long long ordinal)
{
    for (size_t i = 0; i < ms->count; i++) {
        if (ms->items[i].pipeline_id == pipeline_id && ms->items[i].ordinal == ordinal)
            return &ms->items[i];
    }
    if (ms->count == ms->cap) {
        ms->cap = ms->cap ? ms->cap * 2 : 8;
        ms->items = tp_xrealloc(ms->items, ms->cap * sizeof(*ms->items));
    }
    struct milestone *m = &ms->items[ms->count++];
    memset(m, 0, sizeof(*m));
    m->pipeline_id = pipeline_id;
    m->ordinal = ordinal;
    return m;
}

/* Takes build `number` out of the milestone's sight; whether it was in it. */
static bool went_away(struct milestone *m, int64_t number)
{
    for (size_t i = 0; i < m->nsight; i++) {
        if (m->in_sight[i] == number) {
            m->in_sight[i] = m->in_sight[--m->nsight];
            return true;
        }
    }
    return false;
}

/* The builds in the milestone's sight older than `run` are superseded by it. */
static void cancel_older(struct milestone *m, struct run *run)
{
    for (size_t i = 0; i < m->nsight; i++) {
        if (m->in_sight[i] < run->rec.number)
            tp_engine_supersede(run->engine, m->pipeline_id, m->in_sight[i], run->rec.number);
    }
}

static bool inside_parallel(const struct frame *f)
{
    for (const struct frame *p = f; p != NULL; p = p->parent) {
        if (p->branch != NULL || (p->stage != NULL && p->stage->node_kind == TP_PLAN_NODE_BRANCH))
            return true;
    }
    return false;
}

enum tp_step_status tp_step_milestone(struct frame *f, const struct tp_plan_step *step)
{
    struct run *run = f->run;
    struct tp_milestones *ms = tp_engine_milestones(run->engine);
    const struct tp_expr *unsafe = tp_ast_named_arg(step->call, "unsafe");
    if (inside_parallel(f) && !(unsafe != NULL && unsafe->kind == TP_EXPR_BOOL && unsafe->flag)) {
        tp_frame_fail(f, TP_RESULT_FAILURE, true,
                      "Using a milestone step inside parallel is not allowed");
        f->step.result = TP_RESULT_FAILURE;
        return TP_STEP_DONE;
    }
    long long ordinal = run->milestone_ordinal + 1;
    const struct tp_expr *given = tp_step_arg(step->call, "ordinal");
    if (given != NULL) {
        long long n;
        if (tp_frame_eval_count(f, "milestone", given, &n) < 0) {
            f->step.result = TP_RESULT_FAILURE;
            return TP_STEP_DONE;
        }
        if (run->milestone_ordinal >= 0 && run->milestone_ordinal >= n) {
            tp_frame_fail(f, TP_RESULT_FAILURE, true,
                          tp_arena_printf(&run->arena,
                                          "Invalid ordinal %lld, as the previous one was %lld", n,
                                          run->milestone_ordinal));
            f->step.result = TP_RESULT_FAILURE;
            return TP_STEP_DONE;
        }
        ordinal = n;
    }
    const char *label = NULL;
    tp_frame_eval_text(f, tp_ast_named_arg(step->call, "label"), &label);
    f->step.description = label;
    tp_run_logf(run, "Trying to pass milestone %lld\n", ordinal);
    struct milestone *m = find(ms, run->rec.pipeline_id, ordinal);
    /* it leaves the milestone it was at: the older builds behind it there are superseded */
    for (size_t i = 0; i < ms->count; i++) {
        struct milestone *other = &ms->items[i];
        if (other == m || other->pipeline_id != run->rec.pipeline_id ||
            !went_away(other, run->rec.number))
            continue;
        cancel_older(other, run);
        m = find(ms, run->rec.pipeline_id, ordinal); /* cancelling never adds one; be sure */
    }
    run->milestone_ordinal = ordinal;
    if (m->last_build > run->rec.number) {
        tp_run_logf(run, "Canceled since build #%lld already got here\n", (long long)m->last_build);
        tp_frame_fail(f, TP_RESULT_NOT_BUILT, false,
                      tp_arena_printf(&run->arena, "Superseded by %s#%lld", run->rec.pipeline,
                                      (long long)m->last_build));
        f->step.result = TP_RESULT_NOT_BUILT;
        return TP_STEP_DONE;
    }
    m->last_build = run->rec.number;
    if (m->nsight == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 4;
        m->in_sight = tp_xrealloc(m->in_sight, m->cap * sizeof(*m->in_sight));
    }
    m->in_sight[m->nsight++] = run->rec.number;
    f->step.result = TP_RESULT_SUCCESS;
    return TP_STEP_DONE;
}

void tp_milestones_run_end(struct run *run)
{
    if (run->milestone_ordinal < 0)
        return;
    struct tp_milestones *ms = tp_engine_milestones(run->engine);
    for (size_t i = 0; i < ms->count; i++) {
        struct milestone *m = &ms->items[i];
        if (m->pipeline_id == run->rec.pipeline_id && went_away(m, run->rec.number))
            cancel_older(m, run);
    }
}
