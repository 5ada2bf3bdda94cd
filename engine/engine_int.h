/* SPDX-License-Identifier: MIT */
/* Private to engine/: the run being executed, shared by the walker (engine.c) and the steps
 * (steps.c). */
#ifndef TP_ENGINE_ENGINE_INT_H
#define TP_ENGINE_ENGINE_INT_H

#include <stdbool.h>

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

struct run {
    struct tp_engine *engine;
    struct run *next; /* in the queue or the active list */
    struct tp_arena arena;
    struct tp_run_rec rec;
    struct tp_plan *plan;
    char *workspace;
    int executor; /* slot number, -1 while queued */
    bool aborting;
    bool pipeline_started; /* "[Pipeline] Start of Pipeline" is in the log */

    /* Where the walk is. */
    size_t stage_index;
    size_t step_index;
    bool in_stage;
    struct tp_node_rec node; /* the current stage's node row */
    struct tp_step_rec step; /* the current step's row */
    bool step_active;

    /* The error that ends the run, if any: `message` printed as "ERROR: message" when
     * `abort_style`, else as an exception line. */
    bool failed;
    bool abort_style;
    struct tp_buf error;
    enum tp_result result;

    struct tp_envlist env;       /* build env: core variables + pipeline environment */
    struct tp_envlist stage_env; /* plus the current stage's environment */

    /* The sh step in flight. */
    struct tp_child *child;
    struct tp_linebuf lines;
    char *script_dir;

    /* The log chunk being assembled: consecutive bytes of one step (or of none). */
    struct tp_buf pending;
    int64_t pending_step;
    int64_t step_log_size;
};

/* Appends log bytes to the run's console (and to the current step's log when step_id). */
void tp_run_log(struct run *run, int64_t step_id, const char *data, size_t len);
/* Appends a NUL-terminated line of the pipeline itself (no step). */
void tp_run_puts(struct run *run, const char *text);
void tp_run_logf(struct run *run, int64_t step_id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The outcome of starting a step. */
enum tp_step_status {
    TP_STEP_DONE,   /* finished synchronously; run->step holds the result */
    TP_STEP_PENDING /* runs on; tp_run_step_finished() will be called */
};

/* Completes the current step with `result` (and `error` message, NULL on success), then
 * resumes the walk. For steps that finish asynchronously. */
void tp_run_step_finished(struct run *run, enum tp_result result, const char *error);

/* Records `message` as the error ending the current step (and the run). */
void tp_run_fail(struct run *run, enum tp_result result, bool abort_style, const char *message);

/* Evaluates `e` as a string in the current stage's context; on failure records the error
 * and returns it. */
int tp_run_eval(struct run *run, const struct tp_expr *e, struct tp_buf *out);

struct tp_step_def {
    const char *name;
    const char *display_name;
    bool needs_node; /* runs on an agent's workspace (sh), or anywhere (echo) */
    /* Sets run->step.description (if any) and starts the step. */
    enum tp_step_status (*start)(struct run *run, const struct tp_plan_step *step);
};

/* The step named `name`, or NULL. */
const struct tp_step_def *tp_steps_find(const char *name);
/* Whether `name` is a step Jenkins has that tidepool does not run yet. */
bool tp_steps_is_jenkins(const char *name);
/* "[echo, sh]": the list Jenkins prints in its No such DSL method message. */
void tp_steps_list(struct tp_buf *out);

/* The loop, the executor options and the data directory, for steps. */
uv_loop_t *tp_engine_loop(struct tp_engine *engine);
/* The environment a child process gets: the server's own plus the run's. Free with
 * tp_env_close. */
void tp_run_child_env(struct run *run, struct tp_envlist *out);

#endif
