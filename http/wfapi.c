/* SPDX-License-Identifier: MIT */
#include "http/wfapi.h"

#include <llhttp.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/json.h"
#include "common/str.h"
#include "common/timefmt.h"
#include "engine/engine.h"
#include "http/auth.h"
#include "http/classic_json.h"
#include "http/form.h"
#include "store/store.h"

enum {
    MAX_RUNS = 10000, /* runs a wfapi/runs answer reads */
    LOG_MAX = 1 << 20 /* bytes of a step log wfapi/log returns; hasMore beyond */
};

static const char *param(const struct tp_req *req, size_t i)
{
    return i < req->nparams ? req->params[i] : "";
}

static int send_json(struct tp_resp *resp, cJSON *json)
{
    resp->content_type = "application/json;charset=utf-8";
    tp_json_print(json, &resp->body);
    cJSON_Delete(json);
    return 0;
}

static int not_found(struct tp_resp *resp)
{
    resp->status = 404;
    resp->content_type = "text/html;charset=utf-8";
    tp_buf_puts(&resp->body, "<html><body><h2>HTTP ERROR 404 Not Found</h2></body></html>\n");
    return 0;
}

/* Stage View's status of a run, a stage or a step. */
static const char *status(enum tp_state state, enum tp_result result)
{
    switch (state) {
    case TP_STATE_RUNNING:
        return "IN_PROGRESS";
    case TP_STATE_PAUSED:
        return "PAUSED_PENDING_INPUT";
    case TP_STATE_QUEUED:
    case TP_STATE_SKIPPED:
    case TP_STATE_NOT_BUILT:
        return "NOT_EXECUTED";
    default:
        break;
    }
    switch (result) {
    case TP_RESULT_SUCCESS:
        return "SUCCESS";
    case TP_RESULT_UNSTABLE:
        return "UNSTABLE";
    case TP_RESULT_FAILURE:
        return "FAILED";
    case TP_RESULT_ABORTED:
        return "ABORTED";
    case TP_RESULT_NOT_BUILT:
        return "NOT_EXECUTED";
    default:
        return "IN_PROGRESS";
    }
}

static void link(cJSON *links, const char *rel, const char *href)
{
    cJSON *l = cJSON_AddObjectToObject(links, rel);
    cJSON_AddStringToObject(l, "href", href);
}

static int64_t duration(int64_t start, int64_t end)
{
    if (start <= 0)
        return 0;
    return (end > 0 ? end : tp_time_now_ms()) - start;
}

/* "/job/<name>/" (job/a/job/b/ inside a folder), in the arena. */
static const char *job_path(struct tp_req *req, const char *name)
{
    struct tp_buf path;
    tp_buf_init(&path);
    tp_classic_job_url("/", name, &path);
    const char *out = tp_arena_strdup(req->arena, tp_buf_str(&path));
    tp_buf_close(&path);
    return out;
}

/* --- gathering --- */

struct nodes {
    struct tp_node_rec *items;
    size_t count, cap;
    struct tp_arena *arena;
};

static int collect_node(void *ctx, const struct tp_node_rec *rec)
{
    struct nodes *n = ctx;
    if (rec->type != TP_NODE_STAGE)
        return 0; /* Stage View shows stages; parallel branches are inside them */
    n->items = tp_arena_grow(n->arena, n->items, n->count, &n->cap, sizeof(*n->items));
    n->items[n->count++] = *rec;
    return 0;
}

struct steps {
    struct tp_step_rec *items;
    size_t count, cap;
    struct tp_arena *arena;
};

static int collect_step(void *ctx, const struct tp_step_rec *rec)
{
    struct steps *s = ctx;
    s->items = tp_arena_grow(s->arena, s->items, s->count, &s->cap, sizeof(*s->items));
    s->items[s->count++] = *rec;
    return 0;
}

