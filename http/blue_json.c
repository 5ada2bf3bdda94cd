/* SPDX-License-Identifier: MIT */
#include "http/blue_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/json.h"
#include "common/mem.h"
#include "common/str.h"
#include "http/auth.h"

#define LINK_CLASS "io.jenkins.blueocean.rest.hal.Link"
#define ORG_HREF   "/blue/rest/organizations/jenkins/"

static void add_link(cJSON *links, const char *rel, const char *href)
{
    cJSON *link = cJSON_AddObjectToObject(links, rel);
    cJSON_AddStringToObject(link, "_class", LINK_CLASS);
    cJSON_AddStringToObject(link, "href", href);
}

/* Adds `_links` with `self` = base and one entry per rel: base + rel + "/". */
static cJSON *add_links(cJSON *obj, const char *base, const char *const *rels, size_t nrels)
{
    cJSON *links = cJSON_AddObjectToObject(obj, "_links");
    add_link(links, "self", base);
    struct tp_buf href;
    tp_buf_init(&href);
    for (size_t i = 0; i < nrels; i++) {
        tp_buf_reset(&href);
        tp_buf_printf(&href, "%s%s/", base, rels[i]);
        add_link(links, rels[i], href.data);
    }
    tp_buf_close(&href);
    return links;
}

void tp_blue_pipeline_href(const char *pipeline, struct tp_buf *out)
{
    tp_buf_puts(out, ORG_HREF);
    /* "a/b" (b inside folder a) is pipelines/a/pipelines/b/ */
    for (const char *p = pipeline; *p != '\0';) {
        size_t len = strcspn(p, "/");
        tp_buf_puts(out, "pipelines/");
        tp_str_url_encode_n(p, len, out);
        tp_buf_putc(out, '/');
        p += len + (p[len] == '/');
    }
}

/* The last segment of an item's full name (Blue Ocean's run `pipeline`). */
static const char *short_name(const char *full_name)
{
    const char *slash = strrchr(full_name, '/');
    return slash != NULL ? slash + 1 : full_name;
}

/* An item's name, displayName, fullName and fullDisplayName (each segment URL-encoded). */
static void add_names(cJSON *o, const char *full_name)
{
    const char *name = short_name(full_name);
    struct tp_buf display;
    tp_buf_init(&display);
    for (const char *p = full_name; *p != '\0';) {
        size_t len = strcspn(p, "/");
        if (display.len > 0)
            tp_buf_putc(&display, '/');
        tp_str_url_encode_n(p, len, &display);
        p += len + (p[len] == '/');
    }
    cJSON_AddStringToObject(o, "displayName", name);
    cJSON_AddStringToObject(o, "fullDisplayName", tp_buf_str(&display));
    cJSON_AddStringToObject(o, "fullName", full_name);
    cJSON_AddStringToObject(o, "name", name);
    tp_buf_close(&display);
}

cJSON *tp_blue_organization_json(void)
{
    static const char *const rels[] = { "pipelines", "users", "user" };
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "_class",
                            "io.jenkins.blueocean.service.embedded.rest.OrganizationImpl");
    add_links(o, ORG_HREF, rels, 3);
    cJSON_AddStringToObject(o, "displayName", "Jenkins");
    cJSON_AddStringToObject(o, "name", "jenkins");
    return o;
}

static cJSON *permissions(enum tp_role role)
{
    cJSON *p = cJSON_CreateObject();
    cJSON_AddBoolToObject(p, "create", role >= TP_ROLE_ADMIN);
    cJSON_AddBoolToObject(p, "configure", role >= TP_ROLE_ADMIN);
    cJSON_AddBoolToObject(p, "read", role >= TP_ROLE_READ);
    cJSON_AddBoolToObject(p, "start", role >= TP_ROLE_BUILD);
    cJSON_AddBoolToObject(p, "stop", role >= TP_ROLE_BUILD);
    return p;
}

/* Everything allowed; tp_blue_set_permissions narrows it to the caller's role. */
static void add_permissions(cJSON *o)
{
    cJSON_AddItemToObject(o, "permissions", permissions(TP_ROLE_ADMIN));
}

void tp_blue_set_permissions(cJSON *o, enum tp_role role)
{
    if (cJSON_HasObjectItem(o, "permissions"))
        cJSON_ReplaceItemInObjectCaseSensitive(o, "permissions", permissions(role));
}

