/* SPDX-License-Identifier: MIT */
/*
 * The engine: the only room that knows both the store and the executor. It owns the queue
 * and the executor slots, and walks a run's plan: stages in order, each step a child process
 * or an in-process action, every state change and log chunk written to the store before
 * anyone is told. Loop thread only.
 *
 * Run lifecycle (see runstate.h for the table): tp_engine_start() inserts a QUEUED run and
 * returns it; on a later loop turn a free executor slot takes it (RUNNING); it ends FINISHED
 * with a result. A Jenkinsfile that does not compile gives a run that fails at once with
 * Jenkins' compilation messages in its log.
 */
#ifndef TP_ENGINE_ENGINE_H
#define TP_ENGINE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "store/store.h"

struct cJSON;
struct tp_arena;
struct tp_buf;
struct tp_engine;
struct tp_stubs;
struct tp_tools;

struct tp_engine_options {
    const char *data_dir; /* absolute path; workspaces live in <data_dir>/workspace */
    int executors;        /* number of runs that may run at once, >= 1 */
    const char *root_url; /* e.g. "http://127.0.0.1:8080/", for JENKINS_URL and BUILD_URL */
    bool no_answers;      /* nobody can answer an input (tidepool run): input steps fail */
    /* What steps tidepool does not have do instead (stubs.h); borrowed, may be NULL. */
    const struct tp_stubs *stubs;
    /* The tool installations `tools {}` and `tool` use (tools.h); borrowed, may be NULL. */
    const struct tp_tools *tools;
    /* How often the timer triggers are looked at: 0 at each minute's start (tests set a
     * shorter tick, which looks at the current minute each time, the one the server starts in
     * too; each minute still starts a timed job at most once). */
    uint64_t cron_tick_ms;
};

/* The cause of runs a timer started, as Jenkins writes it. */
#define TP_TIMER_CAUSE "Started by timer"
/* The start of the cause of a run restarted from a stage: "Restarted from build #3, stage Test". */
#define TP_RESTART_CAUSE "Restarted from build #"
/* The start of the cause of runs another run's build step started:
 * `Started by upstream project "team/app" build number 7`. */
#define TP_UPSTREAM_CAUSE "Started by upstream project \""

/* What the engine tells its listeners, after the store has the change. */
struct tp_engine_events {
    /* Bytes appended to run `run_id`'s console log. */
    void (*on_log)(void *ctx, int64_t run_id, const char *data, size_t len);
    /* Run `run` changed state (QUEUED, RUNNING, FINISHED...) or was saved again. */
    void (*on_run)(void *ctx, const struct tp_run_rec *run);
    /* A node (stage or parallel branch) of run `run` was saved (it may not have changed). */
    void (*on_node)(void *ctx, const struct tp_run_rec *run, const struct tp_node_rec *node);
    /* A step of run `run` was saved (it may not have changed). */
    void (*on_step)(void *ctx, const struct tp_run_rec *run, const struct tp_step_rec *step);
    /* The store committed: every change announced above is durable now. */
    void (*on_commit)(void *ctx);
    void *ctx;
};

/*
 * Creates the engine; `store` and `loop` are borrowed and must outlive it.
 * Returns 0, or one of: TP_EINVAL — bad options; a libuv error creating directories.
 */
int tp_engine_new(uv_loop_t *loop, struct tp_store *store, const struct tp_engine_options *opts,
                  struct tp_engine **out);
/* Frees the engine; call after tp_engine_shutdown() has reported completion. */
void tp_engine_free(struct tp_engine *engine);
/* Replaces the listeners (copied). */
void tp_engine_set_events(struct tp_engine *engine, const struct tp_engine_events *events);

/*
 * Takes over what a previous process left: QUEUED runs wait in the queue again; RUNNING (and
 * PAUSED) runs end FINISHED/ABORTED with a line in their log saying so, and the step
 * processes they left behind (found by the cookie in their environment) are killed. Call
 * once at start-up. Returns 0 or TP_EDB.
 */
int tp_engine_recover(struct tp_engine *engine);

/* Creates or updates pipeline `name` with Jenkinsfile text `script`. Returns 0 or TP_EDB. */
int tp_engine_pipeline_put(struct tp_engine *engine, const char *name, const char *script,
                           const char *source);
/*
 * Sets pipeline `id`'s configuration (config.xml) and the timer spec it is built on: `cron`
 * (its config.xml's TimerTrigger specs), else its script's `triggers { cron() }`. A
 * pipeline put from a Jenkinsfile gets the latter too. Returns 0, TP_ENOTFOUND or TP_EDB.
 */
int tp_engine_pipeline_configure(struct tp_engine *engine, int64_t id,
                                 const struct tp_pipeline_config *config, const char *cron);
/*
 * Indexes multibranch pipeline `mbp` (its properties name the repository): branch jobs are
 * made, updated and built, or removed, when the listing comes back (a child process; this
 * returns at once). Returns 0, TP_ENOTFOUND, TP_EINVAL (not a multibranch pipeline) or a
 * libuv error.
 */
int tp_engine_index(struct tp_engine *engine, const char *mbp);
/* For a cause TP_UPSTREAM_CAUSE starts: the upstream job's full name (appended to `project`)
 * and its run's number. False for any other cause. */
bool tp_engine_upstream(const char *cause, struct tp_buf *project, long long *number);
/* Jenkins' class for a run's cause: timer, user or replay. */
const char *tp_engine_cause_class(const char *cause, const char *user);
/* Whether item `name` (a job, or any job inside folder `name`) has a run queued or going. */
bool tp_engine_item_busy(const struct tp_engine *engine, const char *name);
/* Deletes item `name` with its runs (a folder with everything inside it). Returns 0,
 * TP_ENOTFOUND, TP_ECONFLICT (a run of it is queued or going) or TP_EDB. */
