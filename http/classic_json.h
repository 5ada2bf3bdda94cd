/* SPDX-License-Identifier: MIT */
/*
 * JSON builders of Jenkins' classic REST API (`api/json`), one per resource, from store
 * records: the root (hudson.model.Hudson), a job (WorkflowJob), a build (WorkflowRun), a queue
 * item, the computer set. Objects inside objects are thin references ({_class, number, url})
 * unless `deep` (depth=1, or a tree= that may reach into them), as Jenkins renders them.
 * Pure: the caller gathers the records.
 */
#ifndef TP_HTTP_CLASSIC_JSON_H
#define TP_HTTP_CLASSIC_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "store/store.h"

struct tp_plan_param;

/* What a job resource is made of. */
struct tp_classic_job {
    const struct tp_pipeline_rec *pipeline;
    const struct tp_plan_param *params; /* its parameter definitions */
    size_t nparams;
    const struct tp_run_rec *runs; /* newest first, queued ones included */
    size_t nruns;
    bool all_builds; /* tree= asks for allBuilds */
};

#define TP_CLASSIC_JOB_CLASS    "org.jenkinsci.plugins.workflow.job.WorkflowJob"
#define TP_CLASSIC_FOLDER_CLASS "com.cloudbees.hudson.plugins.folder.Folder"
#define TP_CLASSIC_MULTIBRANCH_CLASS \
    "org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject"

/* An item's URL: <root>job/<name>/, job/<folder>/job/<name>/ inside a folder (each segment
 * percent-encoded). In `out`. */
void tp_classic_job_url(const char *root, const char *name, struct tp_buf *out);
/* The last segment of an item's full name ("b" of "a/b"). */
const char *tp_classic_short_name(const char *name);
/* A folder (com.cloudbees.hudson.plugins.folder.Folder) with its `jobs` (taken). */
cJSON *tp_classic_folder_json(const char *root, const struct tp_pipeline_rec *folder, cJSON *jobs);

/* Jenkins' ball colour of a job: blue, red, yellow, aborted, notbuilt, disabled (+_anime). */
const char *tp_classic_color(const struct tp_classic_job *job);
/* The same from a job's last finished result (TP_RESULT_NONE: none) and whether it builds. */
const char *tp_classic_color_of(bool disabled, enum tp_result last, bool building);

/* A build; `previous`/`next` (may be NULL) are its neighbours; `artifacts` its archived
 * artifacts (may be NULL). */
struct tp_artifact;
/* A run's actions as Jenkins exports them: its ParametersAction (when it has parameters),
 * then its CauseAction. */
cJSON *tp_classic_run_actions(const struct tp_run_rec *run);
cJSON *tp_classic_build_json(const char *root, const struct tp_run_rec *run,
                             const struct tp_run_rec *previous, const struct tp_run_rec *next,
                             const struct tp_artifact *artifacts, size_t nartifacts);
cJSON *tp_classic_job_json(const char *root, const struct tp_classic_job *job, bool deep);
/* A queue item: waiting (QUEUED) or left (started: `executable`). */
cJSON *tp_classic_queue_item_json(const char *root, const struct tp_run_rec *run,
                                  const struct tp_classic_job *job);
/* The root object; `jobs` entries are {_class, name, url, color}. */
cJSON *tp_classic_root_json(const char *root, int executors, bool security, cJSON *jobs);
/* The built-in node with its executors: `busy` holds the runs on them (by slot order). */
cJSON *tp_classic_computer_json(const char *root, int executors, const struct tp_run_rec *busy,
                                size_t nbusy, bool deep);

#endif
