/* SPDX-License-Identifier: MIT */
#include "http/classic.h"

#include <llhttp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/json.h"
#include "common/mem.h"
#include "common/str.h"
#include "common/zip.h"
#include "engine/engine.h"
#include "engine/params.h"
#include "http/auth.h"
#include "http/classic_json.h"
#include "http/config.h"
#include "http/form.h"
#include "http/logview.h"
#include "http/sse.h"
#include "http/tree.h"
#include "jenkinsfile/plan.h"
#include "store/store.h"

enum {
    MAX_RUNS = 100000 /* runs of one job read for its api/json */
};

static const char *param(const struct tp_req *req, size_t i)
{
    return i < req->nparams ? req->params[i] : "";
}

static const char *root_url(const struct tp_req *req)
{
    return tp_engine_root_url(req->app->engine);
}

/* Jenkins answers a missing resource with its HTML 404 page; clients read the status. */
static int not_found(struct tp_resp *resp)
{
    resp->status = 404;
    resp->content_type = "text/html;charset=utf-8";
    tp_buf_puts(&resp->body, "<html><body><h2>HTTP ERROR 404 Not Found</h2></body></html>\n");
    return 0;
}

/* A 4xx with Jenkins' X-Error header (node-jenkins shows it as the error's message). */
static int fail(struct tp_resp *resp, int status, const char *message)
{
    resp->status = status;
    resp->content_type = "text/plain;charset=utf-8";
    tp_resp_header(resp, "X-Error", "%s", message);
    tp_buf_printf(&resp->body, "%s\n", message);
    return 0;
}

/* 302 to `path` under the root: the answer to every classic action POST. */
static int redirect(struct tp_req *req, struct tp_resp *resp, const char *path)
{
    resp->status = 302;
    tp_resp_header(resp, "Location", "%s%s", root_url(req), path[0] == '/' ? path + 1 : path);
    return 0;
}

/* 302 to a job's page, or (number > 0) to one of its builds' page. */
static int redirect_job(struct tp_req *req, struct tp_resp *resp, const char *job, int64_t number)
{
    struct tp_buf path;
    tp_buf_init(&path);
    tp_classic_job_url("", job, &path);
    if (number > 0)
        tp_buf_printf(&path, "%lld/", (long long)number);
    redirect(req, resp, tp_arena_strdup(req->arena, tp_buf_str(&path)));
    tp_buf_close(&path);
    return 0;
}

static void finish(struct tp_req *req, struct tp_resp *resp)
{
    (void)req;
    tp_resp_header(resp, "X-Hudson", "1.395");
}

/* Sends `json` shaped by the request's tree= (and ?pretty). */
static int send_json(struct tp_req *req, struct tp_resp *resp, cJSON *json,
                     const struct tp_tree *tree)
{
    if (tree != NULL)
        tp_tree_apply(json, tree);
    resp->content_type = "application/json;charset=utf-8";
    const char *pretty;
    if (tp_req_query(req, "pretty", &pretty) && strcmp(pretty, "false") != 0) {
        char *text = cJSON_Print(json);
        tp_buf_puts(&resp->body, text);
        free(text);
    } else {
        tp_json_print(json, &resp->body);
    }
    cJSON_Delete(json);
    return 0;
}

/* Reads tree= and depth=: `*deep` when nested objects are to be shown in full. Returns false
 * (400 answered) for a malformed tree. */
static bool shape(struct tp_req *req, struct tp_resp *resp, struct tp_tree **tree, bool *deep)
{
    const char *text;
    *tree = NULL;
    *deep = false;
    if (tp_req_query(req, "depth", &text)) {
        int64_t depth = 0;
        *deep = tp_str_to_i64(text, strlen(text), &depth) == 0 && depth > 0;
    }
    if (tp_req_query(req, "tree", &text) && text[0] != '\0') {
        if (tp_tree_parse(text, req->arena, tree) < 0) {
            fail(resp, 400, "Malformed tree expression");
            return false;
        }
        *deep = true; /* the tree decides what of the nested objects shows */
    }
    return true;
}

/* --- gathering --- */

/* The runs (newest first), plan and parameters of `pipeline`, a job. Returns 0 or TP_EDB. */
static int load_runs(struct tp_req *req, const struct tp_pipeline_rec *pipeline,
                     struct tp_classic_job *job, struct tp_plan **plan)
{
    struct tp_run_list runs = { .arena = req->arena };
    int err = tp_store_run_list(req->app->store, pipeline->id, TP_RUNS_ALL, 0, MAX_RUNS, req->arena,
                                tp_store_run_collect, &runs);
    if (err < 0)
        return err;
    *plan = NULL;
    if (tp_plan_compile(pipeline->script, strlen(pipeline->script), plan) < 0) {
        tp_plan_free(*plan);
        *plan = NULL;
    }
    *job = (struct tp_classic_job){ .pipeline = pipeline, .runs = runs.items, .nruns = runs.count };
    tp_params_of_job(*plan, pipeline->param_defs, req->arena, &job->params, &job->nparams);
    return 0;
}

/* A job (not a folder) and its runs. Returns 0, TP_ENOTFOUND or TP_EDB. */
static int load_job(struct tp_req *req, const char *name, struct tp_pipeline_rec *pipeline,
                    struct tp_classic_job *job, struct tp_plan **plan)
{
    int err = tp_store_pipeline_get(req->app->store, name, req->arena, pipeline);
    if (err == 0 && pipeline->folder)
        err = TP_ENOTFOUND;
    return err < 0 ? err : load_runs(req, pipeline, job, plan);
}

/* Which build a path segment names: a number or a permalink (lastBuild...). NULL: none. */
static const struct tp_run_rec *pick_build(const struct tp_classic_job *job, const char *which,
                                           size_t *index)
{
    static const struct {
        const char *name;
        int kind;
    } permalinks[] = { { "lastBuild", 0 },
                       { "lastCompletedBuild", 1 },
                       { "lastSuccessfulBuild", 2 },
                       { "lastStableBuild", 3 },
                       { "lastFailedBuild", 4 },
                       { "lastUnstableBuild", 5 },
                       { "lastUnsuccessfulBuild", 6 } };

    int64_t number = 0;
    int kind = -1;
    if (tp_str_to_i64(which, strlen(which), &number) < 0) {
        for (size_t i = 0; i < sizeof(permalinks) / sizeof(permalinks[0]); i++) {
            if (strcmp(which, permalinks[i].name) == 0)
                kind = permalinks[i].kind;
        }
        if (kind < 0)
            return NULL;
    }
    for (size_t i = 0; i < job->nruns; i++) {
        const struct tp_run_rec *r = &job->runs[i];
        if (r->state == TP_STATE_QUEUED)
            continue;
        bool done = r->state == TP_STATE_FINISHED;
        bool keep = kind < 0    ? r->number == number
                    : kind == 0 ? true
                    : kind == 1 ? done
                    : kind == 2 ? done && r->result <= TP_RESULT_UNSTABLE
                    : kind == 3 ? done && r->result == TP_RESULT_SUCCESS
                    : kind == 4 ? done && r->result == TP_RESULT_FAILURE
                    : kind == 5 ? done && r->result == TP_RESULT_UNSTABLE
                                : done && r->result != TP_RESULT_SUCCESS;
        if (keep) {
            *index = i;
            return r;
        }
    }
    return NULL;
}

