/* SPDX-License-Identifier: MIT */
#include "http/classic_json.h"

#include <stdio.h>
#include <string.h>

#include "common/json.h"
#include "common/str.h"
#include "engine/engine.h"
#include "engine/params.h"

static const char JOB_CLASS[] = TP_CLASSIC_JOB_CLASS;
static const char RUN_CLASS[] = "org.jenkinsci.plugins.workflow.job.WorkflowRun";

/* An item's fullDisplayName: "team » app". */
static void add_display(cJSON *o, const char *name)
{
    struct tp_buf full;
    tp_buf_init(&full);
    tp_str_job_display(name, &full);
    cJSON_AddStringToObject(o, "fullDisplayName", tp_buf_str(&full));
    tp_buf_close(&full);
}

void tp_classic_job_url(const char *root, const char *name, struct tp_buf *out)
{
    tp_buf_puts(out, root);
    tp_str_job_path(name, out);
}

const char *tp_classic_short_name(const char *name)
{
    const char *slash = strrchr(name, '/');
    return slash != NULL ? slash + 1 : name;
}

static void add_url(cJSON *o, const char *root, const char *job, int64_t number)
{
    struct tp_buf url;
    tp_buf_init(&url);
    tp_classic_job_url(root, job, &url);
    if (number > 0)
        tp_buf_printf(&url, "%lld/", (long long)number);
    cJSON_AddStringToObject(o, "url", tp_buf_str(&url));
    tp_buf_close(&url);
}

cJSON *tp_classic_folder_json(const char *root, const struct tp_pipeline_rec *folder, cJSON *jobs)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(
        o, "_class", folder->multibranch ? TP_CLASSIC_MULTIBRANCH_CLASS : TP_CLASSIC_FOLDER_CLASS);
    cJSON_AddArrayToObject(o, "actions");
    if (folder->description != NULL)
        cJSON_AddStringToObject(o, "description", folder->description);
    else
        cJSON_AddNullToObject(o, "description");
    cJSON_AddStringToObject(o, "displayName", tp_classic_short_name(folder->name));
    cJSON_AddNullToObject(o, "displayNameOrNull");
    add_display(o, folder->name);
    cJSON_AddStringToObject(o, "fullName", folder->name);
    cJSON_AddStringToObject(o, "name", tp_classic_short_name(folder->name));
    add_url(o, root, folder->name, 0);
    cJSON_AddItemToObject(o, "jobs", jobs);
    cJSON *view = cJSON_CreateObject();
    cJSON_AddStringToObject(view, "_class", "hudson.model.AllView");
    cJSON_AddStringToObject(view, "name", "All");
    add_url(view, root, folder->name, 0);
    cJSON_AddItemToObject(o, "primaryView", cJSON_Duplicate(view, true));
    cJSON *views = cJSON_AddArrayToObject(o, "views");
    cJSON_AddItemToArray(views, view);
    return o;
}

static bool building(const struct tp_run_rec *run)
{
    return run->state == TP_STATE_RUNNING || run->state == TP_STATE_PAUSED;
}

static bool finished(const struct tp_run_rec *run)
{
    return run->state == TP_STATE_FINISHED;
}

/* {_class, number, url}: how a build appears inside another object. */
static cJSON *build_ref(const char *root, const struct tp_run_rec *run)
{
    if (run == NULL)
        return cJSON_CreateNull();
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "_class", RUN_CLASS);
    tp_json_add_i64(o, "number", run->number);
    add_url(o, root, run->pipeline, run->number);
    return o;
}

