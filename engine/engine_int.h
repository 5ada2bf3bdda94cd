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
void tp_env_unset(struct tp_envlist *env, const char *key);
const char *tp_env_get(const struct tp_envlist *env, const char *key);
/* Copies every entry of `from` into `env`. */
void tp_env_merge(struct tp_envlist *env, const struct tp_envlist *from);

struct frame;
struct tp_gmap;
struct tp_script_state;

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
    bool spawned;              /* a process of the run was started (the run was committed) */
    struct frame *root;
    const char *script_dir; /* where its sh scripts are written, once one was */

    /* The error that ends the run (the first one): printed as "ERROR: message" when
     * `abort_style`, else as an exception line. */
    bool failed;
    bool abort_style;
    struct tp_buf error;
    enum tp_result result;
    enum tp_result previous_result; /* of the last finished run before this one, or NONE */
    enum tp_result result_floor;    /* raised by catchError(buildResult:) and unstable */
    bool skip_after_unstable;       /* options { skipStagesAfterUnstable() } */
    bool exclusive;                 /* options { disableConcurrentBuilds() } */
    long long keep_runs, keep_days; /* the job's config.xml build discarder, -1: none */
    /* Pipeline script from SCM (the job's config.xml): repository, branch, script path, and
     * the commit the run's script came from; NULL for an inline script */
    const char *scm_url, *scm_branch, *scm_path, *scm_commit;
    const char *branch;     /* a multibranch branch job's branch (BRANCH_NAME), or NULL */
    struct tp_child *fetch; /* the git process reading the script, while it runs */
    int64_t not_before_ms;  /* options { quietPeriod(N) }: not started before this */
    bool timestamps;        /* options { timestamps() }: every log line is stamped */
    /* Resuming after a restart: the run is walked again from its start with the steps that
     * had finished answered from the store, silently (no log, no writes), up to the first
     * step that had not: the input it was paused at. */
    bool resuming;
    struct tp_step_rec *done; /* the steps that had finished, and the one paused */
    size_t ndone, done_cap;
    bool mid_line;           /* the log's last byte is not a line end */
    int inputs_pending;      /* steps waiting for an input: the run is PAUSED */
    int64_t steps_started;   /* numbers the steps in the order they start */
    int64_t next_dynamic_id; /* ids for steps run again (retry), after the plan's */

    struct frame *waiter; /* the build step of another run that waits for this one, or NULL */
    bool restart_reached; /* restarted from a stage: that stage was reached */
    long long milestone_ordinal; /* the last milestone it reached, -1: none */
    bool superseded;             /* aborted by a newer build's milestone: NOT_BUILT */
    bool env_opened;             /* the pipeline's environment's withEnv was opened */

    struct tp_envlist env; /* build env: core variables + pipeline environment */
    /* The script binding (variables set without `def`), shared by the run's script blocks;
     * NULL while empty. */
    struct tp_gmap *binding;
    struct tp_arena binding_arena;
    cJSON *credentials; /* <data>/credentials.json, once a step needed it */
    char **secrets;     /* bound secret values: masked in the log */
    size_t nsecrets;
    cJSON *params; /* the run's parameter values, [{"name":..,"value":..}] or NULL */

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
    FRAME_PARALLEL,
    FRAME_SCRIPT,  /* Groovy: a script {} step, or the closure of a block step it calls */
    FRAME_BRANCHES /* Groovy's parallel(...): its children are the branches' FRAME_SCRIPT frames */
};

/* Why a frame was stopped from outside. */
enum abort_reason {
    ABORT_NONE,
    ABORT_STOP,     /* the run is stopped (PUT .../stop, shutdown) */
    ABORT_FAILFAST, /* a sibling branch failed under failFast */
    ABORT_TIMEOUT   /* an enclosing timeout {} expired */
};

struct block_timer;