/* --- root and identity --- */

static int get_root_page(struct tp_req *req, struct tp_resp *resp)
{
    (void)req;
    resp->content_type = "text/html;charset=utf-8";
    tp_buf_puts(&resp->body, "<!DOCTYPE html><html><head><title>Dashboard [Jenkins]</title>"
                             "</head><body><h1>tidepool</h1><p>Jenkins-compatible API: "
                             "<a href=\"api/json\">api/json</a>, Blue Ocean: "
                             "<a href=\"blue/rest/organizations/jenkins/\">blue/rest</a></p>"
                             "</body></html>\n");
    return 0;
}

/* The items inside folder `parent` ("" for the root) as Jenkins lists them: _class, name,
 * url, and a job's color (or, when the tree asks for more, each job whole); with `deep`, each
 * folder nests its own `jobs` the same way. */
struct items_ctx {
    struct tp_req *req;
    const char *parent;
    size_t parent_len;
    bool deep;
    bool full; /* the tree asks for more than a reference: jobs come whole */
    cJSON *jobs;

    struct folder_ref {
        const char *name;
        cJSON *jobs;
    } * folders;

    size_t nfolders, cap;
};

enum {
    MAX_LISTED_RUNS = 100 /* runs of each job read when jobs are listed whole */
};

/* Job `id` in full, as its own api/json shows it (its newest runs), or NULL. */
static cJSON *full_job(struct tp_req *req, int64_t id)
{
    struct tp_pipeline_rec *pipeline = tp_arena_alloc(req->arena, sizeof(*pipeline));
    if (tp_store_pipeline_get_by_id(req->app->store, id, req->arena, pipeline) < 0)
        return NULL;
    struct tp_run_list runs = { .arena = req->arena };
    if (tp_store_run_list(req->app->store, pipeline->id, TP_RUNS_ALL, 0, MAX_LISTED_RUNS,
                          req->arena, tp_store_run_collect, &runs) < 0)
        return NULL;
    struct tp_plan *plan = NULL;
    if (tp_plan_compile(pipeline->script, strlen(pipeline->script), &plan) < 0) {
        tp_plan_free(plan);
        plan = NULL;
    }
    struct tp_classic_job job = { .pipeline = pipeline, .runs = runs.items, .nruns = runs.count };
    tp_params_of_job(plan, pipeline->param_defs, req->arena, &job.params, &job.nparams);
    cJSON *o = tp_classic_job_json(root_url(req), &job, true);
    tp_plan_free(plan);
    return o;
}

/* Whether a tree asks the items of `jobs` for more than Jenkins' item reference. */
static bool wants_full_jobs(const struct tp_tree *tree)
{
    static const char *const reference[] = { "_class", "name", "url", "color", "jobs", NULL };
    const struct tp_tree_field *jobs = tree != NULL ? tp_tree_find(tree, "jobs") : NULL;
    if (jobs == NULL || jobs->sub == NULL)
        return false;
    for (size_t i = 0; i < jobs->sub->count; i++) {
        if (!tp_str_in(jobs->sub->fields[i].name, reference))
            return true;
    }
    return false;
}

static int add_item(void *ctx, const struct tp_pipeline_status *p)
{
    struct items_ctx *c = ctx;
    size_t plen = c->parent_len;
    if (plen > 0 && (strncmp(p->name, c->parent, plen) != 0 || p->name[plen] != '/'))
        return 0;
    const char *rel = p->name + plen + (plen > 0);
    const char *slash = strrchr(rel, '/');
    cJSON *into = c->jobs;
    if (slash != NULL) {
        if (!c->deep)
            return 0;
        /* Names come in order, so a folder is met before what it holds. */
        size_t len = (size_t)(slash - p->name);
        into = NULL;
        for (size_t i = c->nfolders; i-- > 0 && into == NULL;) {
            if (strlen(c->folders[i].name) == len && memcmp(c->folders[i].name, p->name, len) == 0)
                into = c->folders[i].jobs;
        }
        if (into == NULL)
            return 0;
    }
    cJSON *o = c->full && !p->folder ? full_job(c->req, p->id) : NULL;
    if (o != NULL) {
        cJSON_AddItemToArray(into, o);
        return 0;
    }
    o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "_class",
                            p->multibranch ? TP_CLASSIC_MULTIBRANCH_CLASS
                            : p->folder    ? TP_CLASSIC_FOLDER_CLASS
                                           : TP_CLASSIC_JOB_CLASS);
    cJSON_AddStringToObject(o, "name", tp_classic_short_name(p->name));
    struct tp_buf url;
    tp_buf_init(&url);
    tp_classic_job_url(root_url(c->req), p->name, &url);
    cJSON_AddStringToObject(o, "url", tp_buf_str(&url));
    tp_buf_close(&url);
    if (p->folder && c->deep) {
        c->folders =
            tp_arena_grow(c->req->arena, c->folders, c->nfolders, &c->cap, sizeof(*c->folders));
        c->folders[c->nfolders++] =
            (struct folder_ref){ p->name, cJSON_AddArrayToObject(o, "jobs") };
    } else if (!p->folder) {
        cJSON_AddStringToObject(o, "color",
                                tp_classic_color_of(p->disabled, p->last_result, p->building));
    }
    cJSON_AddItemToArray(into, o);
    return 0;
}

/* The `jobs` array of folder `parent` ("" for the root). NULL after a store error. */
static cJSON *items_of(struct tp_req *req, const char *parent, bool deep,
                       const struct tp_tree *tree)
{
    struct items_ctx ctx = { .req = req,
                             .parent = parent,
                             .parent_len = strlen(parent),
                             .deep = deep,
                             .full = wants_full_jobs(tree),
                             .jobs = cJSON_CreateArray() };
    if (tp_store_pipeline_statuses(req->app->store, req->arena, add_item, &ctx) < 0) {
        cJSON_Delete(ctx.jobs);
        return NULL;
    }
    return ctx.jobs;
}