cJSON *tp_blue_pipeline_json(const struct tp_pipeline_rec *pipeline,
                             const struct tp_blue_history *history, const cJSON *latest_run,
                             cJSON *parameters)
{
    static const char *const rels[] = { "runs", "queue", "actions", "trends" };
    struct tp_buf href;
    tp_buf_init(&href);
    tp_blue_pipeline_href(pipeline->name, &href);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "_class", "io.jenkins.blueocean.rest.impl.pipeline.PipelineImpl");
    add_links(o, href.data, rels, 4);
    cJSON_AddArrayToObject(o, "actions");
    tp_json_add_bool(o, "disabled", pipeline->disabled);
    tp_json_add_i64(o, "estimatedDurationInMillis", history->estimated_duration_ms);
    add_names(o, pipeline->name);
    if (latest_run != NULL)
        cJSON_AddItemToObject(o, "latestRun", cJSON_Duplicate(latest_run, 1));
    else
        cJSON_AddNullToObject(o, "latestRun");
    cJSON_AddStringToObject(o, "organization", "jenkins");
    cJSON_AddItemToObject(o, "parameters", parameters);
    add_permissions(o);
    tp_json_add_i64(o, "weatherScore", history->weather_score);
    tp_buf_close(&href);
    return o;
}

cJSON *tp_blue_folder_json(const struct tp_pipeline_rec *folder, const char *const *children,
                           size_t nchildren)
{
    static const char *const rels[] = { "runs", "queue", "actions", "trends" };
    struct tp_buf href;
    tp_buf_init(&href);
    tp_blue_pipeline_href(folder->name, &href);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "_class",
                            "io.jenkins.blueocean.service.embedded.rest.PipelineFolderImpl");
    add_links(o, href.data, rels, 4);
    cJSON_AddArrayToObject(o, "actions");
    tp_json_add_bool(o, "disabled", false);
    add_names(o, folder->name);
    size_t nfolders = 0;
    cJSON *names = cJSON_CreateArray();
    for (size_t i = 0; i < nchildren; i++) {
        /* Blue Ocean lists a null for every child that is not a folder */
        nfolders += children[i] != NULL;
        cJSON_AddItemToArray(names, children[i] != NULL ? cJSON_CreateString(children[i])
                                                        : cJSON_CreateNull());
    }
    tp_json_add_i64(o, "numberOfFolders", (int64_t)nfolders);
    tp_json_add_i64(o, "numberOfPipelines", (int64_t)(nchildren - nfolders));
    cJSON_AddStringToObject(o, "organization", "jenkins");
    cJSON_AddNullToObject(o, "parameters");
    add_permissions(o);
    cJSON_AddItemToObject(o, "pipelineFolderNames", names);
    tp_buf_close(&href);
    return o;
}

cJSON *tp_blue_multibranch_json(const struct tp_pipeline_rec *mbp,
                                const struct tp_blue_multibranch *m)
{
    static const char *const rels[] = { "runs", "queue", "actions", "trends", "branches", "scm" };
    struct tp_buf href;
    tp_buf_init(&href);
    tp_blue_pipeline_href(mbp->name, &href);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "_class",
                            "io.jenkins.blueocean.rest.impl.pipeline.MultiBranchPipelineImpl");
    add_links(o, href.data, rels, 6);
    cJSON_AddArrayToObject(o, "actions");
    cJSON_AddNullToObject(o, "disabled");
    add_names(o, mbp->name);
    tp_json_add_i64(o, "estimatedDurationInMillis", m->estimated_duration_ms);
    tp_json_add_i64(o, "numberOfFolders", 0);
    tp_json_add_i64(o, "numberOfPipelines", (int64_t)m->nbranches);
    cJSON_AddStringToObject(o, "organization", "jenkins");
    cJSON_AddNullToObject(o, "parameters");
    add_permissions(o);
    cJSON_AddArrayToObject(o, "pipelineFolderNames");
    tp_json_add_i64(o, "weatherScore", m->weather_score);
    cJSON *names = cJSON_AddArrayToObject(o, "branchNames");
    for (size_t i = 0; i < m->nbranches; i++)
        cJSON_AddItemToArray(names, cJSON_CreateString(m->branches[i]));
    tp_json_add_i64(o, "numberOfFailingBranches", m->failing);
    tp_json_add_i64(o, "numberOfFailingPullRequests", 0);
    tp_json_add_i64(o, "numberOfSuccessfulBranches", m->successful);
    tp_json_add_i64(o, "numberOfSuccessfulPullRequests", 0);
    cJSON *scm = cJSON_AddObjectToObject(o, "scmSource");
    cJSON_AddNullToObject(scm, "apiUrl");
    cJSON_AddStringToObject(scm, "id", "git");
    cJSON_AddStringToObject(o, "scriptPath", m->script_path);
    tp_json_add_i64(o, "totalNumberOfBranches", (int64_t)m->nbranches);
    tp_json_add_i64(o, "totalNumberOfPullRequests", 0);
    tp_buf_close(&href);
    return o;
}

