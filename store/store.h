/* SPDX-License-Identifier: MIT */
/*
 * The store: SQLite in <data>/tidepool.db, the only truth anyone reads. It keeps pipelines,
 * runs, the Blue Ocean nodes and steps of each run, and the console log as append-only chunks
 * (each with its byte offset in the run's console log and in its step's log).
 *
 * Writes are batched: the first write after a flush opens a transaction, tp_store_flush()
 * commits it (the engine flushes once per loop turn). Reads on the same connection see the
 * batch at once. One connection, owned by the loop thread.
 *
 * Strings in records returned by queries are allocated in the arena the caller passes and
 * live as long as it does.
 */
#ifndef TP_STORE_STORE_H
#define TP_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tp_arena;
struct tp_store;

/* Blue Ocean states (spec §4.1). Stored as these integers: never renumber. */
enum tp_state {
    TP_STATE_QUEUED = 0,
    TP_STATE_RUNNING = 1,
    TP_STATE_PAUSED = 2,
    TP_STATE_SKIPPED = 3,
    TP_STATE_NOT_BUILT = 4,
    TP_STATE_FINISHED = 5,
    TP_STATE_NONE = 6, /* a node or step that has not started: JSON null */
    TP_STATE_COUNT
};

/* Blue Ocean results, ordered so that a larger value is worse where Jenkins ranks them
 * (SUCCESS < UNSTABLE < FAILURE < NOT_BUILT < ABORTED). Stored: never renumber. */
enum tp_result {
    TP_RESULT_SUCCESS = 0,
    TP_RESULT_UNSTABLE = 1,
    TP_RESULT_FAILURE = 2,
    TP_RESULT_NOT_BUILT = 3,
    TP_RESULT_ABORTED = 4,
    TP_RESULT_UNKNOWN = 5,
    TP_RESULT_NONE = 6, /* JSON null */
    TP_RESULT_COUNT
};

/* "QUEUED"... or NULL for TP_STATE_NONE. */
const char *tp_state_name(enum tp_state state);
/* "SUCCESS"... or NULL for TP_RESULT_NONE. */
const char *tp_result_name(enum tp_result result);

enum tp_node_type {
    TP_NODE_STAGE = 0,
    TP_NODE_PARALLEL = 1
};

struct tp_pipeline_rec {
    int64_t id;
    const char *name;
    const char *script;
    const char *source; /* Jenkinsfile path, or NULL for pipelines made through the API */
    bool disabled;
    int64_t next_number;
    int64_t created_ms;
    const char *config;      /* the config.xml it was created or updated with, or NULL */
    const char *param_defs;  /* parameters its config.xml declared (a Groovy list), or NULL */
    const char *description; /* or NULL */
    bool folder;             /* a folder: it holds the items named "<name>/..." */
    bool multibranch;        /* (a folder) a multibranch pipeline: its items are branches */
    const char *properties;  /* JSON: job properties from its config.xml, or NULL */
    const char *cron;        /* the timer spec it is built on, or NULL */
};

/* What a config.xml sets on a pipeline. */
struct tp_pipeline_config {
    const char *script, *config, *param_defs, *description;
    const char *properties; /* JSON of the job properties its config.xml sets, or NULL */
    bool disabled;
};

struct tp_run_rec {
    int64_t id;
    int64_t pipeline_id;
    const char *pipeline; /* pipeline name */
    int64_t number;
    int64_t queue_id;
    enum tp_state state;
    enum tp_result result;
    int64_t enqueue_ms;
    int64_t start_ms;         /* 0 until started */
    int64_t end_ms;           /* 0 until finished */
    const char *cause;        /* shortDescription, e.g. "Started by user anonymous" */
    const char *cause_user;   /* user id of a user cause, or NULL */
    const char *parameters;   /* JSON array [{"name":..,"value":..}] or NULL */
    const char *script;       /* the Jenkinsfile this run executes */
    int64_t log_size;         /* bytes in the console log */
    bool log_complete;        /* no more bytes will be appended */
    const char *blockage;     /* QUEUED: why it waits when not for an executor, else NULL */
    const char *description;  /* currentBuild.description, or NULL */
    const char *display_name; /* currentBuild.displayName, or NULL ("#N") */
    const char *commit_id;    /* the revision its script came from, or NULL */
    const char *change_set;   /* JSON: the commits since the job's previous run, or NULL */
    const char *restart_from; /* the top-level stage it restarted from, or NULL */
};