static int get_root_json(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_tree *tree;
    bool deep;
    if (!shape(req, resp, &tree, &deep))
        return 0;
    cJSON *jobs = items_of(req, "", deep, tree);
    if (jobs == NULL)
        return TP_EDB;
    return send_json(req, resp,
                     tp_classic_root_json(root_url(req), tp_engine_executors(req->app->engine),
                                          req->app->users != NULL, jobs),
                     tree);
}

static int get_me(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_tree *tree;
    bool deep;
    if (!shape(req, resp, &tree, &deep))
        return 0;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "_class", "hudson.model.User");
    const char *user = tp_req_user(req);
    cJSON_AddStringToObject(o, "absoluteUrl",
                            tp_arena_printf(req->arena, "%suser/%s", root_url(req), user));
    cJSON_AddNullToObject(o, "description");
    cJSON_AddStringToObject(o, "fullName", user);
    cJSON_AddStringToObject(o, "id", user);
    cJSON_AddArrayToObject(o, "property");
    return send_json(req, resp, o, tree);
}

static int get_crumb(struct tp_req *req, struct tp_resp *resp)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "_class", "hudson.security.csrf.DefaultCrumbIssuer");
    /* Without users there is no session to bind a crumb to: one per server start. */
    cJSON_AddStringToObject(o, "crumb", req->app->session);
    cJSON_AddStringToObject(o, "crumbRequestField", "Jenkins-Crumb");
    return send_json(req, resp, o, NULL);
}

static int get_plugins(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_tree *tree;
    bool deep;
    if (!shape(req, resp, &tree, &deep))
        return 0;
    /* tidepool has no plugins: what it does is built in, and it says so. */
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "_class", "hudson.LocalPluginManager");
    cJSON_AddArrayToObject(o, "plugins");
    return send_json(req, resp, o, tree);
}

/* --- computers --- */

struct busy_ctx {
    struct tp_run_list runs;
};

static int collect_busy(void *ctx, const struct tp_run_rec *rec)
{
    struct tp_run_list *r = ctx;
    return rec->state == TP_STATE_RUNNING || rec->state == TP_STATE_PAUSED
               ? tp_store_run_collect(r, rec)
               : 0;
}

static int computer(struct tp_req *req, struct tp_resp *resp, bool set)
{
    struct tp_tree *tree;
    bool deep;
    if (!shape(req, resp, &tree, &deep))
        return 0;
    struct tp_run_list busy = { .arena = req->arena };
    int err = tp_store_run_list_unfinished(req->app->store, req->arena, collect_busy, &busy);
    if (err < 0)
        return err;
    int executors = tp_engine_executors(req->app->engine);
    cJSON *node = tp_classic_computer_json(root_url(req), executors, busy.items, busy.count, deep);
    if (!set)
        return send_json(req, resp, node, tree);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "_class", "hudson.model.ComputerSet");
    tp_json_add_i64(o, "busyExecutors", (int64_t)busy.count);
    cJSON *list = cJSON_AddArrayToObject(o, "computer");
    cJSON_AddItemToArray(list, node);
    cJSON_AddStringToObject(o, "displayName", "Nodes");
    tp_json_add_i64(o, "totalExecutors", executors);
    return send_json(req, resp, o, tree);
}

static int get_computers(struct tp_req *req, struct tp_resp *resp)
{
    return computer(req, resp, true);
}

static int get_computer(struct tp_req *req, struct tp_resp *resp)
{
    static const char *const names[] = { "(master)", "(built-in)", "master", "Built-In Node",
                                         NULL };
    if (!tp_str_in(param(req, 0), names))
        return not_found(resp);
    return computer(req, resp, false);
}

/* --- queue --- */

struct queue_ctx {
    struct tp_req *req;
    cJSON *items;
};

static int add_queued(void *ctx, const struct tp_run_rec *rec)
{
    struct queue_ctx *c = ctx;
    if (rec->state == TP_STATE_QUEUED)
        cJSON_AddItemToArray(c->items, tp_classic_queue_item_json(root_url(c->req), rec, NULL));
    return 0;
}

static int get_queue(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_tree *tree;
    bool deep;
    if (!shape(req, resp, &tree, &deep))
        return 0;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "_class", "hudson.model.Queue");
    cJSON_AddArrayToObject(o, "discoverableItems");
    struct queue_ctx ctx = { .req = req, .items = cJSON_AddArrayToObject(o, "items") };
    int err = tp_store_run_list_unfinished(req->app->store, req->arena, add_queued, &ctx);
    if (err < 0) {
        cJSON_Delete(o);
        return err;
    }
    return send_json(req, resp, o, tree);
}

static int queued_run(struct tp_req *req, const char *id, struct tp_run_rec *run)
{
    int64_t queue_id;
    if (tp_str_to_i64(id, strlen(id), &queue_id) < 0)
        return TP_ENOTFOUND;
    return tp_store_run_get_by_queue(req->app->store, queue_id, req->arena, run);
}

static int get_queue_item(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_tree *tree;
    bool deep;
    if (!shape(req, resp, &tree, &deep))
        return 0;
    struct tp_run_rec run;
    int err = queued_run(req, param(req, 0), &run);
    if (err == TP_ENOTFOUND)
        return not_found(resp);
    if (err < 0)
        return err;
    return send_json(req, resp, tp_classic_queue_item_json(root_url(req), &run, NULL), tree);
}

static int cancel(struct tp_req *req, struct tp_resp *resp, const char *id)
{
    struct tp_run_rec run;
    int err = queued_run(req, id, &run);
    if (err == TP_ENOTFOUND || (err == 0 && run.state != TP_STATE_QUEUED))
        return not_found(resp);
    if (err < 0)
        return err;
    err = tp_engine_stop(req->app->engine, run.id, tp_req_user(req));
    if (err < 0 && err != TP_ENOTFOUND)
        return err;
    return redirect(req, resp, "/queue/");
}

static int post_cancel_item(struct tp_req *req, struct tp_resp *resp)
{
    const char *id;
    size_t len;
    if (!tp_form_field(req, "id", &id, &len))
        return fail(resp, 400, "id is required");
    return cancel(req, resp, id);
}

static int post_cancel_queue(struct tp_req *req, struct tp_resp *resp)
{
    return cancel(req, resp, param(req, 0));
}