cJSON *tp_blue_branch_json(cJSON *pipeline, const char *mbp, const char *job_name, bool primary)
{
    struct tp_buf href;
    tp_buf_init(&href);
    tp_blue_pipeline_href(mbp, &href);
    tp_buf_puts(&href, "branches/");
    tp_str_url_encode(job_name, &href);
    tp_buf_putc(&href, '/');
    static const char *const rels[] = { "runs", "queue", "actions", "trends", "scm" };
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "_class", "io.jenkins.blueocean.rest.impl.pipeline.BranchImpl");
    add_links(o, href.data, rels, 5);
    tp_buf_close(&href);
    /* the rest as the pipeline has it, but for its display name: the branch's, decoded */
    for (cJSON *item = pipeline->child; item != NULL; item = pipeline->child) {
        cJSON_DetachItemViaPointer(pipeline, item);
        char *key = tp_xstrdup(item->string);
        if (strcmp(key, "_class") == 0 || strcmp(key, "_links") == 0) {
            cJSON_Delete(item);
        } else if (strcmp(key, "displayName") == 0) {
            struct tp_buf decoded;
            tp_buf_init(&decoded);
            if (tp_str_url_decode(job_name, strlen(job_name), false, &decoded) < 0)
                tp_buf_puts(&decoded, job_name);
            cJSON_AddStringToObject(o, key, tp_buf_str(&decoded));
            tp_buf_close(&decoded);
            cJSON_Delete(item);
        } else {
            cJSON_AddItemToObject(o, key, item);
        }
        free(key);
    }
    cJSON_Delete(pipeline);
    cJSON *branch = cJSON_AddObjectToObject(o, "branch");
    cJSON_AddBoolToObject(branch, "isPrimary", primary);
    cJSON_AddArrayToObject(branch, "issues");
    cJSON_AddNullToObject(branch, "url");
    return o;
}

cJSON *tp_blue_change_set_json(const struct tp_run_rec *run)
{
    cJSON *list = cJSON_CreateArray();
    cJSON *stored = run->change_set != NULL ? cJSON_Parse(run->change_set) : NULL;
    struct tp_buf href;
    tp_buf_init(&href);
    const cJSON *c;
    cJSON_ArrayForEach(c, stored)
    {
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "commitId"));
        const char *author = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "author"));
        const cJSON *when = cJSON_GetObjectItemCaseSensitive(c, "timestamp");
        if (id == NULL || author == NULL)
            continue;
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "_class",
                                "io.jenkins.blueocean.service.embedded.rest.ChangeSetResource");
        tp_buf_reset(&href);
        tp_blue_pipeline_href(run->pipeline, &href);
        tp_buf_printf(&href, "runs/%lld/changeSet/%s/", (long long)run->number, id);
        add_links(e, href.data, NULL, 0);
        cJSON *user = tp_blue_user_json(author, -1);
        cJSON_AddItemToObject(e, "author", user);
        cJSON *paths = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(c, "paths"), true);
        cJSON_AddItemToObject(e, "affectedPaths", paths != NULL ? paths : cJSON_CreateArray());
        tp_json_add_i64(e, "checkoutCount", 0);
        cJSON_AddStringToObject(e, "commitId", id);
        tp_json_add_str(e, "msg", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "msg")));
        tp_json_add_time(e, "timestamp", cJSON_IsNumber(when) ? (int64_t)when->valuedouble : 0);
        cJSON_AddNullToObject(e, "url");
        cJSON_AddItemToArray(list, e);
    }
    cJSON_Delete(stored);
    tp_buf_close(&href);
    return list;
}

/* Why a queued run waits: what the engine recorded, else for an executor. */
static const char *blockage(const struct tp_run_rec *run)
{
    return run->blockage != NULL ? run->blockage : "Waiting for next available executor";
}