struct tp_node_rec {
    int64_t run_id;
    int64_t node_id;
    int64_t seq; /* position in Blue Ocean's node list */
    enum tp_node_type type;
    const char *name;
    int64_t first_parent; /* 0 for none */
    int64_t parent;       /* the enclosing stage or branch node, 0 at the top level */
    const char *edges;    /* space-separated node ids, in Blue Ocean's edge order */
    enum tp_state state;
    enum tp_result result;
    int64_t start_ms;
    int64_t end_ms;
};

struct tp_step_rec {
    int64_t run_id;
    int64_t step_id;
    int64_t node_id;  /* the stage or branch node the step runs in, 0 for none */
    const char *name; /* step function, e.g. "sh" */
    const char *display_name;
    const char *description;
    enum tp_state state;
    enum tp_result result;
    int64_t start_ms;
    int64_t end_ms;
    int64_t log_size;
    const char *error; /* message of the error that ended the step, or NULL */
    int64_t seq;       /* the order steps started in, within the run */
    const char *input; /* PAUSED on an input: its InputStepImpl fields as JSON, else NULL */
    const char *value; /* what the step returned to Groovy, as JSON, or NULL */
};

/* One stored piece of a console log (a whole number of lines, in practice). */
struct tp_log_chunk {
    int64_t offset;      /* in the run's console log */
    int64_t step_id;     /* 0 for lines of the pipeline itself ([Pipeline] ...) */
    int64_t step_offset; /* in the step's log */
    const char *data;
    size_t len;
};

/*
 * Opens (creating if needed) the database at `path`, applies migrations and prepares the
 * connection (WAL, synchronous=NORMAL, foreign keys, the file locked for this process alone).
 * Returns 0, or one of: TP_EDB — SQLite failed (logged with its message);
 * TP_ESCHEMA — the file was written by a newer tidepool; TP_ECONFLICT — another process
 * (another tidepool) has the file.
 */
int tp_store_open(const char *path, struct tp_store **out);
/* Commits any pending batch and closes. NULL is a no-op. */
void tp_store_close(struct tp_store *store);
/* Commits the current write batch, if any. Returns 0 or TP_EDB. */
int tp_store_flush(struct tp_store *store);
/* True when a write batch is open (something to flush). */
bool tp_store_dirty(const struct tp_store *store);
/* A number that changes whenever a row is written (inserted, updated or deleted): what was
 * read at one generation holds until it moves. */
uint64_t tp_store_generation(const struct tp_store *store);

/* --- pipelines --- */

/*
 * Creates pipeline `name` or replaces its script/source; `*id` gets its id.
 * Returns 0, TP_ECONFLICT (`name` is a folder's) or TP_EDB.
 */
int tp_store_pipeline_put(struct tp_store *store, const char *name, const char *script,
                          const char *source, int64_t *id);
/* Returns 0, TP_ENOTFOUND or TP_EDB. */
int tp_store_pipeline_get(struct tp_store *store, const char *name, struct tp_arena *arena,
                          struct tp_pipeline_rec *out);
int tp_store_pipeline_get_by_id(struct tp_store *store, int64_t id, struct tp_arena *arena,
                                struct tp_pipeline_rec *out);
/* Calls `each` for every pipeline in name order; stops early when it returns non-zero. */
/* Writes a pipeline's config (script, the XML as given, its parameters, description,
 * disabled). Returns 0, TP_ENOTFOUND or TP_EDB. */
int tp_store_pipeline_set_config(struct tp_store *store, int64_t id,
                                 const struct tp_pipeline_config *config);
int tp_store_pipeline_set_disabled(struct tp_store *store, int64_t id, bool disabled);
/* Sets pipeline `id`'s properties (JSON, or NULL). Returns 0, TP_ENOTFOUND or TP_EDB. */
int tp_store_pipeline_set_properties(struct tp_store *store, int64_t id, const char *properties);
/* Sets the timer spec pipeline `id` is built on (NULL: none). Returns 0, TP_ENOTFOUND or
 * TP_EDB. */