int tp_engine_item_delete(struct tp_engine *engine, const char *name);

/*
 * Queues a run of pipeline `pipeline`, started by `user` (a "Started by user <user>" cause),
 * with the build parameters `parameters` ([{"name":..,"value":..}], NULL for none; borrowed).
 * `*queued` receives the QUEUED run as stored (strings in `arena`).
 * Returns 0, or one of: TP_ENOTFOUND — no such pipeline (or a folder); TP_EINVAL — the parameters
 * do not fit the pipeline's (Blue Ocean's message in `error`); TP_ECONFLICT — shutting down;
 * TP_EDB.
 */
int tp_engine_start(struct tp_engine *engine, const char *pipeline, const char *user,
                    const struct cJSON *parameters, struct tp_arena *arena,
                    struct tp_run_rec *queued, struct tp_buf *error);

/*
 * Replays run `number` of `pipeline`, by `user`: a new QUEUED run of the same script and
 * parameter values (the script the run had, not the pipeline's current one), its cause
 * "Replayed #N". Returns 0, or TP_ENOTFOUND — no such pipeline or run; TP_EINVAL — the run
 * is still queued; TP_ECONFLICT — shutting down; TP_EDB.
 */
int tp_engine_replay(struct tp_engine *engine, const char *pipeline, int64_t number,
                     const char *user, struct tp_arena *arena, struct tp_run_rec *queued);

/*
 * Answers the input step `step_id` of run `run_id` waits for: `abort` false proceeds, true
 * aborts the step (and so the run, unless caught). `parameters` ([{"name","value"}]) are
 * checked against the input's definitions as build parameters are; the values become
 * environment variables of the stage. Returns 0, or TP_ENOTFOUND — no input
 * waits there; TP_EINVAL — another input id, `user` is not among its submitters, or a bad
 * parameter (Jenkins' message in `error`).
 */
int tp_engine_input(struct tp_engine *engine, int64_t run_id, int64_t step_id, const char *input_id,
                    bool abort, const struct cJSON *parameters, const char *user,
                    struct tp_buf *error);

/*
 * Stops run `run_id`, by `user`: a queued run leaves the queue and ends FINISHED/ABORTED at
 * once; a running one is aborted — every process it started gets SIGTERM, then SIGKILL —
 * and ends FINISHED/ABORTED once they are gone (a later loop turn).
 * Returns 0, or TP_ENOTFOUND — the run is neither queued nor running (nothing to stop).
 */
/*
 * Restarts run `number` of `pipeline` from its top-level stage `node_id` (Blue Ocean's
 * "restart stage"): a new QUEUED run of the same script and parameters, by `user`, whose
 * top-level stages before that one are skipped; its cause "Restarted from build #N, stage X".
 * Returns 0, or TP_ENOTFOUND — no such pipeline, run or top-level stage, or a pipeline that
 * cannot restart (not declarative, or options { disableRestartFromStage() }); TP_EINVAL — the
 * run has not finished; TP_ECONFLICT — shutting down; TP_EDB.
 */
int tp_engine_restart_stage(struct tp_engine *engine, const char *pipeline, int64_t number,
                            int64_t node_id, const char *user, struct tp_arena *arena,
                            struct tp_run_rec *queued);
/* The node ids of the top-level stages finished run `run` may be restarted from (none for a
 * run still going, or one that cannot restart), in `arena`. Returns 0. */
int tp_engine_restart_points(const struct tp_run_rec *run, struct tp_arena *arena, int64_t **ids,
                             size_t *n);

int tp_engine_stop(struct tp_engine *engine, int64_t run_id, const char *user);

/*
 * Stops everything: queued runs end ABORTED, running ones are killed (SIGTERM, then SIGKILL)
 * and end ABORTED. `done` is called once no run is active any more.
 */
void tp_engine_shutdown(struct tp_engine *engine, void (*done)(void *ctx), void *ctx);

/*
 * Whether the engine can run every construct of `plan` (a valid plan may use directives the
 * engine does not run yet). When it cannot, appends the reasons to `why`
 * ("parallel (line 12); post (line 30)").
 */
struct tp_plan;
bool tp_engine_can_run(const struct tp_plan *plan, struct tp_buf *why);

/* Number of runs queued or running. */
int tp_engine_active(const struct tp_engine *engine);

/* An archived artifact: its path inside the run's artifacts, and its size. */
struct tp_artifact {
    const char *path;
    int64_t size;
};

/* The artifacts run `number` of `pipeline` archived, sorted by path (in `arena`).
 * Returns 0 (none is not an error). */
int tp_engine_artifacts(struct tp_engine *engine, const char *pipeline, int64_t number,
                        struct tp_arena *arena, struct tp_artifact **out, size_t *n);
/* Whether run `number` of `pipeline` archived anything (one directory read, no walk). */
bool tp_engine_has_artifacts(struct tp_engine *engine, const char *pipeline, int64_t number);
/* Opens artifact `path` of a run for reading: `*fd` (the caller closes it) and its size.
 * Returns 0, or TP_ENOTFOUND — no such file, or a path that leaves the run's artifacts. */
int tp_engine_artifact_open(struct tp_engine *engine, const char *pipeline, int64_t number,
                            const char *path, int *fd, int64_t *size);

/* The server's root URL ("http://127.0.0.1:8080/"), and its number of executor slots. */
const char *tp_engine_root_url(const struct tp_engine *engine);
int tp_engine_executors(const struct tp_engine *engine);
/* The data directory (absolute). */
const char *tp_engine_data_dir(const struct tp_engine *engine);

#endif