/* Loads job {0} and run {1}; false after answering. */
static bool run_of(struct tp_req *req, struct tp_resp *resp, struct tp_pipeline_rec *pipeline,
                   struct tp_run_rec *run)
{
    int64_t number;
    const char *n = param(req, 1);
    if (tp_store_pipeline_get(req->app->store, param(req, 0), req->arena, pipeline) < 0 ||
        tp_str_to_i64(n, strlen(n), &number) < 0 ||
        tp_store_run_get(req->app->store, pipeline->id, number, req->arena, run) < 0 ||
        run->state == TP_STATE_QUEUED) {
        not_found(resp);
        return false;
    }
    return true;
}

/* --- builders --- */

static cJSON *error_json(const char *message)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "message", message);
    cJSON_AddStringToObject(e, "type", "hudson.AbortException");
    return e;
}

static cJSON *atom_json(struct tp_req *req, const char *run_path, const struct tp_step_rec *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *links = cJSON_AddObjectToObject(o, "_links");
    link(links, "self",
         tp_arena_printf(req->arena, "%sexecution/node/%lld/wfapi/describe", run_path,
                         (long long)s->step_id));
    link(links, "log",
         tp_arena_printf(req->arena, "%sexecution/node/%lld/wfapi/log", run_path,
                         (long long)s->step_id));
    tp_json_add_id(o, "id", s->step_id);
    cJSON_AddStringToObject(o, "name", s->display_name != NULL ? s->display_name : s->name);
    cJSON_AddStringToObject(o, "execNode", "");
    cJSON_AddStringToObject(o, "status", status(s->state, s->result));
    if (s->error != NULL)
        cJSON_AddItemToObject(o, "error", error_json(s->error));
    cJSON_AddStringToObject(o, "parameterDescription",
                            s->description != NULL ? s->description : "");
    tp_json_add_i64(o, "startTimeMillis", s->start_ms);
    tp_json_add_i64(o, "durationMillis", duration(s->start_ms, s->end_ms));
    tp_json_add_i64(o, "pauseDurationMillis", 0);
    cJSON *parents = cJSON_AddArrayToObject(o, "parentNodes");
    cJSON_AddItemToArray(
        parents, cJSON_CreateString(tp_arena_printf(req->arena, "%lld", (long long)s->node_id)));
    return o;
}

static cJSON *stage_json(struct tp_req *req, const char *run_path, const struct tp_node_rec *n,
                         int64_t run_id, bool with_steps)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *links = cJSON_AddObjectToObject(o, "_links");
    link(links, "self",
         tp_arena_printf(req->arena, "%sexecution/node/%lld/wfapi/describe", run_path,
                         (long long)n->node_id));
    tp_json_add_id(o, "id", n->node_id);
    cJSON_AddStringToObject(o, "name", n->name);
    cJSON_AddStringToObject(o, "execNode", "");
    cJSON_AddStringToObject(o, "status", status(n->state, n->result));
    tp_json_add_i64(o, "startTimeMillis", n->start_ms);
    tp_json_add_i64(o, "durationMillis", duration(n->start_ms, n->end_ms));
    tp_json_add_i64(o, "pauseDurationMillis", 0);
    struct steps steps = { .arena = req->arena };
    tp_store_step_list(req->app->store, run_id, n->node_id, req->arena, collect_step, &steps);
    for (size_t i = 0; i < steps.count; i++) {
        if (steps.items[i].error != NULL) { /* the first error that failed the stage */
            cJSON_AddItemToObject(o, "error", error_json(steps.items[i].error));
            break;
        }
    }
    if (with_steps) {
        cJSON *list = cJSON_AddArrayToObject(o, "stageFlowNodes");
        for (size_t i = 0; i < steps.count; i++)
            cJSON_AddItemToArray(list, atom_json(req, run_path, &steps.items[i]));
    }
    return o;
}