int tp_store_pipeline_set_cron(struct tp_store *store, int64_t id, const char *cron);
/* Makes folder `name` ("a" or "a/b") from `source` (its directory, or NULL) — a multibranch
 * pipeline when `multibranch` — when there is no item of that name. Returns 1 when made, 0
 * when the name was taken already, or TP_EDB. */
int tp_store_folder_put(struct tp_store *store, const char *name, const char *source,
                        bool multibranch);
/* Deletes a pipeline with its runs (a folder with every item inside it). Returns 0,
 * TP_ENOTFOUND or TP_EDB. */
int tp_store_pipeline_delete(struct tp_store *store, int64_t id);
/* Gives an item its new full name (a folder's items move with it). Returns 0, TP_ENOTFOUND,
 * TP_ECONFLICT (the name is taken) or TP_EDB. */
int tp_store_pipeline_rename(struct tp_store *store, int64_t id, const char *name);

/* A pipeline's state at a glance: its last finished run's result (TP_RESULT_NONE: none) and
 * whether a run of it is running or paused. */
struct tp_pipeline_status {
    int64_t id;
    const char *name;
    bool disabled;
    bool folder, multibranch;
    enum tp_result last_result;
    bool building;
};

typedef int (*tp_store_status_fn)(void *ctx, const struct tp_pipeline_status *status);
/* Every pipeline's status, by name, in one query. Returns 0, TP_EDB, or what `each` returned. */
int tp_store_pipeline_statuses(struct tp_store *store, struct tp_arena *arena,
                               tp_store_status_fn each, void *ctx);
typedef int (*tp_store_pipeline_fn)(void *ctx, const struct tp_pipeline_rec *rec);
int tp_store_pipeline_list(struct tp_store *store, struct tp_arena *arena,
                           tp_store_pipeline_fn each, void *ctx);
/* Lists the pipelines built on a timer (enabled, not folders). 0 or TP_EDB. */
int tp_store_pipeline_list_timed(struct tp_store *store, struct tp_arena *arena,
                                 tp_store_pipeline_fn each, void *ctx);

/* User `user`'s favorite pipelines: set or unset one (either is 0 when already so), forget
 * them all, or list them by name (stops when `each` returns non-zero). 0 or TP_EDB. */
int tp_store_favorite_set(struct tp_store *store, const char *user, int64_t pipeline_id,
                          bool favorite);
int tp_store_favorites_clear(struct tp_store *store, const char *user);
int tp_store_favorites_list(struct tp_store *store, const char *user, struct tp_arena *arena,
                            tp_store_pipeline_fn each, void *ctx);

/* --- runs --- */

/*
 * Inserts a QUEUED run of `pipeline_id`, taking the pipeline's next build number and the
 * next queue id. Fills rec->id, rec->number, rec->queue_id; the other fields are written as
 * given (rec's strings are borrowed). Returns 0, TP_ENOTFOUND or TP_EDB.
 */
int tp_store_run_insert(struct tp_store *store, struct tp_run_rec *rec);
/* Writes state, result, start/end times, log_size and log_complete of run rec->id. */
/* Sets the script a run runs (read from its job's repository when it started), the revision
 * it came from and the commits since the job's previous run (JSON: [{"commitId", "author",
 * "email", "timestamp" (ms), "msg", "paths": [...]}]). Returns 0, TP_ENOTFOUND or TP_EDB. */
int tp_store_run_set_script(struct tp_store *store, int64_t run_id, const char *script,
                            const char *commit_id, const char *change_set);
int tp_store_run_update(struct tp_store *store, const struct tp_run_rec *rec);
int tp_store_run_get(struct tp_store *store, int64_t pipeline_id, int64_t number,
                     struct tp_arena *arena, struct tp_run_rec *out);
/* The run that queue item `queue_id` became (or still is). Returns 0, TP_ENOTFOUND, TP_EDB. */
int tp_store_run_get_by_queue(struct tp_store *store, int64_t queue_id, struct tp_arena *arena,
                              struct tp_run_rec *out);

/* Which runs a listing returns. */
enum tp_run_filter {
    TP_RUNS_ALL = 0,
    TP_RUNS_QUEUED = 1, /* only runs still waiting in the queue */
    TP_RUNS_BUILDS = 2  /* only runs that have started (Jenkins' builds) */
};