static cJSON *cause_json(const struct tp_run_rec *run)
{
    cJSON *causes = cJSON_CreateArray();
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(
        c, "_class", "io.jenkins.blueocean.service.embedded.rest.AbstractRunImpl$BlueCauseImpl");
    cJSON_AddStringToObject(c, "shortDescription", run->cause ? run->cause : "Started");
    if (run->cause_user != NULL) {
        cJSON_AddStringToObject(c, "userId", run->cause_user);
        cJSON_AddStringToObject(c, "userName", run->cause_user);
    }
    cJSON_AddItemToArray(causes, c);
    return causes;
}

cJSON *tp_blue_run_json(const struct tp_run_rec *run, const struct tp_blue_run_context *ctx,
                        bool summary)
{
    static const char *const queued_rels[] = { "changeSet", "artifacts",       "actions",
                                               "tests",     "blueTestSummary", "log" };
    static const char *const run_rels[] = { "changeSet",       "artifacts", "actions", "tests",
                                            "blueTestSummary", "log",       "nodes",   "steps" };
    const bool queued = run->state == TP_STATE_QUEUED;
    struct tp_buf base, href;
    tp_buf_init(&base);
    tp_buf_init(&href);
    tp_blue_pipeline_href(run->pipeline, &base);
    tp_buf_printf(&href, "%sruns/%lld/", base.data, (long long)run->number);

    cJSON *o = cJSON_CreateObject();
    const char *cls =
        queued    ? "io.jenkins.blueocean.service.embedded.rest.QueuedBlueRun"
        : summary ? "io.jenkins.blueocean.rest.impl.pipeline.PipelineImpl$PipelineRunSummary"
                  : "io.jenkins.blueocean.rest.impl.pipeline.PipelineRunImpl";
    cJSON_AddStringToObject(o, "_class", cls);
    cJSON *links = queued ? add_links(o, href.data, queued_rels, 6)
                          : add_links(o, href.data, run_rels, summary ? 6 : 8);
    add_link(links, "parent", base.data);
    if (!queued && ctx->prev_number > 0) {
        tp_buf_reset(&href);
        tp_buf_printf(&href, "%sruns/%lld/", base.data, (long long)ctx->prev_number);
        add_link(links, "prevRun", href.data);
    }
    if (!queued && ctx->next_number > 0) {
        tp_buf_reset(&href);
        tp_buf_printf(&href, "%sruns/%lld/", base.data, (long long)ctx->next_number);
        add_link(links, "nextRun", href.data);
    }
    cJSON_AddArrayToObject(o, "actions");
    if (ctx->has_artifacts) {
        tp_buf_reset(&href);
        tp_buf_putc(&href, '/');
        tp_str_job_path(run->pipeline, &href);
        tp_buf_printf(&href, "%lld/artifact/*zip*/archive.zip", (long long)run->number);
        cJSON_AddStringToObject(o, "artifactsZipFile", href.data);
    } else {
        cJSON_AddNullToObject(o, "artifactsZipFile");
    }
    if (queued)
        cJSON_AddStringToObject(o, "causeOfBlockage", blockage(run));
    else
        cJSON_AddNullToObject(o, "causeOfBlockage");
    cJSON_AddItemToObject(o, "causes", cause_json(run));
    cJSON_AddItemToObject(o, "changeSet", tp_blue_change_set_json(run));
    if (run->description != NULL)
        cJSON_AddStringToObject(o, "description", run->description);
    else
        cJSON_AddNullToObject(o, "description");
    const bool finished = run->state == TP_STATE_FINISHED;
    if (queued)
        cJSON_AddNullToObject(o, "durationInMillis");
    else
        tp_json_add_i64(o, "durationInMillis", finished ? run->end_ms - run->start_ms : 0);
    tp_json_add_time(o, "enQueueTime", queued ? 0 : run->enqueue_ms);
    tp_json_add_time(o, "endTime", finished ? run->end_ms : 0);
    if (queued)
        cJSON_AddNullToObject(o, "estimatedDurationInMillis");
    else
        tp_json_add_i64(o, "estimatedDurationInMillis", ctx->estimated_duration_ms);
    tp_json_add_id(o, "id", run->number);
    if (run->display_name != NULL) /* Blue Ocean's name: a display name a script set */
        cJSON_AddStringToObject(o, "name", run->display_name);
    else
        cJSON_AddNullToObject(o, "name");
    cJSON_AddStringToObject(o, "organization", "jenkins");
    cJSON_AddStringToObject(o, "pipeline", short_name(run->pipeline));
    if (queued)
        tp_json_add_id(o, "queueId", run->queue_id);
    /* Every run that started has its script stored: it can be replayed. */
    tp_json_add_bool(o, "replayable", !queued);
    /* Blue Ocean reports UNKNOWN while a run is going, whatever it will end as. */
    cJSON_AddStringToObject(o, "result", finished ? tp_result_name(run->result) : "UNKNOWN");
    tp_json_add_str(o, "runSummary", queued ? NULL : finished ? ctx->run_summary : "?");
    tp_json_add_time(o, "startTime", queued ? 0 : run->start_ms);
    cJSON_AddStringToObject(o, "state", tp_state_name(run->state));
    cJSON_AddStringToObject(o, "type", queued ? "QueuedItem" : "WorkflowRun");
    if (!queued && !summary) {
        cJSON_AddNullToObject(o, "branch");
        tp_json_add_str(o, "commitId", run->commit_id);
        cJSON_AddNullToObject(o, "commitUrl");
        cJSON_AddNullToObject(o, "pullRequest");
    }
    tp_buf_close(&base);
    tp_buf_close(&href);
    return o;
}