static cJSON *causes_json(const struct tp_run_rec *run)
{
    cJSON *causes = cJSON_CreateArray();
    cJSON *c = cJSON_CreateObject();
    bool user = run->cause_user != NULL;
    cJSON_AddStringToObject(c, "_class", tp_engine_cause_class(run->cause, run->cause_user));
    cJSON_AddStringToObject(c, "shortDescription", run->cause != NULL ? run->cause : "Started");
    if (user) {
        cJSON_AddStringToObject(c, "userId", run->cause_user);
        cJSON_AddStringToObject(c, "userName", run->cause_user);
    }
    struct tp_buf project;
    tp_buf_init(&project);
    long long number;
    if (tp_engine_upstream(run->cause, &project, &number)) {
        cJSON_AddNumberToObject(c, "upstreamBuild", (double)number);
        cJSON_AddStringToObject(c, "upstreamProject", tp_buf_str(&project));
        struct tp_buf url;
        tp_buf_init(&url);
        tp_str_job_path(tp_buf_str(&project), &url);
        cJSON_AddStringToObject(c, "upstreamUrl", tp_buf_str(&url));
        tp_buf_close(&url);
    }
    tp_buf_close(&project);
    cJSON_AddItemToArray(causes, c);
    return causes;
}

/* [{ParametersAction}, {CauseAction}]: what a build and a queue item carry. */
cJSON *tp_classic_run_actions(const struct tp_run_rec *run)
{
    cJSON *actions = cJSON_CreateArray();
    cJSON *values = run->parameters != NULL ? cJSON_Parse(run->parameters) : NULL;
    if (cJSON_GetArraySize(values) > 0) {
        cJSON *action = cJSON_CreateObject();
        cJSON_AddStringToObject(action, "_class", "hudson.model.ParametersAction");
        cJSON *list = cJSON_AddArrayToObject(action, "parameters");
        const cJSON *v;
        cJSON_ArrayForEach(v, values)
        {
            const cJSON *value = cJSON_GetObjectItemCaseSensitive(v, "value");
            cJSON *p = cJSON_CreateObject();
            cJSON_AddStringToObject(p, "_class",
                                    cJSON_IsBool(value) ? "hudson.model.BooleanParameterValue"
                                                        : "hudson.model.StringParameterValue");
            cJSON_AddItemToObject(
                p, "name", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(v, "name"), true));
            cJSON_AddItemToObject(
                p, "value", value != NULL ? cJSON_Duplicate(value, true) : cJSON_CreateNull());
            cJSON_AddItemToArray(list, p);
        }
        cJSON_AddItemToArray(actions, action);
    }
    cJSON_Delete(values);
    cJSON *cause = cJSON_CreateObject();
    cJSON_AddStringToObject(cause, "_class", "hudson.model.CauseAction");
    cJSON_AddItemToObject(cause, "causes", causes_json(run));
    cJSON_AddItemToArray(actions, cause);
    return actions;
}