struct frame {
    struct run *run;
    struct frame *parent;
    struct frame *first_child, *next_sibling; /* frames running inside this one */
    const struct tp_plan_stage *stage;        /* its stage (a block's: the enclosing one) */
    const struct tp_plan_step *block;         /* a block step's frame (dir, retry...), or NULL */
    const struct tp_plan_steps *steps;        /* STEPS: the steps this frame runs */
    char *cwd;                                /* where its steps run */
    enum frame_mode mode;
    size_t index; /* next step or child */
    int running;  /* PARALLEL: branches not finished yet */
    bool entered, started, busy, kick, aborting, body_done;
    bool opened;     /* a stage's node and environment blocks are open */
    bool tools_open; /* the withEnv of its `tools` is open */
    /* Its `environment {}`, evaluated in order as it is entered; a value that calls a function
     * (sh(returnStdout: true, ...).trim(), a method of the file) is evaluated by a quiet
     * script frame `env_child` while the frame waits (env_pending). */
    const struct tp_plan_env *env_items;
    size_t env_count, env_next;
    bool env_started, env_done, env_pending, env_opened;
    struct frame *env_child;
    bool quiet;           /* a frame of the engine's own (an environment value): no block lines */
    uint64_t activity_ms; /* timeout(activity: true): restarted by each line of output */
    /* sshagent: its agent's directory and pid, and whether the agent is being started */
    const char *agent_dir;
    long agent_pid;
    bool agent_starting;
    /* lock: the resource it holds or waits for, and whether it skipped its body */
    const char *lock_resource;
    bool lock_held, lock_waiting, lock_skip;
    /* build step: the run it waits for (0: none), and its wait/propagate */
    int64_t downstream;
    bool build_wait, build_propagate;
    bool skipped; /* `when` did not hold: the stage (and all inside it) is SKIPPED */
    bool failed;  /* a step or a child failed: later stages of a sequence are skipped */
    enum tp_result result;
    enum tp_result marked; /* the stage's result as shown, raised by tp_frame_mark */
    enum abort_reason abort_reason;
    /* The first error that failed this frame: it travels up with the failure. */
    struct tp_buf error;
    bool has_error, abort_style;
    /* Block state: retry's attempt and count, whether catchError/warnError swallowed the
     * body's failure, timeout's timer, a running sleep's timer. */
    int attempt, retries;
    bool caught;
    uint64_t wait_delay; /* waitUntil: the pause before its next attempt, in ms */
    struct block_timer *timer;
    struct block_timer *sleep_timer;
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
    char *script_path;  /* the running sh step's script file */
    char *stdout_path;  /* ... and the file its stdout goes to (returnStdout) */
    bool return_status; /* ... whose exit code is its value (returnStatus) */
    bool stdout_json;   /* ... whose stdout is a JSON value (git, checkout) */
    cJSON *step_value;  /* what the step in flight returns to Groovy (sh returnStdout...) */
    bool in_step_start; /* a step's start function runs: its failures are the step's */
    struct tp_script_state *script; /* FRAME_SCRIPT: the Groovy state (script.h) */
    /* A branch of Groovy's parallel: its name; its node (PARALLEL) is `node`. */
    const char *branch;
    bool fail_fast; /* FRAME_BRANCHES: parallel(failFast: true) */
    /* The input the current step waits for (PAUSED), with who may answer it (NULL: anyone). */
    bool input_pending;
    const char *input_id, *input_submitter;
    const struct tp_plan_param *input_params; /* its parameters: approved values become env */
    size_t input_nparams;
    const char *input_submitter_parameter; /* the value's entry naming who answered */
    bool input_asked;                      /* the stage's input directive has been put */
    bool stage_input_active;               /* ... and its step is the one in flight */
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

/* Fails `f` with `result`; `message` (if any, and the first) travels up with the failure,
 * printed as "ERROR: message" when `abort_style`, else as is. */
void tp_frame_fail(struct frame *f, enum tp_result result, bool abort_style, const char *message);
/* Makes the stage `f` runs in show at least `stage`, and the build end at least `build`,
 * without failing either (unstable, catchError): nothing is skipped because of it. */
void tp_frame_mark(struct frame *f, enum tp_result stage, enum tp_result build);
/* Finishes the current (sleep) step after `ms` unless the frame is aborted first. */
void tp_frame_sleep(struct frame *f, uint64_t ms);

/* Evaluates `e` as a string in `f`'s environment; on failure fails `f` and returns it. */
int tp_frame_eval(struct frame *f, const struct tp_expr *e, struct tp_buf *out);

/* Evaluates `e` to a whole number (retry's count, sleep's time); on failure fails `f` (naming
 * the step `what`) and returns the error. */
int tp_frame_eval_count(struct frame *f, const char *what, const struct tp_expr *e, long long *out);
/* The duration a call's `time:` (or only positional argument) and `unit:` (a TimeUnit name,
 * default `default_unit`) describe, in ms; on failure fails `f` and returns the error. */
int tp_frame_duration(struct frame *f, const char *what, const struct tp_expr *call,
                      const char *default_unit, uint64_t *ms);
/* The input step (input.c): waits for an answer through the API. tp_frame_input is also the
 * stage `input` directive. */
enum tp_step_status tp_step_input(struct frame *f, const struct tp_plan_step *step);
enum tp_step_status tp_frame_input(struct frame *f, const struct tp_expr *message,
                                   const struct tp_expr *id, const struct tp_expr *ok,
                                   const struct tp_expr *submitter,
                                   const struct tp_plan_param *params, size_t nparams,
                                   bool unsupported_params);
/* Appends an input's id: `given` with its first letter (a-z) upper-cased, or by default the
 * MD5 hex of `message` so treated (Jenkins' rule). */
void tp_input_id(const char *message, const char *given, struct tp_buf *out);
/* Pauses `f`'s current step on an input (engine.c): the step, its stages and the run are
 * PAUSED until tp_engine_input() answers or the run is stopped. */
void tp_frame_wait_input(struct frame *f, const char *message, const char *id, const char *ok,
                         const char *submitter, const struct tp_plan_param *params, size_t nparams);

/* The stash and unstash steps (stash.c), and dropping a run's stashes when it ends. */
enum tp_step_status tp_step_stash(struct frame *f, const struct tp_plan_step *step);
enum tp_step_status tp_step_unstash(struct frame *f, const struct tp_plan_step *step);
void tp_stash_drop(struct run *run);
/* A run restarted from a stage starts with the stashes run `from_run_id` kept
 * (preserveStashes). */
void tp_stash_inherit(struct run *run, int64_t from_run_id);
/* archiveArtifacts (stash.c): copies matching workspace files to the run's artifacts. */
enum tp_step_status tp_step_archive(struct frame *f, const struct tp_plan_step *step);
/* Calls visit(ctx, path, rel) for each regular file under `root` that the comma-separated Ant
 * patterns select (Ant's default excludes apply; excludes may be NULL). Returns how many were
 * visited, or the first negative error `visit` returned (the walk stops there). */
long tp_files_each(struct frame *f, const char *root, const char *includes, const char *excludes,
                   bool case_sensitive, int (*visit)(void *ctx, const char *path, const char *rel),
                   void *ctx);
/* lock (lock.c): the resources of the lock step, by name. tp_lock_enter (as the block is
 * entered) takes the resource or queues the frame (lock_waiting: it does not advance);
 * tp_lock_leave (as it is left) gives it to the next in line, which resumes; a stopped frame
 * stops waiting with tp_lock_stop_waiting. */
struct tp_locks;
struct tp_locks *tp_locks_new(void);
void tp_locks_free(struct tp_locks *locks);
struct tp_locks *tp_engine_locks(struct tp_engine *engine);
void tp_lock_enter(struct frame *f);
void tp_lock_leave(struct frame *f);
void tp_lock_stop_waiting(struct frame *f);
/* sshagent (sshagent.c): as the block is entered, ssh-agent is started with the keys
 * (agent_starting: the frame does not advance until it is up); as it is left, killed. */
void tp_sshagent_enter(struct frame *f);
void tp_sshagent_leave(struct frame *f);
/* milestone (milestone.c): each job's milestones, in memory; the step, and what a run's end
 * does to the older runs behind its last milestone. tp_engine_supersede aborts run `number` of
 * pipeline `pipeline_id` (if active) as NOT_BUILT, "Superseded by #newer". */
struct tp_milestones;
struct tp_milestones *tp_milestones_new(void);
void tp_milestones_free(struct tp_milestones *milestones);
struct tp_milestones *tp_engine_milestones(struct tp_engine *engine);
enum tp_step_status tp_step_milestone(struct frame *f, const struct tp_plan_step *step);
void tp_milestones_run_end(struct run *run);
void tp_engine_supersede(struct tp_engine *engine, int64_t pipeline_id, int64_t number,
                         int64_t newer);
/* Continues frame `f` on the next loop turn. */
void tp_frame_resume_later(struct frame *f);
/* build (build.c): queues a run of another pipeline; with wait, the step ends with it. */
enum tp_step_status tp_step_build(struct frame *f, const struct tp_plan_step *step);
/* The run build step `f` waits for started, or ended (its result decides the step's). */
void tp_build_started(struct frame *f, const struct tp_run_rec *run);
void tp_build_ended(struct frame *f, const struct tp_run_rec *run);
/* Queues a run of pipeline `job` (relative to f's job's folder, or absolute with a leading
 * '/') caused by f's run, with `parameters` ([{"name":..,"value":..}]: the job's defaults fill
 * in the rest); when
 * f->build_wait, the run reports its start and end to `f`. Logs "Scheduling project: X".
 * Returns 0, or an error with Jenkins' message in `error`. */
int tp_engine_trigger(struct frame *f, const char *job, const cJSON *parameters,
                      struct tp_run_rec *queued, struct tp_buf *error);
/* junit (junit.c): reads JUnit XML reports; failures make the stage and build UNSTABLE. */
enum tp_step_status tp_step_junit(struct frame *f, const struct tp_plan_step *step);

/* Evaluates an optional argument to a string in the run's arena: `*out` is NULL when `e` is.
 * On failure fails `f` and returns the error. */
int tp_frame_eval_text(struct frame *f, const struct tp_expr *e, const char **out);

/* A path as `f`'s steps see it: a relative one is inside the frame's directory (dir {}).
 * In the run's arena. */
const char *tp_frame_path(struct frame *f, const char *path);

/* The environment a child process of `f` gets: the server's own plus the frame's. Free with
 * tp_env_close. */
void tp_frame_child_env(struct frame *f, struct tp_envlist *out);

struct tp_step_def {
    const char *name;
    const char *display_name;
    bool needs_node; /* runs on an agent's workspace (sh), or anywhere (echo) */
    /* Sets f->step.description (if any) and starts the step. */
    enum tp_step_status (*start)(struct frame *f, const struct tp_plan_step *step);
    bool notify; /* a notification a sandbox only logs: a --stubs line replaces it */
};

/* What a script's output becomes. */
enum tp_script_output {
    TP_SCRIPT_LOG,    /* stdout and stderr to the log (sh) */
    TP_SCRIPT_STDOUT, /* stdout is the step's value (returnStdout) */
    TP_SCRIPT_STATUS, /* the exit code is the step's value and never fails it (returnStatus) */
    TP_SCRIPT_JSON    /* stdout is a JSON value, the step's (git, checkout) */
};
/* Runs `text` as sh does (sh -xe, or directly with a #! line) as f's current step; the step
 * ends when the process does. */
enum tp_step_status tp_frame_run_script(struct frame *f, const char *text,
                                        enum tp_script_output output);
/* git and checkout (scm.c): a git CLI checkout into the step's directory. */
/* Appends `text` as one single-quoted shell word. */
void tp_shell_quote(struct tp_buf *out, const char *text);
/* The branch a branch spec names: "*\/main", "origin/main", "refs/heads/main" -> "main". */
const char *tp_scm_branch_name(const char *spec);
enum tp_step_status tp_step_git(struct frame *f, const struct tp_plan_step *step);
enum tp_step_status tp_step_checkout(struct frame *f, const struct tp_plan_step *step);

/* readJSON, writeJSON, readProperties (utility.c), ended by a NULL name. */
extern const struct tp_step_def tp_utility_steps[];
/* The step named `name`, or NULL. */
const struct tp_step_def *tp_steps_find(const char *name);
/* Whether `name` is a step Jenkins has that tidepool does not run yet. */
bool tp_steps_is_jenkins(const char *name);
/* Whether `name` is a block step the engine runs as a frame of its own (dir, withEnv,
 * timeout, retry, catchError, warnError). */
bool tp_steps_is_block(const char *name);
/* The argument a step takes by `name:`, or as its only positional argument; or NULL. */
const struct tp_expr *tp_step_arg(const struct tp_expr *call, const char *name);
/* "[echo, sh]": the list Jenkins prints in its No such DSL method message. */
void tp_steps_list(struct tp_buf *out);

/* For script.c: starts a step in `f` (returns whether it already ended); a fresh flow node id;
 * the frame of a block step running Groovy (not started: tp_frame_run starts it). */
bool tp_frame_start_step(struct frame *f, const struct tp_plan_step *step);
int64_t tp_run_dynamic_id(struct run *run);
struct frame *tp_frame_new_script(struct frame *parent, const struct tp_plan_step *step,
                                  struct tp_script_state *script);
void tp_frame_run(struct frame *f);
/* Writes the run's row (after a change of its record). */
void tp_run_save(struct run *run);
/* An error that is no step's (Groovy's own): kept as the error of the last step `f` ran, so
 * that step's log ends with it, as Blue Ocean shows it. Nothing when `f` ran no step. */
void tp_frame_note_error(struct frame *f, const char *message);
/* Groovy's parallel: a frame running `n` closures as branches named `names` (each branch a
 * FRAME_SCRIPT frame made with `scripts[i]`, a Blue Ocean PARALLEL node inside the stage),
 * not started. `names` and `scripts` are taken. */
struct frame *tp_frame_new_branches(struct frame *parent, const struct tp_plan_step *step,
                                    const char **names, struct tp_script_state **scripts, size_t n,
                                    bool fail_fast);
/* The server's own environment variable `name`, or NULL; the store; the root URL. */
const char *tp_engine_env(const struct tp_engine *engine, const char *name);
struct tp_store *tp_engine_store(const struct tp_engine *engine);

/* The --tools installations (may be NULL). */
const struct tp_tools *tp_engine_tools(const struct tp_engine *engine);
/* Applies a withEnv entry "KEY=VALUE" (or "PATH+X=dir", put in front of PATH) to f's
 * environment; `entry` is cut in place. Entries without '=' are ignored, as Jenkins does. */
void tp_frame_env_entry(struct frame *f, char *entry);
/* The --stubs stub for step `name`, or NULL. */
struct tp_stub;
const struct tp_stub *tp_engine_stub(const struct tp_engine *engine, const char *name);

/* Whether someone can answer an input (a server), or not (tidepool run). */
bool tp_engine_answers_inputs(const struct tp_engine *engine);

/* The loop, for steps that start processes. */
uv_loop_t *tp_engine_loop(struct tp_engine *engine);
/* The server's environment, for children that are not steps (git for indexing). */
char **tp_engine_base_env(struct tp_engine *engine);
/* Counts branch indexings going (+1 at the start, -1 at the end: a shutdown waits). */
void tp_engine_indexing(struct tp_engine *engine, int delta);
/* Queues a run of job `pipeline` with its parameters' defaults and `cause` (no user).
 * Returns 0 or an error of tp_engine_start. */
int tp_engine_start_pipeline(struct tp_engine *engine, const struct tp_pipeline_rec *pipeline,
                             const char *cause, struct tp_arena *arena);
/* A branch job's full name: "<mbp>/<branch>" with the branch's '%' and '/' encoded. */
void tp_branch_job_name(const char *mbp, const char *branch, struct tp_buf *out);

#endif