static int get_queue_page(struct tp_req *req, struct tp_resp *resp)
{
    return get_root_page(req, resp);
}

/* --- jobs --- */

/* Loads job {0}; false after answering 404 (or an error). */
static bool job_of(struct tp_req *req, struct tp_resp *resp, struct tp_pipeline_rec *pipeline,
                   struct tp_classic_job *job, struct tp_plan **plan)
{
    int err = load_job(req, param(req, 0), pipeline, job, plan);
    if (err == TP_ENOTFOUND)
        not_found(resp);
    else if (err < 0)
        tp_resp_error(resp, 500, "%s", tp_strerror(err));
    return err == 0;
}

/* Loads job {0} for an action; false after answering. */
static bool action_job(struct tp_req *req, struct tp_resp *resp, struct tp_pipeline_rec *out)
{
    int err = tp_store_pipeline_get(req->app->store, param(req, 0), req->arena, out);
    if (err == TP_ENOTFOUND)
        not_found(resp);
    else if (err < 0)
        tp_resp_error(resp, 500, "%s", tp_strerror(err));
    return err == 0;
}

static int get_job_json(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_tree *tree;
    bool deep;
    if (!shape(req, resp, &tree, &deep))
        return 0;
    struct tp_pipeline_rec pipeline;
    int err = tp_store_pipeline_get(req->app->store, param(req, 0), req->arena, &pipeline);
    if (err == TP_ENOTFOUND)
        return not_found(resp);
    if (err < 0)
        return err;
    if (pipeline.folder) {
        cJSON *jobs = items_of(req, pipeline.name, deep, tree);
        if (jobs == NULL)
            return TP_EDB;
        return send_json(req, resp, tp_classic_folder_json(root_url(req), &pipeline, jobs), tree);
    }
    struct tp_classic_job job;
    struct tp_plan *plan;
    err = load_runs(req, &pipeline, &job, &plan);
    if (err < 0)
        return err;
    job.all_builds = tp_tree_names(tree, "allBuilds");
    cJSON *json = tp_classic_job_json(root_url(req), &job, deep);
    tp_plan_free(plan);
    return send_json(req, resp, json, tree);
}

static int get_job_page(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_pipeline_rec pipeline;
    if (!action_job(req, resp, &pipeline))
        return 0;
    resp->content_type = "text/html;charset=utf-8";
    tp_buf_printf(&resp->body,
                  "<!DOCTYPE html><html><head><title>%s [Jenkins]</title></head><body>"
                  "<h1>%s %s</h1><a href=\"api/json\">api/json</a></body></html>\n",
                  pipeline.name, pipeline.folder ? "Folder" : "Pipeline", pipeline.name);
    return 0;
}

/* Iterates the name=value pairs of a query string or form body, decoded. */
static void each_pair(const char *text, size_t len, cJSON *values, const struct tp_plan_param *defs,
                      size_t ndefs)
{
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp != NULL ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        struct tp_buf name, value;
        tp_buf_init(&name);
        tp_buf_init(&value);
        if (eq != NULL && tp_str_url_decode(p, (size_t)(eq - p), true, &name) == 0 &&
            tp_str_url_decode(eq + 1, (size_t)(stop - eq - 1), true, &value) == 0) {
            for (size_t i = 0; i < ndefs; i++) {
                const struct tp_plan_param *def = &defs[i];
                if (def->name == NULL || strcmp(def->name, tp_buf_str(&name)) != 0)
                    continue;
                cJSON *v = cJSON_CreateObject();
                cJSON_AddStringToObject(v, "name", def->name);
                if (def->type == TP_PARAM_BOOLEAN)
                    cJSON_AddBoolToObject(v, "value",
                                          strcmp(tp_buf_str(&value), "true") == 0 ||
                                              strcmp(tp_buf_str(&value), "on") == 0);
                else
                    cJSON_AddStringToObject(v, "value", tp_buf_str(&value));
                cJSON_AddItemToArray(values, v);
            }
        }
        tp_buf_close(&name);
        tp_buf_close(&value);
        p = stop + 1;
    }
}

/* The parameters of a build trigger: the query string, a form body, or the form's `json`
 * field ({"parameter": [{"name": ..., "value": ...}]}); only the job's own parameters. */
static cJSON *trigger_parameters(struct tp_req *req, const struct tp_plan_param *defs, size_t ndefs)
{
    cJSON *values = cJSON_CreateArray();
    const char *json;
    size_t json_len;
    if (tp_form_field(req, "json", &json, &json_len)) {
        cJSON *form = cJSON_ParseWithLength(json, json_len);
        cJSON *list = cJSON_GetObjectItemCaseSensitive(form, "parameter");
        if (cJSON_IsObject(list)) { /* a single parameter is sent as an object */
            cJSON_AddItemToArray(values, cJSON_Duplicate(list, true));
        } else {
            const cJSON *p;
            cJSON_ArrayForEach(p, list) cJSON_AddItemToArray(values, cJSON_Duplicate(p, true));
        }
        cJSON_Delete(form);
        return values;
    }
    each_pair(req->query, strlen(req->query), values, defs, ndefs);
    const char *type = tp_req_header(req, "Content-Type");
    if (type != NULL && strstr(type, "application/x-www-form-urlencoded") != NULL)
        each_pair(req->body, req->body_len, values, defs, ndefs);
    return values;
}

static int trigger(struct tp_req *req, struct tp_resp *resp, bool with_parameters)
{
    struct tp_pipeline_rec pipeline;
    struct tp_classic_job job;
    struct tp_plan *plan;
    if (!job_of(req, resp, &pipeline, &job, &plan))
        return 0;
    bool parameterized = job.nparams > 0;
    if (with_parameters && !parameterized) {
        tp_plan_free(plan);
        return fail(resp, 400,
                    tp_arena_printf(req->arena, "%s is not parameterized", pipeline.name));
    }
    cJSON *values = trigger_parameters(req, job.params, job.nparams);
    tp_plan_free(plan);
    if (pipeline.disabled) {
        cJSON_Delete(values);
        return fail(resp, 409, tp_arena_printf(req->arena, "%s is disabled", pipeline.name));
    }
    struct tp_run_rec queued;
    struct tp_buf error;
    tp_buf_init(&error);
    int err = tp_engine_start(req->app->engine, pipeline.name, tp_req_user(req), values, req->arena,
                              &queued, &error);
    cJSON_Delete(values);
    if (err == TP_EINVAL)
        fail(resp, 400, tp_arena_strdup(req->arena, tp_buf_str(&error)));
    tp_buf_close(&error);
    if (err == TP_EINVAL)
        return 0;
    if (err == TP_ECONFLICT)
        return fail(resp, 503, "tidepool is shutting down");
    if (err < 0)
        return err;
    resp->status = 201;
    tp_resp_header(resp, "Location", "%squeue/item/%lld/", root_url(req),
                   (long long)queued.queue_id);
    return 0;
}