cJSON *tp_classic_build_json(const char *root, const struct tp_run_rec *run,
                             const struct tp_run_rec *previous, const struct tp_run_rec *next,
                             const struct tp_artifact *artifacts, size_t nartifacts)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "_class", RUN_CLASS);
    cJSON_AddItemToObject(o, "actions", tp_classic_run_actions(run));
    cJSON *list = cJSON_AddArrayToObject(o, "artifacts");
    for (size_t i = 0; i < nartifacts; i++) {
        cJSON *a = cJSON_CreateObject();
        const char *slash = strrchr(artifacts[i].path, '/');
        cJSON_AddStringToObject(a, "displayPath", slash != NULL ? slash + 1 : artifacts[i].path);
        cJSON_AddStringToObject(a, "fileName", slash != NULL ? slash + 1 : artifacts[i].path);
        cJSON_AddStringToObject(a, "relativePath", artifacts[i].path);
        cJSON_AddItemToArray(list, a);
    }
    cJSON_AddBoolToObject(o, "building", building(run));
    if (run->description != NULL)
        cJSON_AddStringToObject(o, "description", run->description);
    else
        cJSON_AddNullToObject(o, "description");
    char text[64];
    snprintf(text, sizeof(text), "#%lld", (long long)run->number);
    const char *display = run->display_name != NULL ? run->display_name : text;
    cJSON_AddStringToObject(o, "displayName", display);
    tp_json_add_i64(o, "duration",
                    finished(run) && run->end_ms > run->start_ms ? run->end_ms - run->start_ms : 0);
    tp_json_add_i64(o, "estimatedDuration", -1);
    cJSON_AddNullToObject(o, "executor");
    struct tp_buf full;
    tp_buf_init(&full);
    tp_str_job_display(run->pipeline, &full);
    tp_buf_printf(&full, " %s", display);
    cJSON_AddStringToObject(o, "fullDisplayName", tp_buf_str(&full));
    tp_buf_close(&full);
    snprintf(text, sizeof(text), "%lld", (long long)run->number);
    cJSON_AddStringToObject(o, "id", text);
    cJSON_AddBoolToObject(o, "keepLog", false);
    tp_json_add_i64(o, "number", run->number);
    tp_json_add_i64(o, "queueId", run->queue_id);
    const char *result = finished(run) ? tp_result_name(run->result) : NULL;
    if (result != NULL)
        cJSON_AddStringToObject(o, "result", result);
    else
        cJSON_AddNullToObject(o, "result");
    tp_json_add_i64(o, "timestamp", run->start_ms);
    add_url(o, root, run->pipeline, run->number);
    cJSON *change_sets = cJSON_AddArrayToObject(o, "changeSets");
    cJSON *stored = run->change_set != NULL ? cJSON_Parse(run->change_set) : NULL;
    if (cJSON_GetArraySize(stored) > 0) {
        cJSON *set = cJSON_CreateObject();
        cJSON_AddStringToObject(set, "_class", "hudson.plugins.git.GitChangeSetList");
        cJSON *items = cJSON_AddArrayToObject(set, "items");
        const cJSON *c;
        cJSON_ArrayForEach(c, stored)
        {
            cJSON *item = cJSON_CreateObject();
            cJSON_AddStringToObject(item, "_class", "hudson.plugins.git.GitChangeSet");
            cJSON *paths = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(c, "paths"), true);
            cJSON_AddItemToObject(item, "affectedPaths",
                                  paths != NULL ? paths : cJSON_CreateArray());
            const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "commitId"));
            const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "msg"));
            const char *who = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "author"));
            tp_json_add_str(item, "commitId", id);
            const cJSON *when = cJSON_GetObjectItemCaseSensitive(c, "timestamp");
            tp_json_add_i64(item, "timestamp",
                            cJSON_IsNumber(when) ? (int64_t)when->valuedouble : 0);
            cJSON *author = cJSON_AddObjectToObject(item, "author");
            tp_json_add_str(author, "fullName", who);
            tp_json_add_str(item, "authorEmail",
                            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "email")));
            tp_json_add_str(item, "comment", msg);
            tp_json_add_str(item, "id", id);
            tp_json_add_str(item, "msg", msg);
            cJSON_AddItemToArray(items, item);
        }
        cJSON_AddStringToObject(set, "kind", "git");
        cJSON_AddItemToArray(change_sets, set);
    }
    cJSON_Delete(stored);
    cJSON_AddArrayToObject(o, "culprits");
    cJSON_AddBoolToObject(o, "inProgress", building(run));
    cJSON_AddItemToObject(o, "nextBuild", build_ref(root, next));
    cJSON_AddItemToObject(o, "previousBuild", build_ref(root, previous));
    return o;
}

const char *tp_classic_color_of(bool disabled, enum tp_result last, bool building)
{
    static const char *const colors[][2] = {
        [TP_RESULT_SUCCESS] = { "blue", "blue_anime" },
        [TP_RESULT_UNSTABLE] = { "yellow", "yellow_anime" },
        [TP_RESULT_FAILURE] = { "red", "red_anime" },
        [TP_RESULT_NOT_BUILT] = { "notbuilt", "notbuilt_anime" },
        [TP_RESULT_ABORTED] = { "aborted", "aborted_anime" },
    };
    if (disabled)
        return "disabled";
    if (last > TP_RESULT_ABORTED)
        return building ? "notbuilt_anime" : "notbuilt";
    return colors[last][building ? 1 : 0];
}

const char *tp_classic_color(const struct tp_classic_job *job)
{
    bool anime = false;
    for (size_t i = 0; i < job->nruns; i++) {
        const struct tp_run_rec *r = &job->runs[i];
        if (building(r))
            anime = true;
        else if (finished(r))
            return tp_classic_color_of(job->pipeline->disabled, r->result, anime);
    }
    return tp_classic_color_of(job->pipeline->disabled, TP_RESULT_NONE, anime);
}

