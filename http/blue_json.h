/* SPDX-License-Identifier: MIT */
/*
 * Blue Ocean's resources as JSON (spec §3): one builder per resource, pure, `_class` first,
 * `_links` with hrefs that end in '/', nulls written out, ids as strings. Each returns a new
 * cJSON object the caller owns. Inputs are borrowed.
 */
#ifndef TP_HTTP_BLUE_JSON_H
#define TP_HTTP_BLUE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "http/auth.h"
#include "store/store.h"

struct tp_buf;

/* The pipeline's figures Jenkins derives from its build history. */
struct tp_blue_history {
    int weather_score;             /* 0..100 */
    int64_t estimated_duration_ms; /* -1 when unknown */
};

/* Facts about a run that depend on the runs around it. */
struct tp_blue_run_context {
    const char *run_summary;       /* "stable", "back to normal", ... or NULL */
    int64_t prev_number;           /* 0 when none */
    int64_t next_number;           /* 0 when none */
    int64_t estimated_duration_ms; /* the pipeline's, -1 when unknown */
    bool has_artifacts;            /* artifactsZipFile is the link to their zip */
};

/* Appends "/blue/rest/organizations/jenkins/pipelines/<name>/" (name encoded; for an item in a
 * folder ".../pipelines/<folder>/pipelines/<name>/") to `out`. */
void tp_blue_pipeline_href(const char *pipeline, struct tp_buf *out);

cJSON *tp_blue_organization_json(void);
/* `parameters`: the pipeline's parameter definitions (an array; the builder takes it). */
cJSON *tp_blue_pipeline_json(const struct tp_pipeline_rec *pipeline,
                             const struct tp_blue_history *history, const cJSON *latest_run,
                             cJSON *parameters);

/* What a multibranch pipeline's JSON needs from its branches. */
struct tp_blue_multibranch {
    const char *const *branches; /* branch job names, in the branch list's order */
    size_t nbranches;
    int64_t failing, successful; /* branches whose last build failed / succeeded */
    int weather_score;           /* the primary branch's, 100 when none */
    int64_t estimated_duration_ms;
    const char *script_path;
};

/* A multibranch pipeline (MultiBranchPipelineImpl). */
cJSON *tp_blue_multibranch_json(const struct tp_pipeline_rec *mbp,
                                const struct tp_blue_multibranch *m);
/* A branch job (BranchImpl) of multibranch pipeline `mbp` from its pipeline JSON (taken):
 * the decoded display name, `branch`, links under ".../branches/<name encoded again>/". */
cJSON *tp_blue_branch_json(cJSON *pipeline, const char *mbp, const char *job_name, bool primary);
/* Sets a pipeline's or folder's `permissions` map to what `role` may do. */
void tp_blue_set_permissions(cJSON *o, enum tp_role role);
/* A folder (PipelineFolderImpl). `children`: one entry per item inside it, the folder's
 * short name for a folder and NULL for a pipeline (Blue Ocean's pipelineFolderNames). */
cJSON *tp_blue_folder_json(const struct tp_pipeline_rec *folder, const char *const *children,
                           size_t nchildren);
/* A run, full (PipelineRunImpl), as a summary (latestRun: PipelineRunSummary), or queued
 * (QueuedBlueRun), depending on its state and `summary`. */
cJSON *tp_blue_run_json(const struct tp_run_rec *run, const struct tp_blue_run_context *ctx,
                        bool summary);

/* A run's change set (ChangeSetResource entries), from what the store kept. */
cJSON *tp_blue_change_set_json(const struct tp_run_rec *run);

/* A queued run as an item of its pipeline's queue (QueueItemImpl). */
cJSON *tp_blue_queue_item_json(const struct tp_run_rec *run);

/* An edge of the run graph: the node it points to, and that node's type. */
struct tp_blue_edge {
    int64_t id;
    enum tp_node_type type;
};

/*
 * A node of the run graph. `edges` are the nodes this one points to that the answer lists
 * (Blue Ocean never points at a node it does not list); `now_ms` times running nodes. A
 * `future` node (one the last successful run had and this one has not reached) has null
 * state, result and startTime, and no duration.
 */
/* `restartable`: a run may restart from it (5.7). */
cJSON *tp_blue_node_json(const struct tp_run_rec *run, const struct tp_node_rec *node,
                         const struct tp_blue_edge *edges, size_t nedges, bool future,
                         bool restartable, int64_t now_ms);
/* A step, its self link under `container_href` (".../runs/N/" or ".../nodes/M/"). */
cJSON *tp_blue_step_json(const struct tp_step_rec *step, const char *container_href, bool has_log,
                         int64_t now_ms);

/* A favorite (FavoriteImpl) of pipeline `pipeline` whose JSON is `item` (taken). */
cJSON *tp_blue_favorite_json(const char *pipeline, cJSON *item);
/* A user (UserImpl). `role` (enum tp_role) fills `permission` when the user is the caller;
 * -1 writes null. */
cJSON *tp_blue_user_json(const char *id, int role);

/* Capabilities (spec §1.9): what Blue Ocean's class walk gives for class `name`
 * (ExtensionClassImpl; unknown classes have none), and the map POST /classes/ answers for
 * `names` (repeated names once). */
cJSON *tp_blue_class_json(const char *name);
cJSON *tp_blue_class_map_json(const char *const *names, size_t count);

#endif