static int post_build(struct tp_req *req, struct tp_resp *resp)
{
    return trigger(req, resp, false);
}

static int post_build_with_parameters(struct tp_req *req, struct tp_resp *resp)
{
    return trigger(req, resp, true);
}

/* --- builds --- */

/* A build addressed by a path: its job (and the job's runs) and the build among them. */
struct build {
    struct tp_pipeline_rec pipeline;
    struct tp_classic_job job;
    const struct tp_run_rec *run;
    size_t index; /* in job.runs */
};

/* Loads job {0} and build {1}; false after answering. */
static bool build_of(struct tp_req *req, struct tp_resp *resp, struct build *b)
{
    struct tp_plan *plan;
    if (!job_of(req, resp, &b->pipeline, &b->job, &plan))
        return false;
    tp_plan_free(plan); /* the definitions it held are not used past here */
    b->job.pipeline = &b->pipeline;
    b->job.params = NULL;
    b->job.nparams = 0;
    b->run = pick_build(&b->job, param(req, 1), &b->index);
    if (b->run == NULL)
        not_found(resp);
    return b->run != NULL;
}

static int get_build_json(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_tree *tree;
    bool deep;
    if (!shape(req, resp, &tree, &deep))
        return 0;
    struct build b;
    if (!build_of(req, resp, &b))
        return 0;
    const struct tp_run_rec *run = b.run;
    size_t i = b.index;
    const struct tp_run_rec *previous = i + 1 < b.job.nruns ? &b.job.runs[i + 1] : NULL;
    const struct tp_run_rec *next =
        i > 0 && b.job.runs[i - 1].state != TP_STATE_QUEUED ? &b.job.runs[i - 1] : NULL;
    struct tp_artifact *artifacts;
    size_t nartifacts;
    tp_engine_artifacts(req->app->engine, b.pipeline.name, run->number, req->arena, &artifacts,
                        &nartifacts);
    return send_json(
        req, resp, tp_classic_build_json(root_url(req), run, previous, next, artifacts, nartifacts),
        tree);
}

static int get_build_page(struct tp_req *req, struct tp_resp *resp)
{
    struct build b;
    if (!build_of(req, resp, &b))
        return 0;
    const struct tp_run_rec *run = b.run;
    resp->content_type = "text/html;charset=utf-8";
    tp_buf_printf(&resp->body,
                  "<!DOCTYPE html><html><head><title>%s #%lld [Jenkins]</title></head><body>"
                  "<h1>%s #%lld</h1><a href=\"consoleText\">Console Output</a></body></html>\n",
                  b.pipeline.name, (long long)run->number, b.pipeline.name, (long long)run->number);
    return 0;
}

static int get_console_text(struct tp_req *req, struct tp_resp *resp)
{
    struct build b;
    if (!build_of(req, resp, &b))
        return 0;
    const struct tp_run_rec *run = b.run;
    return tp_logview_respond_raw(req, resp, req->app->store, run->id, 0, false,
                                  run->state == TP_STATE_FINISHED);
}

/* logText/progressiveText?start=N (query or form): the log from byte N, X-Text-Size the
 * next start, X-More-Data: true while the build runs. */
static int progressive(struct tp_req *req, struct tp_resp *resp)
{
    struct build b;
    if (!build_of(req, resp, &b))
        return 0;
    const struct tp_run_rec *run = b.run;
    const char *text;
    size_t len;
    int64_t start = 0;
    if (tp_form_field(req, "start", &text, &len) &&
        (tp_str_to_i64(text, len, &start) < 0 || start < 0))
        return fail(resp, 400, "start must be a non-negative number");
    if (tp_str_ends_with(req->path, "progressiveHtml"))
        return tp_logview_respond_html(req, resp, req->app->store, run->id, start,
                                       run->state == TP_STATE_FINISHED);
    return tp_logview_respond_raw(req, resp, req->app->store, run->id, start, true,
                                  run->state == TP_STATE_FINISHED);
}

static int post_stop(struct tp_req *req, struct tp_resp *resp)
{
    struct build b;
    if (!build_of(req, resp, &b))
        return 0;
    const struct tp_run_rec *run = b.run;
    if (run->state != TP_STATE_FINISHED) {
        int err = tp_engine_stop(req->app->engine, run->id, tp_req_user(req));
        if (err < 0 && err != TP_ENOTFOUND)
            return err;
    }
    return redirect_job(req, resp, b.pipeline.name, run->number);
}

static int post_delete_build(struct tp_req *req, struct tp_resp *resp)
{
    struct build b;
    if (!build_of(req, resp, &b))
        return 0;
    const struct tp_run_rec *run = b.run;
    if (run->state != TP_STATE_FINISHED)
        return fail(resp, 400, "Unable to delete a build in progress");
    int err = tp_store_run_delete(req->app->store, run->id);
    if (err < 0)
        return err;
    return redirect_job(req, resp, b.pipeline.name, 0);
}

/* --- jobs from config.xml --- */

/* A job name Jenkins accepts: not empty, none of its unsafe characters. */
static const char *name_problem(const char *name)
{
    if (name == NULL || name[0] == '\0')
        return "No name is specified";
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return "“.” and “..” are not allowed as names";
    for (const char *p = name; *p; p++) {
        if (strchr("?*/\\%!@#$^&|<>[]:;", *p) != NULL || (unsigned char)*p < 0x20)
            return "unsafe character in the name";
    }
    return NULL;
}

/* The folder an item is in ("" at the root), in the request's arena. */
static const char *parent_of(struct tp_req *req, const char *name)
{
    const char *slash = strrchr(name, '/');
    return slash != NULL ? tp_arena_strndup(req->arena, name, (size_t)(slash - name)) : "";
}

/* `short_name` inside folder `parent` ("" at the root). */
static const char *full_name(struct tp_req *req, const char *parent, const char *short_name)
{
    return parent[0] != '\0' ? tp_arena_printf(req->arena, "%s/%s", parent, short_name)
                             : short_name;
}