static cJSON *run_json(struct tp_req *req, const struct tp_run_rec *run, bool full_stages)
{
    const char *run_path = tp_arena_printf(req->arena, "%s%lld/", job_path(req, run->pipeline),
                                           (long long)run->number);
    cJSON *o = cJSON_CreateObject();
    cJSON *links = cJSON_AddObjectToObject(o, "_links");
    link(links, "self", tp_arena_printf(req->arena, "%swfapi/describe", run_path));
    char text[32];
    snprintf(text, sizeof(text), "%lld", (long long)run->number);
    cJSON_AddStringToObject(o, "id", text);
    snprintf(text, sizeof(text), "#%lld", (long long)run->number);
    cJSON_AddStringToObject(o, "name", run->display_name != NULL ? run->display_name : text);
    cJSON_AddStringToObject(o, "status", status(run->state, run->result));
    tp_json_add_i64(o, "startTimeMillis", run->start_ms);
    tp_json_add_i64(o, "endTimeMillis", run->state == TP_STATE_FINISHED ? run->end_ms : 0);
    tp_json_add_i64(o, "durationMillis",
                    duration(run->start_ms, run->state == TP_STATE_FINISHED ? run->end_ms : 0));
    tp_json_add_i64(o, "queueDurationMillis",
                    run->start_ms > run->enqueue_ms ? run->start_ms - run->enqueue_ms : 0);
    tp_json_add_i64(o, "pauseDurationMillis", 0);
    struct nodes nodes = { .arena = req->arena };
    tp_store_node_list(req->app->store, run->id, req->arena, collect_node, &nodes);
    cJSON *stages = cJSON_AddArrayToObject(o, "stages");
    for (size_t i = 0; i < nodes.count; i++)
        cJSON_AddItemToArray(stages,
                             stage_json(req, run_path, &nodes.items[i], run->id, full_stages));
    return o;
}

/* --- handlers --- */

static int get_job_describe(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_pipeline_rec pipeline;
    if (tp_store_pipeline_get(req->app->store, param(req, 0), req->arena, &pipeline) < 0)
        return not_found(resp);
    const char *path = job_path(req, pipeline.name);
    cJSON *o = cJSON_CreateObject();
    cJSON *links = cJSON_AddObjectToObject(o, "_links");
    link(links, "self", tp_arena_printf(req->arena, "%swfapi/describe", path));
    link(links, "runs", tp_arena_printf(req->arena, "%swfapi/runs", path));
    cJSON_AddStringToObject(o, "name", pipeline.name);
    tp_json_add_i64(o, "runCount", pipeline.next_number - 1);
    return send_json(resp, o);
}

struct runs_ctx {
    struct tp_req *req;
    cJSON *list;
    int64_t since;
    bool full, done;
};

static int add_run(void *ctx, const struct tp_run_rec *rec)
{
    struct runs_ctx *c = ctx;
    if (c->done || rec->state == TP_STATE_QUEUED)
        return 0;
    cJSON_AddItemToArray(c->list, run_json(c->req, rec, c->full));
    c->done = c->since > 0 && rec->number <= c->since;
    return 0;
}

/* wfapi/runs[?since=#N][&fullStages=true]: the runs, newest first, down to #N. */
static int get_runs(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_pipeline_rec pipeline;
    if (tp_store_pipeline_get(req->app->store, param(req, 0), req->arena, &pipeline) < 0)
        return not_found(resp);
    struct runs_ctx ctx = { .req = req, .list = cJSON_CreateArray() };
    const char *text;
    if (tp_req_query(req, "since", &text)) {
        if (text[0] == '#')
            text++;
        if (tp_str_to_i64(text, strlen(text), &ctx.since) < 0)
            ctx.since = 0;
    }
    ctx.full = tp_req_query(req, "fullStages", &text) && strcmp(text, "true") == 0;
    int err = tp_store_run_list(req->app->store, pipeline.id, TP_RUNS_BUILDS, 0, MAX_RUNS,
                                req->arena, add_run, &ctx);
    if (err < 0) {
        cJSON_Delete(ctx.list);
        return err;
    }
    return send_json(resp, ctx.list);
}