/* The newest build of the job for which `keep` holds, as a reference (or null). */
static cJSON *last_ref(const char *root, const struct tp_classic_job *job, bool deep,
                       bool (*keep)(const struct tp_run_rec *run))
{
    for (size_t i = 0; i < job->nruns; i++) {
        const struct tp_run_rec *r = &job->runs[i];
        if (r->state != TP_STATE_QUEUED && keep(r))
            return deep ? tp_classic_build_json(
                              root, r, i + 1 < job->nruns ? &job->runs[i + 1] : NULL,
                              i > 0 && job->runs[i - 1].state != TP_STATE_QUEUED ? &job->runs[i - 1]
                                                                                 : NULL,
                              NULL, 0)
                        : build_ref(root, r);
    }
    return cJSON_CreateNull();
}

static bool any_build(const struct tp_run_rec *r)
{
    (void)r;
    return true;
}

static bool completed(const struct tp_run_rec *r)
{
    return finished(r);
}

static bool failed(const struct tp_run_rec *r)
{
    return finished(r) && r->result == TP_RESULT_FAILURE;
}

static bool stable(const struct tp_run_rec *r)
{
    return finished(r) && r->result == TP_RESULT_SUCCESS;
}

static bool successful(const struct tp_run_rec *r)
{
    return finished(r) && (r->result == TP_RESULT_SUCCESS || r->result == TP_RESULT_UNSTABLE);
}

static bool unstable(const struct tp_run_rec *r)
{
    return finished(r) && r->result == TP_RESULT_UNSTABLE;
}

static bool unsuccessful(const struct tp_run_rec *r)
{
    return finished(r) && r->result != TP_RESULT_SUCCESS;
}

/* Jenkins' parameter definitions, classic shape: {_class, defaultParameterValue, ...}. */
static cJSON *parameters_property(const struct tp_classic_job *job)
{
    cJSON *defs = tp_params_definitions_defs(job->params, job->nparams);
    cJSON *property = cJSON_CreateObject();
    cJSON_AddStringToObject(property, "_class", "hudson.model.ParametersDefinitionProperty");
    cJSON_AddItemToObject(property, "parameterDefinitions", defs);
    return property;
}

cJSON *tp_classic_job_json(const char *root, const struct tp_classic_job *job, bool deep)
{
    const char *name = job->pipeline->name;
    bool parameterized = job->nparams > 0;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "_class", JOB_CLASS);
    cJSON *actions = cJSON_AddArrayToObject(o, "actions");
    if (parameterized)
        cJSON_AddItemToArray(actions, parameters_property(job));
    if (job->pipeline->description != NULL)
        cJSON_AddStringToObject(o, "description", job->pipeline->description);
    else
        cJSON_AddNullToObject(o, "description");
    cJSON_AddStringToObject(o, "displayName", tp_classic_short_name(name));
    cJSON_AddNullToObject(o, "displayNameOrNull");
    add_display(o, name);
    cJSON_AddStringToObject(o, "fullName", name);
    cJSON_AddStringToObject(o, "name", tp_classic_short_name(name));
    add_url(o, root, name, 0);
    cJSON_AddBoolToObject(o, "buildable", !job->pipeline->disabled);
    cJSON *builds = cJSON_AddArrayToObject(o, "builds");
    cJSON *all = job->all_builds ? cJSON_AddArrayToObject(o, "allBuilds") : NULL;
    int listed = 0;
    const struct tp_run_rec *first = NULL, *queued = NULL;
    for (size_t i = 0; i < job->nruns; i++) {
        const struct tp_run_rec *r = &job->runs[i];
        if (r->state == TP_STATE_QUEUED) {
            queued = r;
            continue;
        }
        first = r;
        cJSON *ref =
            deep ? tp_classic_build_json(root, r, NULL, NULL, NULL, 0) : build_ref(root, r);
        if (all != NULL)
            cJSON_AddItemToArray(all, cJSON_Duplicate(ref, true));
        if (listed++ < 100)
            cJSON_AddItemToArray(builds, ref);
        else
            cJSON_Delete(ref);
    }
    cJSON_AddStringToObject(o, "color", tp_classic_color(job));
    cJSON_AddItemToObject(o, "firstBuild", build_ref(root, first));
    cJSON *health = cJSON_AddArrayToObject(o, "healthReport");
    (void)health;
    cJSON_AddBoolToObject(o, "inQueue", queued != NULL);
    cJSON_AddBoolToObject(o, "keepDependencies", false);
    cJSON_AddItemToObject(o, "lastBuild", last_ref(root, job, deep, any_build));
    cJSON_AddItemToObject(o, "lastCompletedBuild", last_ref(root, job, deep, completed));
    cJSON_AddItemToObject(o, "lastFailedBuild", last_ref(root, job, deep, failed));
    cJSON_AddItemToObject(o, "lastStableBuild", last_ref(root, job, deep, stable));
    cJSON_AddItemToObject(o, "lastSuccessfulBuild", last_ref(root, job, deep, successful));
    cJSON_AddItemToObject(o, "lastUnstableBuild", last_ref(root, job, deep, unstable));
    cJSON_AddItemToObject(o, "lastUnsuccessfulBuild", last_ref(root, job, deep, unsuccessful));
    tp_json_add_i64(o, "nextBuildNumber", job->pipeline->next_number);
    cJSON *property = cJSON_AddArrayToObject(o, "property");
    if (parameterized)
        cJSON_AddItemToArray(property, parameters_property(job));
    cJSON_AddItemToObject(o, "queueItem",
                          queued != NULL ? tp_classic_queue_item_json(root, queued, job)
                                         : cJSON_CreateNull());
    cJSON_AddBoolToObject(o, "concurrentBuild", true);
    cJSON_AddBoolToObject(o, "resumeBlocked", false);
    return o;
}