static int64_t duration(enum tp_state state, int64_t start_ms, int64_t end_ms, int64_t now_ms)
{
    if (start_ms <= 0)
        return 0;
    if (state == TP_STATE_RUNNING || state == TP_STATE_PAUSED || end_ms <= 0)
        return now_ms > start_ms ? now_ms - start_ms : 0;
    return end_ms - start_ms;
}

cJSON *tp_blue_node_json(const struct tp_run_rec *run, const struct tp_node_rec *node,
                         const struct tp_blue_edge *edges, size_t nedges, bool future,
                         bool restartable, int64_t now_ms)
{
    static const char *const rels[] = { "actions", "steps" };
    struct tp_buf href;
    tp_buf_init(&href);
    tp_blue_pipeline_href(run->pipeline, &href);
    tp_buf_printf(&href, "runs/%lld/nodes/%lld/", (long long)run->number, (long long)node->node_id);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "_class",
                            "io.jenkins.blueocean.rest.impl.pipeline.PipelineNodeImpl");
    add_links(o, href.data, rels, 2);
    cJSON_AddArrayToObject(o, "actions");
    cJSON_AddNullToObject(o, "displayDescription");
    cJSON_AddStringToObject(o, "displayName", node->name);
    tp_json_add_i64(o, "durationInMillis",
                    future ? 0 : duration(node->state, node->start_ms, node->end_ms, now_ms));
    cJSON *edge_list = cJSON_AddArrayToObject(o, "edges");
    for (size_t i = 0; i < nedges; i++) {
        cJSON *edge = cJSON_CreateObject();
        cJSON_AddStringToObject(
            edge, "_class", "io.jenkins.blueocean.rest.impl.pipeline.PipelineNodeImpl$EdgeImpl");
        tp_json_add_id(edge, "id", edges[i].id);
        cJSON_AddStringToObject(edge, "type",
                                edges[i].type == TP_NODE_PARALLEL ? "PARALLEL" : "STAGE");
        cJSON_AddItemToArray(edge_list, edge);
    }
    if (node->first_parent > 0)
        tp_json_add_id(o, "firstParent", node->first_parent);
    else
        cJSON_AddNullToObject(o, "firstParent");
    tp_json_add_id(o, "id", node->node_id);
    cJSON_AddNullToObject(o, "input");
    tp_json_add_str(o, "result", future ? NULL : tp_result_name(node->result));
    tp_json_add_time(o, "startTime", future ? 0 : node->start_ms);
    tp_json_add_str(o, "state", future ? NULL : tp_state_name(node->state));
    cJSON_AddStringToObject(o, "type", node->type == TP_NODE_PARALLEL ? "PARALLEL" : "STAGE");
    cJSON_AddNullToObject(o, "causeOfBlockage");
    tp_json_add_bool(o, "restartable", restartable && !future);
    tp_buf_close(&href);
    return o;
}