static int get_run_describe(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_pipeline_rec pipeline;
    struct tp_run_rec run;
    if (!run_of(req, resp, &pipeline, &run))
        return 0;
    return send_json(resp, run_json(req, &run, false));
}

/* execution/node/ID/wfapi/describe: a stage with its steps, or a step. */
static int get_node_describe(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_pipeline_rec pipeline;
    struct tp_run_rec run;
    if (!run_of(req, resp, &pipeline, &run))
        return 0;
    int64_t id;
    const char *text = param(req, 2);
    if (tp_str_to_i64(text, strlen(text), &id) < 0)
        return not_found(resp);
    const char *run_path =
        tp_arena_printf(req->arena, "%s%lld/", job_path(req, pipeline.name), (long long)run.number);
    struct tp_node_rec node;
    if (tp_store_node_get(req->app->store, run.id, id, req->arena, &node) == 0)
        return send_json(resp, stage_json(req, run_path, &node, run.id, true));
    struct tp_step_rec step;
    if (tp_store_step_get(req->app->store, run.id, id, req->arena, &step) == 0)
        return send_json(resp, atom_json(req, run_path, &step));
    return not_found(resp);
}

struct log_ctx {
    struct tp_buf *text;
    int64_t max;
};

static int append_chunk(void *ctx, const struct tp_log_chunk *chunk)
{
    struct log_ctx *c = ctx;
    int64_t room = c->max - (int64_t)c->text->len;
    if (room <= 0)
        return 1;
    tp_buf_append(c->text, chunk->data, (size_t)room < chunk->len ? (size_t)room : chunk->len);
    return 0;
}

/* execution/node/ID/wfapi/log: a step's log as JSON (the first MiB; hasMore beyond). */
static int get_node_log(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_pipeline_rec pipeline;
    struct tp_run_rec run;
    if (!run_of(req, resp, &pipeline, &run))
        return 0;
    int64_t id;
    const char *text_id = param(req, 2);
    struct tp_step_rec step;
    if (tp_str_to_i64(text_id, strlen(text_id), &id) < 0 ||
        tp_store_step_get(req->app->store, run.id, id, req->arena, &step) < 0)
        return not_found(resp);
    int64_t raw = 0, lf = 0;
    int err = tp_store_log_measure(req->app->store, run.id, id, 0, &raw, &lf);
    if (err < 0)
        return err;
    struct tp_buf text;
    tp_buf_init(&text);
    struct log_ctx ctx = { .text = &text, .max = LOG_MAX };
    for (int64_t from = 0; err == 0 && (int64_t)text.len < raw && (int64_t)text.len < LOG_MAX;) {
        size_t before = text.len;
        err = tp_store_log_read(req->app->store, run.id, id, from, 64, append_chunk, &ctx);
        if (text.len == before)
            break;
        from = (int64_t)text.len;
    }
    cJSON *o = cJSON_CreateObject();
    tp_json_add_id(o, "nodeId", id);
    cJSON_AddStringToObject(o, "nodeStatus", status(step.state, step.result));
    tp_json_add_i64(o, "length", (int64_t)text.len);
    cJSON_AddBoolToObject(o, "hasMore", raw > (int64_t)text.len);
    cJSON_AddStringToObject(o, "text", tp_buf_str(&text));
    cJSON_AddStringToObject(o, "consoleUrl",
                            tp_arena_printf(req->arena, "%s%lld/execution/node/%lld/log",
                                            job_path(req, pipeline.name), (long long)run.number,
                                            (long long)id));
    tp_buf_close(&text);
    return err < 0 ? (cJSON_Delete(o), err) : send_json(resp, o);
}

struct inputs_ctx {
    struct tp_req *req;
    const char *run_path;
    cJSON *list;
    const char *want; /* an input id to find, or NULL for all */
    int64_t step_id;
};