cJSON *tp_classic_queue_item_json(const char *root, const struct tp_run_rec *run,
                                  const struct tp_classic_job *job)
{
    bool waiting = run->state == TP_STATE_QUEUED;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(
        o, "_class", waiting ? "hudson.model.Queue$BuildableItem" : "hudson.model.Queue$LeftItem");
    cJSON_AddItemToObject(o, "actions", tp_classic_run_actions(run));
    cJSON_AddBoolToObject(o, "blocked", waiting && run->blockage != NULL);
    cJSON_AddBoolToObject(o, "buildable", waiting && run->blockage == NULL);
    tp_json_add_i64(o, "id", run->queue_id);
    tp_json_add_i64(o, "inQueueSince", run->enqueue_ms);
    struct tp_buf params;
    tp_buf_init(&params);
    cJSON *values = run->parameters != NULL ? cJSON_Parse(run->parameters) : NULL;
    const cJSON *v;
    cJSON_ArrayForEach(v, values)
    {
        const char *n = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "name"));
        const char *text = tp_params_get(values, n != NULL ? n : "");
        if (n != NULL && text != NULL)
            tp_buf_printf(&params, "\n%s=%s", n, text);
    }
    cJSON_Delete(values);
    cJSON_AddStringToObject(o, "params", tp_buf_str(&params));
    tp_buf_close(&params);
    cJSON_AddBoolToObject(o, "stuck", false);
    cJSON *task = cJSON_AddObjectToObject(o, "task");
    cJSON_AddStringToObject(task, "_class", JOB_CLASS);
    cJSON_AddStringToObject(task, "name", tp_classic_short_name(run->pipeline));
    add_url(task, root, run->pipeline, 0);
    cJSON_AddStringToObject(task, "color", job != NULL ? tp_classic_color(job) : "notbuilt");
    char url[64];
    snprintf(url, sizeof(url), "queue/item/%lld/", (long long)run->queue_id);
    cJSON_AddStringToObject(o, "url", url);
    if (waiting) {
        cJSON_AddStringToObject(o, "why",
                                run->blockage != NULL ? run->blockage
                                                      : "Waiting for next available executor");
        tp_json_add_i64(o, "buildableStartMilliseconds", run->enqueue_ms);
    } else {
        /* stopped while queued: it left the queue without becoming a build */
        bool cancelled = run->start_ms == 0;
        cJSON_AddNullToObject(o, "why");
        cJSON_AddBoolToObject(o, "cancelled", cancelled);
        cJSON_AddItemToObject(o, "executable",
                              cancelled ? cJSON_CreateNull() : build_ref(root, run));
    }
    return o;
}