cJSON *tp_blue_step_json(const struct tp_step_rec *step, const char *container_href, bool has_log,
                         int64_t now_ms)
{
    static const char *const rels[] = { "actions" };
    struct tp_buf href;
    tp_buf_init(&href);
    tp_buf_printf(&href, "%ssteps/%lld/", container_href, (long long)step->step_id);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "_class",
                            "io.jenkins.blueocean.rest.impl.pipeline.PipelineStepImpl");
    add_links(o, href.data, rels, 1);
    cJSON *actions = cJSON_AddArrayToObject(o, "actions");
    if (has_log) {
        /* The LogAction proxy; Blue Ocean writes `_class` twice (proxy, then action). */
        cJSON *a = cJSON_CreateObject();
        cJSON_AddStringToObject(a, "_class",
                                "io.jenkins.blueocean.service.embedded.rest.ActionProxiesImpl");
        cJSON *links = cJSON_AddObjectToObject(a, "_links");
        tp_buf_puts(&href, "log/");
        add_link(links, "self", href.data);
        cJSON_AddStringToObject(a, "urlName", "log");
        cJSON_AddStringToObject(a, "_class",
                                "org.jenkinsci.plugins.workflow.support.actions.LogStorageAction");
        cJSON_AddItemToArray(actions, a);
    }
    tp_json_add_str(o, "displayDescription", step->description);
    cJSON_AddStringToObject(o, "displayName", step->display_name);
    tp_json_add_i64(o, "durationInMillis",
                    duration(step->state, step->start_ms, step->end_ms, now_ms));
    tp_json_add_id(o, "id", step->step_id);
    /* While a step waits for its input, the input: the stored fields behind the class and
     * the link Blue Ocean gives it. */
    cJSON *stored =
        step->state == TP_STATE_PAUSED && step->input != NULL ? cJSON_Parse(step->input) : NULL;
    if (stored != NULL) {
        cJSON *input = cJSON_AddObjectToObject(o, "input");
        cJSON_AddStringToObject(input, "_class",
                                "io.jenkins.blueocean.rest.impl.pipeline.InputStepImpl");
        tp_buf_reset(&href);
        tp_buf_printf(&href, "%ssteps/%lld/input/", container_href, (long long)step->step_id);
        add_link(cJSON_AddObjectToObject(input, "_links"), "self", href.data);
        cJSON *field;
        cJSON_ArrayForEach(field, stored)
        {
            cJSON_AddItemToObject(input, field->string, cJSON_Duplicate(field, 1));
        }
        cJSON_Delete(stored);
    } else {
        cJSON_AddNullToObject(o, "input");
    }
    tp_json_add_str(o, "result", tp_result_name(step->result));
    tp_json_add_time(o, "startTime", step->start_ms);
    tp_json_add_str(o, "state", tp_state_name(step->state));
    cJSON_AddStringToObject(o, "type", "STEP");
    tp_buf_close(&href);
    return o;
}

cJSON *tp_blue_queue_item_json(const struct tp_run_rec *run)
{
    struct tp_buf parent, self;
    tp_buf_init(&parent);
    tp_buf_init(&self);
    tp_blue_pipeline_href(run->pipeline, &parent);
    tp_buf_printf(&self, "%squeue/%lld/", tp_buf_str(&parent), (long long)run->queue_id);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "_class",
                            "io.jenkins.blueocean.service.embedded.rest.QueueItemImpl");
    cJSON *links = cJSON_AddObjectToObject(o, "_links");
    add_link(links, "self", tp_buf_str(&self));
    add_link(links, "parent", tp_buf_str(&parent));
    cJSON_AddItemToObject(o, "cause", cause_json(run));
    cJSON_AddStringToObject(o, "causeOfBlockage", blockage(run));
    tp_json_add_i64(o, "expectedBuildNumber", run->number);
    tp_json_add_id(o, "id", run->queue_id);
    cJSON_AddStringToObject(o, "organization", "jenkins");
    cJSON_AddStringToObject(o, "pipeline", short_name(run->pipeline));
    tp_json_add_time(o, "queuedTime", run->enqueue_ms);
    tp_buf_close(&parent);
    tp_buf_close(&self);
    return o;
}