/* Runs of a pipeline, newest first, skipping `start`, at most `limit`. */
typedef int (*tp_store_run_fn)(void *ctx, const struct tp_run_rec *rec);

/* Runs gathered in order by tp_store_run_collect (a tp_store_run_fn), in `arena`. */
struct tp_run_list {
    struct tp_run_rec *items;
    size_t count, cap;
    struct tp_arena *arena;
};

int tp_store_run_collect(void *list, const struct tp_run_rec *rec);
int tp_store_run_list(struct tp_store *store, int64_t pipeline_id, enum tp_run_filter filter,
                      int64_t start, int64_t limit, struct tp_arena *arena, tp_store_run_fn each,
                      void *ctx);
/*
 * Deletes finished run `run_id` with its nodes, steps and log (buildDiscarder). The run's
 * number is never given again. Returns 0 or TP_EDB.
 */
int tp_store_run_delete(struct tp_store *store, int64_t run_id);
/* Runs in any state but FINISHED (for recovery at start-up), oldest first. */
int tp_store_run_list_unfinished(struct tp_store *store, struct tp_arena *arena,
                                 tp_store_run_fn each, void *ctx);
/*
 * Ends every node and step of run `run_id` still QUEUED, RUNNING or PAUSED: FINISHED with
 * `result` at `end_ms` (for runs a dead process left behind). Returns 0 or TP_EDB.
 */
int tp_store_run_close_open_nodes(struct tp_store *store, int64_t run_id, enum tp_result result,
                                  int64_t end_ms);
/* Highest queue id ever given out (queue ids stay unique across restarts). */
int tp_store_queue_id_max(struct tp_store *store, int64_t *out);

/* --- nodes and steps --- */

/* Inserts or replaces one node row (rec's strings borrowed). */
int tp_store_node_put(struct tp_store *store, const struct tp_node_rec *rec);
typedef int (*tp_store_node_fn)(void *ctx, const struct tp_node_rec *rec);
/* Nodes of a run in `seq` order. */
int tp_store_node_list(struct tp_store *store, int64_t run_id, struct tp_arena *arena,
                       tp_store_node_fn each, void *ctx);
int tp_store_node_get(struct tp_store *store, int64_t run_id, int64_t node_id,
                      struct tp_arena *arena, struct tp_node_rec *out);

int tp_store_step_put(struct tp_store *store, const struct tp_step_rec *rec);
typedef int (*tp_store_step_fn)(void *ctx, const struct tp_step_rec *rec);
/* Steps of a run in the order they started; node_id 0 = all steps, else those of that node and of
 * every node inside it (its branches and nested stages). */
int tp_store_step_list(struct tp_store *store, int64_t run_id, int64_t node_id,
                       struct tp_arena *arena, tp_store_step_fn each, void *ctx);
int tp_store_step_get(struct tp_store *store, int64_t run_id, int64_t step_id,
                      struct tp_arena *arena, struct tp_step_rec *out);

/* --- logs --- */

/*
 * Appends one chunk to run `run_id`'s console log (chunk's data borrowed). The caller keeps
 * the offsets (the engine knows the sizes); a chunk never ends between a '\r' and a '\n'.
 * Returns 0 or TP_EDB.
 */
int tp_store_log_append(struct tp_store *store, int64_t run_id, const struct tp_log_chunk *chunk);
/*
 * Measures the log of run `run_id` (step_id 0) or of one step from byte `from` to the end:
 * `*raw` bytes stored, `*lf` of them lone '\n' (not preceded by '\r'), so the CRLF form is
 * raw + lf bytes. Finds `from` with an index seek.
 */
int tp_store_log_measure(struct tp_store *store, int64_t run_id, int64_t step_id, int64_t from,
                         int64_t *raw, int64_t *lf);
/*
 * Calls `each` with the chunks holding bytes at and after `from` (in the run log, or in the
 * step's log when step_id != 0), in order, at most `max_chunks` of them. `chunk.offset` is
 * relative to the log asked for (the step offset for a step log).
 */
typedef int (*tp_store_chunk_fn)(void *ctx, const struct tp_log_chunk *chunk);
int tp_store_log_read(struct tp_store *store, int64_t run_id, int64_t step_id, int64_t from,
                      int max_chunks, tp_store_chunk_fn each, void *ctx);

#endif
