/* SPDX-License-Identifier: MIT */
/*
 * `when` conditions, judged as the declarative plugin judges them. Pure: names come from
 * the evaluation context, the run's cause from the caller.
 */
#ifndef TP_ENGINE_WHEN_H
#define TP_ENGINE_WHEN_H

#include <stdbool.h>

#include "engine/eval.h"
#include "jenkinsfile/plan.h"

struct tp_buf;

struct tp_when_ctx {
    struct tp_eval_ctx eval;
    const char *cause_class; /* the class of the run's cause: "hudson.model.Cause$UserIdCause" */
    const char *cause_user;  /* the user of a user cause, or NULL */
    bool restarted;          /* the run restarted from a stage (isRestartedRun()) */
    /* Judges an `expression {}` body (Groovy-lite with the run's binding); NULL: the plain
     * evaluator of eval.h. */
    int (*truth)(void *ctx, const struct tp_block *body, bool *out, struct tp_buf *error);
    void *truth_ctx;
};

/*
 * Judges a condition (the top level of a `when` is an ALL_OF of its conditions).
 * Returns 0 with `*holds` set, or an error from evaluating an expression (message in
 * `error`).
 */
int tp_when_holds(const struct tp_plan_when *w, const struct tp_when_ctx *ctx, bool *holds,
                  struct tp_buf *error);

#endif