cJSON *tp_blue_favorite_json(const char *pipeline, cJSON *item)
{
    struct tp_buf href;
    tp_buf_init(&href);
    /* under the item's own link (a branch's is .../branches/<name>/) */
    const cJSON *self = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(item, "_links"), "self"),
        "href");
    if (cJSON_IsString(self))
        tp_buf_puts(&href, self->valuestring);
    else
        tp_blue_pipeline_href(pipeline, &href);
    tp_buf_puts(&href, "favorite/");
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "_class", "io.jenkins.blueocean.service.embedded.rest.FavoriteImpl");
    add_links(o, href.data, NULL, 0);
    cJSON_AddItemToObject(o, "item", item);
    tp_buf_close(&href);
    return o;
}

cJSON *tp_blue_user_json(const char *id, int role)
{
    struct tp_buf self, favorites;
    tp_buf_init(&self);
    tp_buf_init(&favorites);
    tp_buf_puts(&self, ORG_HREF "users/");
    tp_str_url_encode(id, &self);
    tp_buf_putc(&self, '/');
    tp_buf_puts(&favorites, "/blue/rest/users/");
    tp_str_url_encode(id, &favorites);
    tp_buf_puts(&favorites, "/favorites/");
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "_class", "io.jenkins.blueocean.service.embedded.rest.UserImpl");
    cJSON *links = add_links(o, self.data, NULL, 0);
    add_link(links, "favorites", favorites.data);
    cJSON_AddNullToObject(o, "avatar");
    cJSON_AddNullToObject(o, "email");
    cJSON_AddStringToObject(o, "fullName", id);
    cJSON_AddStringToObject(o, "id", id);
    if (role < 0) {
        cJSON_AddNullToObject(o, "permission");
    } else {
        cJSON *p = cJSON_AddObjectToObject(o, "permission");
        cJSON_AddBoolToObject(p, "administrator", role >= TP_ROLE_ADMIN);
        cJSON *pp = permissions((enum tp_role)role);
        cJSON_AddItemToObject(p, "pipeline", pp);
        cJSON *c = cJSON_AddObjectToObject(p, "credential");
        static const char *const kinds[] = { "create", "view", "delete", "update",
                                             "manageDomains" };
        for (size_t i = 0; i < 5; i++)
            cJSON_AddBoolToObject(c, kinds[i], role >= TP_ROLE_ADMIN);
    }
    tp_buf_close(&self);
    tp_buf_close(&favorites);
    return o;
}

/* --- capabilities --- */

#define MODEL    "io.jenkins.blueocean.rest.model."
#define EMBEDDED "io.jenkins.blueocean.service.embedded.rest."
#define IMPL     "io.jenkins.blueocean.rest.impl.pipeline."

/* Each class tidepool emits, with what Blue Ocean's class walk gives for it: the capability
 * annotations and superclasses, nearest first (spec §1.9). NULL-terminated. */
