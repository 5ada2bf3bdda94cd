/* SPDX-License-Identifier: MIT */
/*
 * Groovy in a run (private to engine/): `script {}` blocks, the block steps their code calls
 * (dir, withEnv, timeout, retry, catchError, warnError), `expression {}` of `when`, and the
 * file's top-level statements.
 *
 * A script block runs in a frame of its own (FRAME_SCRIPT). The interpreter (groovy.h) runs the
 * block's code in passes. A step call that is not in the frame's memo starts the step in that
 * frame; when the step ends, its outcome (value, or the exception it throws) is appended to the
 * memo and the block runs again from its start: calls already in the memo return their
 * recorded outcome at once, and output, logs and side effects happen only past the last
 * recorded call (the pass is "live" there). A pass is deterministic given its memo, so every
 * pass sees the same values. A block step called from Groovy (`dir('x') { ... }`) runs its
 * closure as a child FRAME_SCRIPT frame inside the engine's block frame, so dir, withEnv,
 * timeout, retry and catchError behave as they do in declarative steps; the child starts from
 * the variables the closure sees and hands back, through the memo, the values it changed.
 *
 * Variables without `def` (the binding) live across the run's script blocks; `env.X = v`
 * changes the build's environment from then on.
 */
#ifndef TP_ENGINE_SCRIPT_H
#define TP_ENGINE_SCRIPT_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "jenkinsfile/ast.h"
#include "store/store.h"

struct frame;
struct run;
struct tp_buf;
struct tp_plan_step;
struct tp_script_state;

/* The state of a `script {}` step's frame: runs `step`'s closure. */
struct tp_script_state *tp_script_new(const struct tp_plan_step *step);
void tp_script_free(struct tp_script_state *script);
/* Forgets every pass and recorded call: the block runs again from scratch (retry). */
void tp_script_reset(struct tp_script_state *script);

/* What a pass of a script frame came to. */
enum tp_script_progress {
    TP_SCRIPT_DONE, /* the block ended (its outcome is on the frame) */
    TP_SCRIPT_WAIT  /* a step or a child frame runs: the frame continues when it ends */
};

/* Runs the next pass of FRAME_SCRIPT frame `f`. */
enum tp_script_progress tp_script_advance(struct frame *f);
/* The step `f` was running ended: records its outcome for the next pass. `value` (may be
 * NULL) is its return value, taken by the script. */
void tp_script_step_ended(struct frame *f, enum tp_result result, const char *error, cJSON *value);
/* A script state that evaluates `value` (an `environment {}` value that calls a function):
 * its block is that one expression. Free with tp_script_free. */
struct tp_script_state *tp_script_for_value(const struct tp_expr *value);
/* Appends the block's value as a string ("null" when none) to `out`. */
void tp_script_result_text(const struct tp_script_state *script, struct tp_buf *out);
/* Whether the block's value (its `return`, or its last expression) is Groovy-true. */
bool tp_script_result_truth(const struct tp_script_state *script);
/* Branch `branch` of a parallel script frame `p` called has ended: what it changed (binding,
 * variables, env writes) is merged with the other branches', for `p` to see after the
 * parallel. */
void tp_script_branch_ended(struct frame *p, struct frame *branch);
/* Child frame `c` of script frame `p` ended: records its outcome for `p`'s next pass. */
void tp_script_child_ended(struct frame *p, struct frame *c);

/* Runs the top-level statements of the run's Jenkinsfile (outside `pipeline {}`); their
 * variables become the first binding. Returns 0, or TP_EINVAL with `error` set. */
int tp_script_prologue(struct run *run, struct tp_buf *error);
/* `expression { ... }` of a `when`, evaluated in frame `f`: its Groovy truth in *out.
 * Returns 0, or TP_EINVAL with `error` set (a step call inside is refused). */
int tp_script_truth(struct frame *f, const struct tp_block *body, bool *out, struct tp_buf *error);
/* Evaluates an expression outside script blocks (a GString of a step's argument, an
 * `environment {}` value) in frame `f`, with the run's binding: its string into `out`, or its
 * number into *out (*is_number false, and its text in `text`, when it is not a number).
 * Returns 0, or TP_EINVAL with `error` set as Jenkins prints the exception. */
int tp_script_eval_string(struct frame *f, const struct tp_expr *e, struct tp_buf *out,
                          struct tp_buf *error);
int tp_script_eval_number(struct frame *f, const struct tp_expr *e, long long *out, bool *is_number,
                          struct tp_buf *text, struct tp_buf *error);
/* Drops the run's binding. */
void tp_script_run_end(struct run *run);

#endif