/* The job properties of a config.xml, as the JSON the engine reads (NULL when none). */
static const char *job_properties(struct tp_req *req, const struct tp_job_config *config)
{
    if (!config->no_concurrent && config->keep_runs < 0 && config->keep_days < 0 &&
        config->cron == NULL && config->scm_url == NULL)
        return NULL;
    cJSON *o = cJSON_CreateObject();
    if (config->no_concurrent)
        cJSON_AddBoolToObject(o, "disableConcurrentBuilds", true);
    if (config->keep_runs > 0)
        tp_json_add_i64(o, "numToKeep", config->keep_runs);
    if (config->keep_days > 0)
        tp_json_add_i64(o, "daysToKeep", config->keep_days);
    if (config->cron != NULL)
        cJSON_AddStringToObject(o, "cron", config->cron);
    if (config->scm_url != NULL) {
        cJSON *scm = cJSON_AddObjectToObject(o, "scm");
        cJSON_AddStringToObject(scm, "url", config->scm_url);
        cJSON_AddStringToObject(scm, "branch",
                                config->scm_branch != NULL ? config->scm_branch : "*/master");
        cJSON_AddStringToObject(scm, "scriptPath",
                                config->script_path != NULL ? config->script_path : "Jenkinsfile");
    }
    struct tp_buf text;
    tp_buf_init(&text);
    tp_json_print(o, &text);
    cJSON_Delete(o);
    const char *out = tp_arena_strdup(req->arena, tp_buf_str(&text));
    tp_buf_close(&text);
    return out;
}

/* Stores `xml` as item `name`'s config (creating the job or folder when `create`). */
static int store_config(struct tp_req *req, struct tp_resp *resp, const char *name, const char *xml,
                        size_t len, bool create)
{
    struct tp_job_config config;
    struct tp_buf error;
    tp_buf_init(&error);
    int err = tp_job_config_parse(xml, len, &config, &error);
    if (err < 0) {
        fail(resp, 400, tp_arena_strdup(req->arena, tp_buf_str(&error)));
        tp_buf_close(&error);
        return 0;
    }
    tp_buf_close(&error);
    struct tp_pipeline_rec pipeline;
    err = tp_store_pipeline_get(req->app->store, name, req->arena, &pipeline);
    if (err == 0 && create)
        err = TP_ECONFLICT;
    if (err == 0 && pipeline.folder != config.folder) {
        tp_job_config_close(&config);
        return fail(resp, 400,
                    tp_arena_printf(req->arena, "‘%s’ is a %s: its config.xml cannot make it a %s",
                                    name, pipeline.folder ? "folder" : "job",
                                    pipeline.folder ? "job" : "folder"));
    }
    if (err == TP_ENOTFOUND && create)
        err = config.folder ? tp_store_folder_put(req->app->store, name, NULL, false)
                            : tp_engine_pipeline_put(req->app->engine, name, config.script, NULL);
    if (err > 0)
        err = 0;
    if (err == 0)
        err = tp_store_pipeline_get(req->app->store, name, req->arena, &pipeline);
    if (err == 0) {
        struct tp_pipeline_config c = { .script = config.folder ? "" : config.script,
                                        .config = tp_arena_strndup(req->arena, xml, len),
                                        .param_defs = config.parameters,
                                        .description = config.description,
                                        .properties = job_properties(req, &config),
                                        .disabled = config.disabled };
        err = tp_engine_pipeline_configure(req->app->engine, pipeline.id, &c, config.cron);
    }
    if (err == 0)
        tp_sse_on_item(req->app->sse, create ? "job_crud_created" : "job_crud_updated", name,
                       config.folder, NULL);
    tp_job_config_close(&config);
    if (err == TP_ECONFLICT)
        return fail(resp, 400,
                    tp_arena_printf(req->arena, "A job already exists with the name ‘%s’",
                                    tp_classic_short_name(name)));
    if (err == TP_ENOTFOUND)
        return not_found(resp);
    return err;
}

/* POST /createItem?name=N and /job/F/createItem?name=N (inside folder F): a job or a folder
 * from the posted config.xml, or (mode=copy&from=X) a copy of item X. */
static int post_create_item(struct tp_req *req, struct tp_resp *resp)
{
    const char *parent = req->nparams > 0 ? param(req, 0) : "";
    if (parent[0] != '\0') {
        struct tp_pipeline_rec folder;
        int err = tp_store_pipeline_get(req->app->store, parent, req->arena, &folder);
        if (err == TP_ENOTFOUND || (err == 0 && !folder.folder))
            return not_found(resp);
        if (err < 0)
            return err;
    }
    const char *name = NULL, *mode = NULL, *from = NULL;
    tp_req_query(req, "name", &name);
    tp_req_query(req, "mode", &mode);
    tp_req_query(req, "from", &from);
    const char *problem = name_problem(name);
    if (problem != NULL)
        return fail(resp, 400, problem);
    name = full_name(req, parent, name);
    if (mode != NULL && strcmp(mode, "copy") == 0) {
        struct tp_pipeline_rec source;
        /* `from` is a full name ("/a/b" or "a/b") or one in the same folder */
        const char *source_name = from == NULL                ? ""
                                  : from[0] == '/'            ? from + 1
                                  : strchr(from, '/') != NULL ? from
                                                              : full_name(req, parent, from);
        if (tp_store_pipeline_get(req->app->store, source_name, req->arena, &source) < 0)
            return fail(resp, 400,
                        tp_arena_printf(req->arena, "No such job: %s", from != NULL ? from : ""));
        struct tp_buf xml;
        tp_buf_init(&xml);
        if (source.config != NULL)
            tp_buf_puts(&xml, source.config);
        else if (source.folder)
            tp_folder_config_write(source.description, &xml);
        else
            tp_job_config_write(source.script, source.description, source.disabled, &xml);
        int err = store_config(req, resp, name, xml.data, xml.len, true);
        tp_buf_close(&xml);
        return err;
    }
    return store_config(req, resp, name, req->body, req->body_len, true);
}

static int get_config_xml(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_pipeline_rec pipeline;
    int err = tp_store_pipeline_get(req->app->store, param(req, 0), req->arena, &pipeline);
    if (err == TP_ENOTFOUND)
        return not_found(resp);
    if (err < 0)
        return err;
    resp->content_type = "application/xml";
    if (pipeline.config != NULL)
        tp_buf_puts(&resp->body, pipeline.config); /* as it was given: it round-trips */
    else if (pipeline.folder)
        tp_folder_config_write(pipeline.description, &resp->body);
    else
        tp_job_config_write(pipeline.script, pipeline.description, pipeline.disabled, &resp->body);
    return 0;
}