static int add_input(void *ctx, const struct tp_step_rec *rec)
{
    struct inputs_ctx *c = ctx;
    if (rec->state != TP_STATE_PAUSED || rec->input == NULL)
        return 0;
    cJSON *input = cJSON_Parse(rec->input);
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(input, "id"));
    if (id != NULL && c->want != NULL && strcmp(id, c->want) == 0)
        c->step_id = rec->step_id;
    if (id != NULL && c->list != NULL) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", id);
        cJSON_AddItemToObject(
            o, "message",
            cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(input, "message"), true));
        cJSON_AddItemToObject(o, "proceedText",
                              cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(input, "ok"), true));
        struct tp_req *req = c->req;
        cJSON_AddStringToObject(
            o, "proceedUrl",
            tp_arena_printf(req->arena, "%sinput/%s/proceedEmpty", c->run_path, id));
        cJSON_AddStringToObject(o, "abortUrl",
                                tp_arena_printf(req->arena, "%sinput/%s/abort", c->run_path, id));
        cJSON_AddStringToObject(o, "redirectApprovalUrl",
                                tp_arena_printf(req->arena, "%sinput/", c->run_path));
        cJSON *params = cJSON_GetObjectItemCaseSensitive(input, "parameters");
        cJSON_AddItemToObject(o, "inputs",
                              params != NULL ? cJSON_Duplicate(params, true) : cJSON_CreateArray());
        cJSON_AddItemToArray(c->list, o);
    }
    cJSON_Delete(input);
    return 0;
}

static int get_pending_inputs(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_pipeline_rec pipeline;
    struct tp_run_rec run;
    if (!run_of(req, resp, &pipeline, &run))
        return 0;
    struct inputs_ctx ctx = {
        .req = req,
        .run_path = tp_arena_printf(req->arena, "%s%lld/", job_path(req, pipeline.name),
                                    (long long)run.number),
        .list = cJSON_CreateArray(),
    };
    int err = tp_store_step_list(req->app->store, run.id, 0, req->arena, add_input, &ctx);
    if (err < 0) {
        cJSON_Delete(ctx.list);
        return err;
    }
    return send_json(resp, ctx.list);
}

/* Answers input {2} of run {1}: approve (with `parameters`, may be NULL) or abort. */
static int answer(struct tp_req *req, struct tp_resp *resp, bool abort, const cJSON *parameters)
{
    struct tp_pipeline_rec pipeline;
    struct tp_run_rec run;
    if (!run_of(req, resp, &pipeline, &run))
        return 0;
    struct inputs_ctx ctx = { .req = req, .want = param(req, 2) };
    int err = tp_store_step_list(req->app->store, run.id, 0, req->arena, add_input, &ctx);
    if (err < 0)
        return err;
    if (ctx.step_id == 0)
        return not_found(resp);
    struct tp_buf error;
    tp_buf_init(&error);
    err = tp_engine_input(req->app->engine, run.id, ctx.step_id, param(req, 2), abort, parameters,
                          tp_req_user(req), &error);
    if (err == TP_EINVAL) {
        resp->status = 400;
        resp->content_type = "text/plain;charset=utf-8";
        tp_resp_header(resp, "X-Error", "%s", tp_buf_str(&error));
        tp_buf_printf(&resp->body, "%s\n", tp_buf_str(&error));
    }
    tp_buf_close(&error);
    if (err == TP_EINVAL)
        return 0;
    if (err == TP_ENOTFOUND)
        return not_found(resp);
    if (err < 0)
        return err;
    resp->status = 302;
    tp_resp_header(resp, "Location", "%s%s%lld/", tp_engine_root_url(req->app->engine),
                   job_path(req, pipeline.name) + 1, (long long)run.number);
    return 0;
}

static int post_proceed_empty(struct tp_req *req, struct tp_resp *resp)
{
    return answer(req, resp, false, NULL);
}

static int post_abort(struct tp_req *req, struct tp_resp *resp)
{
    return answer(req, resp, true, NULL);
}