static const char *const capability_table[][10] = {
    { IMPL "PipelineImpl", "org.jenkinsci.plugins.workflow.job.WorkflowJob",
      EMBEDDED "AbstractPipelineImpl", "hudson.model.Job", MODEL "BluePipeline", MODEL "Resource",
      NULL },
    { IMPL "BranchImpl", MODEL "BlueBranch", "org.jenkinsci.plugins.workflow.job.WorkflowJob",
      MODEL "PullRequest", IMPL "PipelineImpl", EMBEDDED "AbstractPipelineImpl", "hudson.model.Job",
      MODEL "BluePipeline", MODEL "Resource", NULL },
    { IMPL "MultiBranchPipelineImpl", "jenkins.branch.MultiBranchProject", MODEL "BluePipelineScm",
      MODEL "BlueMultiBranchPipeline", MODEL "BluePipelineFolder",
      "com.cloudbees.hudson.plugins.folder.AbstractFolder", MODEL "BluePipeline", MODEL "Resource",
      NULL },
    { EMBEDDED "PipelineFolderImpl", MODEL "BluePipelineFolder",
      "com.cloudbees.hudson.plugins.folder.AbstractFolder", MODEL "BluePipeline", MODEL "Resource",
      NULL },
    { IMPL "PipelineRunImpl", "org.jenkinsci.plugins.workflow.job.WorkflowRun",
      EMBEDDED "AbstractRunImpl", MODEL "BlueRun", MODEL "Resource", NULL },
    { IMPL "PipelineImpl$PipelineRunSummary", "org.jenkinsci.plugins.workflow.job.WorkflowRun",
      EMBEDDED "AbstractBlueRunSummary", EMBEDDED "AbstractRunImpl", MODEL "BlueRun",
      MODEL "Resource", NULL },
    { EMBEDDED "QueuedBlueRun", MODEL "BlueRun", MODEL "Resource", NULL },
    { EMBEDDED "QueueItemImpl", MODEL "BlueQueueItem", MODEL "Resource", NULL },
    { IMPL "PipelineNodeImpl", MODEL "BluePipelineNode", MODEL "BluePipelineStep", MODEL "Resource",
      NULL },
    { IMPL "PipelineStepImpl", MODEL "BluePipelineStep", MODEL "Resource", NULL },
    { IMPL "InputStepImpl", MODEL "BlueInputStep", MODEL "Resource", NULL },
    { IMPL "PipelineNodeImpl$EdgeImpl", MODEL "BluePipelineNode$Edge", NULL },
    { EMBEDDED "OrganizationImpl",
      "io.jenkins.blueocean.rest.factory.organization."
      "AbstractOrganization",
      MODEL "BlueOrganization", MODEL "Resource", NULL },
    { EMBEDDED "UserImpl", MODEL "BlueUser", MODEL "Resource", NULL },
    { EMBEDDED "FavoriteImpl", MODEL "BlueFavorite", MODEL "Resource", NULL },
    { EMBEDDED "ArtifactImpl", MODEL "BlueArtifact", MODEL "Resource", NULL },
    { EMBEDDED "ActionProxiesImpl", MODEL "BlueActionProxy", MODEL "Resource", NULL },
    { EMBEDDED "AbstractRunImpl$BlueCauseImpl", MODEL "BlueRun$BlueCause", NULL },
    { EMBEDDED "ExtensionClassImpl", MODEL "BlueExtensionClass", MODEL "Resource", NULL },
    { EMBEDDED "ExtensionClassContainerImpl$BlueExtensionClassMapImpl",
      MODEL "BlueExtensionClassMap", MODEL "Resource", NULL },
    { "hudson.model.StringParameterDefinition", "hudson.model.SimpleParameterDefinition",
      "hudson.model.ParameterDefinition", NULL },
    { "hudson.model.TextParameterDefinition", "hudson.model.StringParameterDefinition",
      "hudson.model.SimpleParameterDefinition", "hudson.model.ParameterDefinition", NULL },
    { "hudson.model.BooleanParameterDefinition", "hudson.model.SimpleParameterDefinition",
      "hudson.model.ParameterDefinition", NULL },
    { "hudson.model.ChoiceParameterDefinition", "hudson.model.SimpleParameterDefinition",
      "hudson.model.ParameterDefinition", NULL },
    { "hudson.model.PasswordParameterDefinition", "hudson.model.SimpleParameterDefinition",
      "hudson.model.ParameterDefinition", NULL },
    { "org.jenkinsci.plugins.workflow.job.WorkflowJob", "hudson.model.Job",
      "hudson.model.AbstractItem", "hudson.model.Actionable", NULL },
    { "org.jenkinsci.plugins.workflow.job.WorkflowRun", "hudson.model.Run",
      "hudson.model.Actionable", NULL },
};

cJSON *tp_blue_class_json(const char *name)
{
    struct tp_buf href;
    tp_buf_init(&href);
    tp_buf_puts(&href, "/blue/rest/classes/");
    tp_buf_puts(&href, name);
    tp_buf_putc(&href, '/');
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "_class", EMBEDDED "ExtensionClassImpl");
    add_links(o, href.data, NULL, 0);
    cJSON *classes = cJSON_AddArrayToObject(o, "classes");
    for (size_t i = 0; i < sizeof(capability_table) / sizeof(capability_table[0]); i++) {
        if (strcmp(capability_table[i][0], name) != 0)
            continue;
        for (size_t j = 1; capability_table[i][j] != NULL; j++)
            cJSON_AddItemToArray(classes, cJSON_CreateString(capability_table[i][j]));
    }
    tp_buf_close(&href);
    return o;
}

cJSON *tp_blue_class_map_json(const char *const *names, size_t count)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "_class",
                            EMBEDDED "ExtensionClassContainerImpl$BlueExtensionClassMapImpl");
    add_links(o, "/blue/rest/classes/", NULL, 0);
    cJSON *map = cJSON_AddObjectToObject(o, "map");
    for (size_t i = 0; i < count; i++) {
        if (cJSON_GetObjectItemCaseSensitive(map, names[i]) == NULL)
            cJSON_AddItemToObject(map, names[i], tp_blue_class_json(names[i]));
    }
    return o;
}
