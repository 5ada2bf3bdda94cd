/* SPDX-License-Identifier: MIT */
/* Private to engine/: a run being executed and its frames, shared by the walker (engine.c)
 * and the steps (steps.c). */
#ifndef TP_ENGINE_ENGINE_INT_H
#define TP_ENGINE_ENGINE_INT_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "common/mem.h"
#include "engine/engine.h"
#include "engine/linebuf.h"
#include "executor/exec.h"
#include "jenkinsfile/plan.h"

/* An environment: KEY=VALUE strings (malloc'd), later entries win. */
struct tp_envlist {
    char **items;
    size_t count, cap;
};

void tp_env_init(struct tp_envlist *env);
void tp_env_close(struct tp_envlist *env);
void tp_env_set(struct tp_envlist *env, const char *key, const char *value);
const char *tp_env_get(const struct tp_envlist *env, const char *key);
/* Copies every entry of `from` into `env`. */
void tp_env_merge(struct tp_envlist *env, const struct tp_envlist *from);

struct frame;

struct run {
    struct tp_engine *engine;
    struct run *next; /* in the queue or the active list */
    struct tp_arena arena;
    struct tp_run_rec rec;
    struct tp_plan *plan;
    char *workspace;
    int executor; /* slot number, -1 while queued */
    bool aborting;
    const char *abort_message; /* why the run is being aborted ("Aborted by anonymous") */
    bool pipeline_started;     /* "[Pipeline] Start of Pipeline" is in the log */
    struct frame *root;

    /* The error that ends the run (the first one): printed as "ERROR: message" when
     * `abort_style`, else as an exception line. */
    bool failed;
    bool abort_style;
    struct tp_buf error;
    enum tp_result result;
    enum tp_result previous_result; /* of the last finished run before this one, or NONE */

    struct tp_envlist env; /* build env: core variables + pipeline environment */
    cJSON *params;         /* the run's parameter values, [{"name":..,"value":..}] or NULL */

    /* The log chunk being assembled: consecutive bytes of one step (or of none). */
    struct tp_buf pending;
    struct frame *pending_frame; /* whose step the bytes belong to, NULL for none */
    int64_t pending_step;
};

/*
 * A frame executes one stage (or, for the root, the pipeline's top-level stages): its steps
 * one after the other, its nested stages in sequence, or its branches all at once. Life:
 *
 *   new --enter--> running --(steps | children done)--> finish (leave, tell parent, free)
 *
 * A frame waits only on a child process or on child frames; each completion calls
 * frame_continue(), which runs until the frame must wait again (never recursing on
 * synchronous progress).
 */
enum frame_mode {
    FRAME_STEPS,
    FRAME_SEQUENCE,
    FRAME_PARALLEL
};

struct frame {
    struct run *run;
    struct frame *parent;
    struct frame *first_child, *next_sibling; /* frames running inside this one */
    const struct tp_plan_stage *stage;        /* NULL for the root */
    enum frame_mode mode;
    size_t index; /* next step or child */
    int running;  /* PARALLEL: branches not finished yet */
    bool entered, started, busy, kick, aborting, body_done;
    bool skipped; /* `when` did not hold: the stage (and all inside it) is SKIPPED */
    bool failed;  /* a step or a child failed: later stages of a sequence are skipped */
    enum tp_result result;
    struct tp_node_rec node;
    struct tp_envlist env; /* the environment inside this stage */

    /* The post section, run after the body: the condition being considered, whether its
     * block is running, the next step of that block, and whether one of them failed. */
    const struct tp_plan_post *post;
    int post_condition;
    bool post_started, post_done, post_block_active, post_block_failed;
    size_t post_index;

    /* The step in flight (STEPS frames and post blocks). */
    struct tp_step_rec step;
    bool step_active;
    bool kill_sent;         /* the step's process was told to stop */
    const char *step_error; /* the message that failed the current step, or NULL */
    int64_t step_log_size;
    struct tp_child *child;
    struct tp_linebuf lines;
    char *script_dir;
};

/* Appends log bytes to the run's console, and to `f`'s current step's log when f != NULL. */
void tp_frame_log(struct run *run, struct frame *f, const char *data, size_t len);
/* Appends a NUL-terminated line of the pipeline itself (no step). */
void tp_run_puts(struct run *run, const char *text);
void tp_run_logf(struct run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The outcome of starting a step. */
enum tp_step_status {
    TP_STEP_DONE,   /* finished synchronously; f->step.result holds the result */
    TP_STEP_PENDING /* runs on; tp_frame_step_finished() will be called */
};

/* Completes the current step of `f` with `result` (and `error`, NULL on success), then
 * resumes the frame. For steps that finish asynchronously. */
void tp_frame_step_finished(struct frame *f, enum tp_result result, const char *error);

/* Records `message` as the error that fails `f` (and, the first time, the run). */
void tp_frame_fail(struct frame *f, enum tp_result result, bool abort_style, const char *message);

/* Evaluates `e` as a string in `f`'s environment; on failure fails `f` and returns it. */
int tp_frame_eval(struct frame *f, const struct tp_expr *e, struct tp_buf *out);

/* The environment a child process of `f` gets: the server's own plus the frame's. Free with
 * tp_env_close. */
void tp_frame_child_env(struct frame *f, struct tp_envlist *out);

struct tp_step_def {
    const char *name;
    const char *display_name;
    bool needs_node; /* runs on an agent's workspace (sh), or anywhere (echo) */
    /* Sets f->step.description (if any) and starts the step. */
    enum tp_step_status (*start)(struct frame *f, const struct tp_plan_step *step);
};

/* The step named `name`, or NULL. */
const struct tp_step_def *tp_steps_find(const char *name);
/* Whether `name` is a step Jenkins has that tidepool does not run yet. */
bool tp_steps_is_jenkins(const char *name);
/* "[echo, sh]": the list Jenkins prints in its No such DSL method message. */
void tp_steps_list(struct tp_buf *out);

/* The loop, for steps that start processes. */
uv_loop_t *tp_engine_loop(struct tp_engine *engine);

#endif