static int post_config_xml(struct tp_req *req, struct tp_resp *resp)
{
    return store_config(req, resp, param(req, 0), req->body, req->body_len, false);
}

static int post_delete_job(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_pipeline_rec pipeline;
    if (!action_job(req, resp, &pipeline))
        return 0;
    int err = tp_engine_item_delete(req->app->engine, pipeline.name);
    if (err == TP_ECONFLICT)
        return fail(resp, 409, "tidepool does not delete a job while one of its builds runs");
    if (err < 0)
        return err;
    tp_sse_on_item(req->app->sse, "job_crud_deleted", pipeline.name, pipeline.folder, NULL);
    const char *parent = parent_of(req, pipeline.name);
    return parent[0] != '\0' ? redirect_job(req, resp, parent, 0) : redirect(req, resp, "/");
}

static int set_disabled(struct tp_req *req, struct tp_resp *resp, bool disabled)
{
    struct tp_pipeline_rec pipeline;
    if (!action_job(req, resp, &pipeline))
        return 0;
    if (pipeline.folder)
        return not_found(resp); /* a folder is neither enabled nor disabled */
    int err = tp_store_pipeline_set_disabled(req->app->store, pipeline.id, disabled);
    if (err < 0)
        return err;
    tp_sse_on_item(req->app->sse, "job_crud_updated", pipeline.name, false, NULL);
    return redirect_job(req, resp, pipeline.name, 0);
}

static int post_enable(struct tp_req *req, struct tp_resp *resp)
{
    return set_disabled(req, resp, false);
}

static int post_disable(struct tp_req *req, struct tp_resp *resp)
{
    return set_disabled(req, resp, true);
}

static int post_rename(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_pipeline_rec pipeline;
    if (!action_job(req, resp, &pipeline))
        return 0;
    const char *name = NULL;
    size_t len;
    if (!tp_form_field(req, "newName", &name, &len))
        name = NULL;
    const char *problem = name_problem(name);
    if (problem != NULL)
        return fail(resp, 400, problem);
    if (tp_engine_item_busy(req->app->engine, pipeline.name))
        return fail(resp, 409, "tidepool does not rename a job while one of its builds runs");
    name = full_name(req, parent_of(req, pipeline.name), name);
    int err = tp_store_pipeline_rename(req->app->store, pipeline.id, name);
    if (err == TP_ECONFLICT)
        return fail(resp, 400,
                    tp_arena_printf(req->arena, "A job already exists with the name ‘%s’",
                                    tp_classic_short_name(name)));
    if (err < 0)
        return err;
    tp_sse_on_item(req->app->sse, "job_crud_renamed", name, pipeline.folder, pipeline.name);
    return redirect_job(req, resp, name, 0);
}

/* replay/rebuild (and rebuild): the run again with its script and parameters, as the
 * Pipeline replay action's "rebuild" does; 302 to the job. */
static int post_rebuild(struct tp_req *req, struct tp_resp *resp)
{
    struct build b;
    if (!build_of(req, resp, &b))
        return 0;
    const struct tp_run_rec *run = b.run;
    struct tp_run_rec queued;
    int err = tp_engine_replay(req->app->engine, b.pipeline.name, run->number, tp_req_user(req),
                               req->arena, &queued);
    if (err == TP_ECONFLICT)
        return fail(resp, 503, "tidepool is shutting down");
    if (err < 0)
        return err;
    return redirect_job(req, resp, b.pipeline.name, 0);
}

/* --- artifacts --- */

struct file_source {
    struct tp_body_source base;
    int fd;
};

static int file_read(struct tp_body_source *base, struct tp_buf *out, size_t max)
{
    struct file_source *src = (struct file_source *)base;
    tp_buf_reserve(out, max);
    ssize_t n = read(src->fd, out->data + out->len, max);
    if (n < 0)
        return -1;
    out->len += (size_t)n;
    out->data[out->len] = '\0';
    return n == 0 ? 1 : 0;
}

static void file_free(struct tp_body_source *base)
{
    struct file_source *src = (struct file_source *)base;
    close(src->fd);
    free(src);
}

/* A directory of artifacts as Jenkins zips it: its files under one top folder ("archive" for
 * them all), made and sent as the client reads. */
struct zip_source {
    struct tp_body_source base;
    struct tp_engine *engine;
    char *pipeline;
    int64_t number;
    struct tp_arena arena;
    struct tp_artifact *items;
    size_t count, next;
    size_t skip;     /* the length of the directory's path before its files' (with its '/') */
    const char *top; /* the folder the entries are in */
    int fd;          /* the file being added, or -1 */
    struct tp_zip *zip;
};

static int zip_read(struct tp_body_source *base, struct tp_buf *out, size_t max)
{
    struct zip_source *src = (struct zip_source *)base;
    size_t before = out->len;
    char chunk[64 * 1024];
    while (out->len - before < max) {
        if (src->fd < 0) {
            if (src->next == src->count)
                return tp_zip_finish(src->zip, out) == 0 ? 1 : -1;
            const struct tp_artifact *a = &src->items[src->next++];
            int64_t size;
            struct stat st;
            if (tp_engine_artifact_open(src->engine, src->pipeline, src->number, a->path, &src->fd,
                                        &size) < 0)
                continue; /* gone since the listing */
            char *name = tp_arena_printf(&src->arena, "%s/%s", src->top, a->path + src->skip);
            if (fstat(src->fd, &st) < 0 || tp_zip_begin(src->zip, name, st.st_mtime, out) < 0)
                return -1;
        }
        ssize_t n = read(src->fd, chunk, sizeof(chunk));
        if (n < 0)
            return -1;
        if (tp_zip_write(src->zip, chunk, (size_t)n, n == 0, out) < 0)
            return -1;
        if (n == 0) {
            close(src->fd);
            src->fd = -1;
        }
    }
    return 0;
}

static void zip_free(struct tp_body_source *base)
{
    struct zip_source *src = (struct zip_source *)base;
    if (src->fd >= 0)
        close(src->fd);
    tp_zip_free(src->zip);
    tp_arena_close(&src->arena);
    free(src->pipeline);
    free(src);
}

/* .../artifact/[DIR/]*zip*\/NAME.zip: the run's artifacts (under DIR) as one zip, its length
 * unknown until it is made (the response ends with the connection). 404 when there is none. */