cJSON *tp_classic_root_json(const char *root, int executors, bool security, cJSON *jobs)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "_class", "hudson.model.Hudson");
    cJSON *labels = cJSON_AddArrayToObject(o, "assignedLabels");
    cJSON *label = cJSON_CreateObject();
    cJSON_AddStringToObject(label, "name", "built-in");
    cJSON_AddItemToArray(labels, label);
    cJSON_AddStringToObject(o, "mode", "NORMAL");
    cJSON_AddStringToObject(o, "nodeDescription", "the Jenkins controller's built-in node");
    cJSON_AddStringToObject(o, "nodeName", "");
    tp_json_add_i64(o, "numExecutors", executors);
    cJSON_AddNullToObject(o, "description");
    cJSON_AddItemToObject(o, "jobs", jobs);
    cJSON *load = cJSON_AddObjectToObject(o, "overallLoad");
    (void)load;
    cJSON *view = cJSON_CreateObject();
    cJSON_AddStringToObject(view, "_class", "hudson.model.AllView");
    cJSON_AddStringToObject(view, "name", "all");
    cJSON_AddStringToObject(view, "url", root);
    cJSON_AddItemToObject(o, "primaryView", cJSON_Duplicate(view, true));
    cJSON_AddNullToObject(o, "quietDownReason");
    cJSON_AddBoolToObject(o, "quietingDown", false);
    tp_json_add_i64(o, "slaveAgentPort", -1);
    cJSON *unlabeled = cJSON_AddObjectToObject(o, "unlabeledLoad");
    cJSON_AddStringToObject(unlabeled, "_class", "jenkins.model.UnlabeledLoadStatistics");
    cJSON_AddStringToObject(o, "url", root);
    cJSON_AddBoolToObject(o, "useCrumbs", true);
    cJSON_AddBoolToObject(o, "useSecurity", security);
    cJSON *views = cJSON_AddArrayToObject(o, "views");
    cJSON_AddItemToArray(views, view);
    return o;
}

cJSON *tp_classic_computer_json(const char *root, int executors, const struct tp_run_rec *busy,
                                size_t nbusy, bool deep)
{
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "_class", "hudson.model.Hudson$MasterComputer");
    cJSON_AddArrayToObject(c, "actions");
    cJSON *labels = cJSON_AddArrayToObject(c, "assignedLabels");
    cJSON *label = cJSON_CreateObject();
    cJSON_AddStringToObject(label, "name", "built-in");
    cJSON_AddItemToArray(labels, label);
    cJSON_AddStringToObject(c, "description", "the Jenkins controller's built-in node");
    cJSON_AddStringToObject(c, "displayName", "master");
    cJSON *list = cJSON_AddArrayToObject(c, "executors");
    for (int i = 0; i < executors; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "_class", "hudson.model.Executor");
        const struct tp_run_rec *run = (size_t)i < nbusy ? &busy[i] : NULL;
        cJSON_AddItemToObject(e, "currentExecutable",
                              run == NULL ? cJSON_CreateNull()
                              : deep      ? tp_classic_build_json(root, run, NULL, NULL, NULL, 0)
                                          : build_ref(root, run));
        cJSON_AddBoolToObject(e, "idle", run == NULL);
        cJSON_AddBoolToObject(e, "likelyStuck", false);
        tp_json_add_i64(e, "number", i);
        tp_json_add_i64(e, "progress", run == NULL ? -1 : 50);
        cJSON_AddItemToArray(list, e);
    }
    cJSON_AddBoolToObject(c, "idle", nbusy == 0);
    cJSON_AddBoolToObject(c, "jnlpAgent", false);
    cJSON_AddBoolToObject(c, "launchSupported", true);
    cJSON_AddBoolToObject(c, "manualLaunchAllowed", true);
    tp_json_add_i64(c, "numExecutors", executors);
    cJSON_AddBoolToObject(c, "offline", false);
    cJSON_AddNullToObject(c, "offlineCause");
    cJSON_AddBoolToObject(c, "temporarilyOffline", false);
    return c;
}