/* input/ID/submit: form json={"parameter":[{"name":..,"value":..}]}, as the classic page sends. */
static int post_submit(struct tp_req *req, struct tp_resp *resp)
{
    const char *json;
    size_t len;
    cJSON *form = tp_form_field(req, "json", &json, &len) ? cJSON_ParseWithLength(json, len) : NULL;
    cJSON *list = cJSON_GetObjectItemCaseSensitive(form, "parameter");
    cJSON *parameters = cJSON_CreateArray();
    if (cJSON_IsObject(list)) {
        cJSON_AddItemToArray(parameters, cJSON_Duplicate(list, true));
    } else {
        const cJSON *p;
        cJSON_ArrayForEach(p, list) cJSON_AddItemToArray(parameters, cJSON_Duplicate(p, true));
    }
    cJSON_Delete(form);
    int err = answer(req, resp, false, parameters);
    cJSON_Delete(parameters);
    return err;
}

static int get_changesets(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_pipeline_rec pipeline;
    struct tp_run_rec run;
    if (!run_of(req, resp, &pipeline, &run))
        return 0;
    return send_json(resp, cJSON_CreateArray()); /* runs without SCM have no changes */
}

/* GET /job/X/N/wfapi/artifacts: the run's archived files. */
static int get_artifacts(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_pipeline_rec pipeline;
    struct tp_run_rec run;
    if (!run_of(req, resp, &pipeline, &run))
        return 0;
    struct tp_artifact *artifacts;
    size_t n;
    tp_engine_artifacts(req->app->engine, pipeline.name, run.number, req->arena, &artifacts, &n);
    cJSON *list = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        cJSON *a = cJSON_CreateObject();
        char id[32];
        snprintf(id, sizeof(id), "n%zu", i + 1);
        cJSON_AddStringToObject(a, "id", id);
        const char *slash = strrchr(artifacts[i].path, '/');
        cJSON_AddStringToObject(a, "name", slash != NULL ? slash + 1 : artifacts[i].path);
        cJSON_AddStringToObject(a, "path", artifacts[i].path);
        cJSON_AddStringToObject(a, "url",
                                tp_arena_printf(req->arena, "%s%lld/artifact/%s",
                                                job_path(req, pipeline.name), (long long)run.number,
                                                artifacts[i].path));
        tp_json_add_i64(a, "size", artifacts[i].size);
        cJSON_AddItemToArray(list, a);
    }
    return send_json(resp, list);
}

#define JOB "/job/{job}"
#define RUN "/job/{job}/{build}"

static const struct tp_route wfapi_routes[] = {
    { HTTP_GET, JOB "/wfapi", get_job_describe },
    { HTTP_GET, JOB "/wfapi/describe", get_job_describe },
    { HTTP_GET, JOB "/wfapi/runs", get_runs },
    { HTTP_GET, RUN "/wfapi", get_run_describe },
    { HTTP_GET, RUN "/wfapi/describe", get_run_describe },
    { HTTP_GET, RUN "/wfapi/pendingInputActions", get_pending_inputs },
    { HTTP_GET, RUN "/wfapi/changesets", get_changesets },
    { HTTP_GET, RUN "/wfapi/artifacts", get_artifacts },
    { HTTP_GET, RUN "/execution/node/{node}/wfapi/describe", get_node_describe },
    { HTTP_GET, RUN "/execution/node/{node}/wfapi/log", get_node_log },
    { HTTP_POST, RUN "/input/{id}/proceedEmpty", post_proceed_empty },
    { HTTP_POST, RUN "/input/{id}/abort", post_abort },
    { HTTP_POST, RUN "/input/{id}/submit", post_submit },
};

const struct tp_route_table tp_wfapi_table = {
    .prefix = "/job/",
    .routes = wfapi_routes,
    .count = sizeof(wfapi_routes) / sizeof(wfapi_routes[0]),
};