static int send_artifact_zip(struct tp_req *req, struct tp_resp *resp, const struct build *b,
                             const char *path)
{
    const char *marker = strstr(path, "*zip*/");
    size_t dir_len = (size_t)(marker - path); /* "" or "dir/" */
    struct zip_source *src = tp_xcalloc(1, sizeof(*src));
    tp_arena_init(&src->arena);
    src->engine = req->app->engine;
    src->pipeline = tp_xstrdup(b->pipeline.name);
    src->number = b->run->number;
    src->fd = -1;
    struct tp_artifact *all;
    size_t n;
    tp_engine_artifacts(src->engine, src->pipeline, src->number, &src->arena, &all, &n);
    src->items = tp_arena_alloc(&src->arena, (n + 1) * sizeof(*src->items));
    for (size_t i = 0; i < n; i++) {
        if (strncmp(all[i].path, path, dir_len) == 0)
            src->items[src->count++] = all[i];
    }
    src->skip = dir_len;
    if (dir_len == 0) {
        src->top = "archive";
    } else {
        char *dir = tp_arena_strndup(&src->arena, path, dir_len - 1);
        const char *slash = strrchr(dir, '/');
        src->top = slash != NULL ? slash + 1 : dir; /* a/b/dir/x is dir/x in the zip */
    }
    if (src->count == 0) {
        zip_free(&src->base);
        return not_found(resp);
    }
    src->zip = tp_zip_new();
    src->base.read = zip_read;
    src->base.free = zip_free;
    resp->content_type = "application/zip";
    resp->source = &src->base;
    resp->source_length = -1;
    return 0;
}

/* /job/N/B/artifact/PATH: the archived file, as Jenkins serves it; a directory's zip for
 * [DIR/]*zip*\/NAME.zip. */
static int get_artifact(struct tp_req *req, struct tp_resp *resp)
{
    struct build b;
    if (!build_of(req, resp, &b))
        return 0;
    const struct tp_run_rec *run = b.run;
    const char *path = param(req, 2);
    const char *marker = strstr(path, "*zip*/");
    if (marker != NULL && (marker == path || marker[-1] == '/') &&
        strchr(marker + 6, '/') == NULL && tp_str_ends_with(marker + 6, ".zip"))
        return send_artifact_zip(req, resp, &b, path);
    int fd;
    int64_t size;
    if (tp_engine_artifact_open(req->app->engine, b.pipeline.name, run->number, param(req, 2), &fd,
                                &size) < 0)
        return not_found(resp);
    struct file_source *src = tp_xcalloc(1, sizeof(*src));
    src->base.read = file_read;
    src->base.free = file_free;
    src->fd = fd;
    resp->content_type = "application/octet-stream";
    resp->source = &src->base;
    resp->source_length = size;
    return 0;
}

/* Every action also answers with /api/json after it, as jenkins-api sends them. */
#define JOB   "/job/{job}"
#define BUILD "/job/{job}/{build}"

static const struct tp_route classic_routes[] = {
    { HTTP_GET, "/", get_root_page },
    { HTTP_GET, "/api/json", get_root_json },
    { HTTP_GET, "/me/api/json", get_me },
    { HTTP_GET, "/crumbIssuer/api/json", get_crumb },
    { HTTP_GET, "/pluginManager/api/json", get_plugins },
    { HTTP_GET, "/computer/api/json", get_computers },
    { HTTP_GET, "/computer/{name}/api/json", get_computer },
    { HTTP_GET, "/queue/", get_queue_page },
    { HTTP_GET, "/queue/api/json", get_queue },
    { HTTP_GET, "/queue/item/{id}/api/json", get_queue_item },
    { HTTP_POST, "/queue/cancelItem", post_cancel_item },
    { HTTP_POST, "/queue/cancelItem/api/json", post_cancel_item },
    { HTTP_POST, "/queue/item/{id}/cancelQueue", post_cancel_queue },
    { HTTP_POST, "/createItem", post_create_item },
    { HTTP_POST, "/createItem/api/json", post_create_item },
    { HTTP_POST, JOB "/createItem", post_create_item },
    { HTTP_POST, JOB "/createItem/api/json", post_create_item },
    { HTTP_GET, JOB "/", get_job_page },
    { HTTP_GET, JOB "/config.xml", get_config_xml },
    { HTTP_GET, JOB "/config.xml/api/json", get_config_xml },
    { HTTP_POST, JOB "/config.xml", post_config_xml },
    { HTTP_POST, JOB "/config.xml/api/json", post_config_xml },
    { HTTP_POST, JOB "/doDelete", post_delete_job },
    { HTTP_POST, JOB "/doDelete/api/json", post_delete_job },
    { HTTP_POST, JOB "/enable", post_enable },
    { HTTP_POST, JOB "/disable", post_disable },
    { HTTP_POST, JOB "/doRename", post_rename },
    { HTTP_GET, JOB "/api/json", get_job_json },
    { HTTP_POST, JOB "/build", post_build },
    { HTTP_POST, JOB "/build/api/json", post_build },
    { HTTP_POST, JOB "/buildWithParameters", post_build_with_parameters },
    { HTTP_POST, JOB "/buildWithParameters/api/json", post_build_with_parameters },
    { HTTP_GET, BUILD "/", get_build_page },
    { HTTP_GET, BUILD "/api/json", get_build_json },
    { HTTP_GET, BUILD "/consoleText", get_console_text },
    { HTTP_GET, BUILD "/consoleText/api/json", get_console_text },
    { HTTP_GET, BUILD "/logText/progressiveText", progressive },
    { HTTP_POST, BUILD "/logText/progressiveText", progressive },
    { HTTP_GET, BUILD "/logText/progressiveHtml", progressive },
    { HTTP_POST, BUILD "/logText/progressiveHtml", progressive },
    { HTTP_POST, BUILD "/stop", post_stop },
    { HTTP_POST, BUILD "/term", post_stop },
    { HTTP_POST, BUILD "/kill", post_stop },
    { HTTP_POST, BUILD "/stop/api/json", post_stop },
    { HTTP_GET, BUILD "/artifact/{+path}", get_artifact },
    { HTTP_POST, BUILD "/replay/rebuild", post_rebuild },
    { HTTP_POST, BUILD "/rebuild", post_rebuild },
    { HTTP_POST, BUILD "/doDelete", post_delete_build },
    { HTTP_POST, BUILD "/doDelete/api/json", post_delete_build },
};

const struct tp_route_table tp_classic_table = {
    .prefix = "/",
    .routes = classic_routes,
    .count = sizeof(classic_routes) / sizeof(classic_routes[0]),
    .json_writes = false,
    .finish = finish,
};
