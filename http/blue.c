/* SPDX-License-Identifier: MIT */
/* Blue Ocean's REST API: the route table and its thin handlers (parse, ask, build JSON). */
#include "http/blue.h"

#include <ctype.h>
#include <llhttp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "common/json.h"
#include "common/str.h"
#include "common/timefmt.h"
#include "engine/engine.h"
#include "engine/params.h"
#include "http/auth.h"
#include "http/blue_graph.h"
#include "http/blue_json.h"
#include "http/classic_json.h"
#include "http/logview.h"
#include "http/sse.h"
#include "http/tree.h"
#include "jenkinsfile/plan.h"
#include "store/store.h"

enum {
    DEFAULT_LIMIT = 100,
    SUMMARY_LOOKBACK = 50, /* runs looked at to say "broken since build #N" */
};

/* --- responses --- */

static int send_json(struct tp_req *req, struct tp_resp *resp, cJSON *json)
{
    const char *pretty, *tree_text;
    /* ?tree= prunes any answer (Jenkins' syntax; a malformed one is the servlet's 500);
     * ?depth= is accepted: every answer is already whole */
    if (tp_req_query(req, "tree", &tree_text) && tree_text[0] != '\0') {
        struct tp_tree *tree;
        if (tp_tree_parse(tree_text, req->arena, &tree) < 0) {
            cJSON_Delete(json);
            return tp_resp_error(resp, 500, "Malformed tree expression: %s", tree_text);
        }
        tp_tree_apply(json, tree);
    }
    resp->content_type = "application/json;charset=UTF-8";
    if (tp_req_query(req, "pretty", &pretty)) {
        char *text = cJSON_Print(json);
        tp_buf_puts(&resp->body, text);
        free(text);
    } else {
        tp_json_print(json, &resp->body);
    }
    cJSON_Delete(json);
    return 0;
}

static void finish(struct tp_req *req, struct tp_resp *resp)
{
    (void)req;
    tp_resp_header(resp, "Cache-Control", "no-cache, no-store, no-transform");
}

/* --- parameters --- */

static const char *param(const struct tp_req *req, size_t i)
{
    return i < req->nparams ? req->params[i] : "";
}

/* Every route starts with the organization: there is exactly one, "jenkins". */
static bool org_ok(struct tp_req *req, struct tp_resp *resp)
{
    if (strcmp(param(req, 0), "jenkins") == 0)
        return true;
    tp_resp_error(resp, 404, "Organization %s not found", param(req, 0));
    return false;
}

static bool load_pipeline(struct tp_req *req, struct tp_resp *resp, struct tp_pipeline_rec *out)
{
    if (!org_ok(req, resp))
        return false;
    int err = tp_store_pipeline_get(req->app->store, param(req, 1), req->arena, out);
    if (err == TP_ENOTFOUND) {
        tp_resp_error(resp, 404, "Pipeline %s not found", param(req, 1));
        return false;
    }
    if (err < 0) {
        tp_resp_error(resp, 500, "%s", tp_strerror(err));
        return false;
    }
    return true;
}

static bool load_run(struct tp_req *req, struct tp_resp *resp, struct tp_pipeline_rec *pipeline,
                     struct tp_run_rec *out)
{
    if (!load_pipeline(req, resp, pipeline))
        return false;
    const char *id = param(req, 2);
    int64_t number;
    int err = tp_str_to_i64(id, strlen(id), &number);
    if (err == 0)
        err = tp_store_run_get(req->app->store, pipeline->id, number, req->arena, out);
    if (err == TP_EINVAL || err == TP_ENOTFOUND) {
        tp_resp_error(resp, 404, "Run %s not found in organization jenkins and pipeline %s", id,
                      pipeline->name);
        return false;
    }
    if (err < 0) {
        tp_resp_error(resp, 500, "%s", tp_strerror(err));
        return false;
    }
    return true;
}

/* Reads start/limit (Blue Ocean: negative start is 0, negative limit is 100). */
static bool page_params(struct tp_req *req, struct tp_resp *resp, int64_t *start, int64_t *limit)
{
    const char *text;
    *start = 0;
    *limit = DEFAULT_LIMIT;
    if (tp_req_query(req, "start", &text) && tp_str_to_i64(text, strlen(text), start) < 0) {
        tp_resp_error(resp, 400, "start must be a number");
        return false;
    }
    if (tp_req_query(req, "limit", &text) && tp_str_to_i64(text, strlen(text), limit) < 0) {
        tp_resp_error(resp, 400, "limit must be a number");
        return false;
    }
    if (*start < 0)
        *start = 0;
    if (*limit < 0)
        *limit = DEFAULT_LIMIT;
    return true;
}

/* Link: <path?other-params&start=S&limit=L>; rel="next", always sent, as Blue Ocean does. */
static void link_next(struct tp_req *req, struct tp_resp *resp, int64_t start, int64_t limit)
{
    struct tp_buf url;
    tp_buf_init(&url);
    tp_buf_printf(&url, "%s?", req->path);
    const char *p = req->query;
    while (*p) {
        size_t len = strcspn(p, "&");
        const char *eq = memchr(p, '=', len);
        bool paging = (len >= 6 && strncmp(p, "start=", 6) == 0) ||
                      (len >= 6 && strncmp(p, "limit=", 6) == 0);
        /* Parameters that are not exactly one name=value pair are dropped. */
        if (!paging && eq != NULL && memchr(eq + 1, '=', len - (size_t)(eq - p) - 1) == NULL) {
            tp_buf_append(&url, p, len);
            tp_buf_putc(&url, '&');
        }
        p += len;
        if (*p == '&')
            p++;
    }
    tp_buf_printf(&url, "start=%lld&limit=%lld", (long long)(start + limit), (long long)limit);
    tp_resp_header(resp, "Link", "<%s>; rel=\"next\"", url.data);
    tp_buf_close(&url);
}

/* --- figures derived from history --- */

struct history_ctx {
    int finished, failed;
    int64_t durations[3];
    int ndurations;
    int64_t fallback[3];
    int nfallback;
};

static int collect_history(void *ctx, const struct tp_run_rec *run)
{
    struct history_ctx *h = ctx;
    if (run->state != TP_STATE_FINISHED)
        return 0;
    if (h->finished < 5) {
        h->finished++;
        if (run->result == TP_RESULT_FAILURE)
            h->failed++;
    }
    int64_t d = run->end_ms - run->start_ms;
    if ((run->result == TP_RESULT_SUCCESS || run->result == TP_RESULT_UNSTABLE) &&
        h->ndurations < 3)
        h->durations[h->ndurations++] = d;
    else if (run->result != TP_RESULT_ABORTED && h->nfallback < 3)
        h->fallback[h->nfallback++] = d;
    return 0;
}

/* Jenkins' build-stability weather (last 5 builds) and duration estimate (last 3 good). */
static void pipeline_history(struct tp_req *req, int64_t pipeline_id, struct tp_blue_history *out)
{
    struct history_ctx h = { 0 };
    tp_store_run_list(req->app->store, pipeline_id, TP_RUNS_BUILDS, 0, 20, req->arena,
                      collect_history, &h);
    out->weather_score = h.finished ? 100 * (h.finished - h.failed) / h.finished : 100;
    for (int i = 0; h.ndurations < 3 && i < h.nfallback; i++)
        h.durations[h.ndurations++] = h.fallback[i];
    int64_t sum = 0;
    for (int i = 0; i < h.ndurations; i++)
        sum += h.durations[i];
    out->estimated_duration_ms = h.ndurations ? sum / h.ndurations : -1;
}

/* The previous finished run before `number`, within the lookback; false when none. */
static bool previous_finished(struct tp_req *req, int64_t pipeline_id, int64_t number,
                              struct tp_run_rec *out)
{
    for (int64_t n = number - 1; n > 0 && n > number - SUMMARY_LOOKBACK; n--) {
        if (tp_store_run_get(req->app->store, pipeline_id, n, req->arena, out) == 0 &&
            out->state == TP_STATE_FINISHED)
            return true;
    }
    return false;
}

/* Run.getBuildStatusSummary, for the results tidepool produces. */
static const char *run_summary(struct tp_req *req, const struct tp_run_rec *run)
{
    struct tp_run_rec prev;
    switch (run->result) {
    case TP_RESULT_SUCCESS:
        if (!previous_finished(req, run->pipeline_id, run->number, &prev) ||
            prev.result == TP_RESULT_SUCCESS)
            return "stable";
        return "back to normal";
    case TP_RESULT_FAILURE: {
        int64_t since = run->number;
        int64_t at = run->number;
        while (previous_finished(req, run->pipeline_id, at, &prev) &&
               prev.result == TP_RESULT_FAILURE) {
            since = prev.number;
            at = prev.number;
            if (run->number - at > SUMMARY_LOOKBACK)
                return "broken for a long time";
        }
        if (since == run->number)
            return "broken since this build";
        return tp_arena_printf(req->arena, "broken since build #%lld", (long long)since);
    }
    case TP_RESULT_UNSTABLE:
        return "unstable";
    case TP_RESULT_ABORTED:
        return "aborted";
    case TP_RESULT_NOT_BUILT:
        return "not built";
    default:
        return "?";
    }
}

static bool is_build(struct tp_req *req, int64_t pipeline_id, int64_t number)
{
    struct tp_run_rec other;
    return number > 0 &&
           tp_store_run_get(req->app->store, pipeline_id, number, req->arena, &other) == 0 &&
           other.state != TP_STATE_QUEUED;
}

/* Asked with ?tree=, a run lists its actions as Blue Ocean's proxies: each action's own
 * fields between the proxy's _class and the action's (the key is there twice, as Jenkins
 * writes it), its link under the run's, and its urlName. */
static void run_actions(cJSON *o, const struct tp_run_rec *run)
{
    const cJSON *self = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "_links"), "self"),
        "href");
    cJSON *actions = tp_classic_run_actions(run), *proxies = cJSON_CreateArray();
    const cJSON *action;
    cJSON_ArrayForEach(action, actions)
    {
        const char *class_name = cJSON_GetObjectItemCaseSensitive(action, "_class")->valuestring;
        const char *url_name =
            strcmp(class_name, "hudson.model.ParametersAction") == 0 ? "parameters" : NULL;
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "_class",
                                "io.jenkins.blueocean.service.embedded.rest.ActionProxiesImpl");
        cJSON *links = cJSON_AddObjectToObject(p, "_links");
        if (url_name != NULL && cJSON_IsString(self)) {
            cJSON *link = cJSON_AddObjectToObject(links, "self");
            cJSON_AddStringToObject(link, "_class", "io.jenkins.blueocean.rest.hal.Link");
            struct tp_buf href;
            tp_buf_init(&href);
            tp_buf_printf(&href, "%s%s/", self->valuestring, url_name);
            cJSON_AddStringToObject(link, "href", tp_buf_str(&href));
            tp_buf_close(&href);
        } else {
            cJSON_AddNullToObject(links, "self");
        }
        const cJSON *field;
        cJSON_ArrayForEach(field, action)
        {
            if (strcmp(field->string, "_class") != 0)
                cJSON_AddItemToObject(p, field->string, cJSON_Duplicate(field, true));
        }
        if (url_name != NULL)
            cJSON_AddStringToObject(p, "urlName", url_name);
        else
            cJSON_AddNullToObject(p, "urlName");
        cJSON_AddStringToObject(p, "_class", class_name);
        cJSON_AddItemToArray(proxies, p);
    }
    cJSON_Delete(actions);
    cJSON_ReplaceItemInObjectCaseSensitive(o, "actions", proxies);
}

static cJSON *run_json(struct tp_req *req, const struct tp_run_rec *run, int64_t estimate,
                       bool summary)
{
    struct tp_blue_run_context ctx = { .estimated_duration_ms = estimate };
    if (run->state != TP_STATE_QUEUED) {
        ctx.prev_number = is_build(req, run->pipeline_id, run->number - 1) ? run->number - 1 : 0;
        ctx.next_number = is_build(req, run->pipeline_id, run->number + 1) ? run->number + 1 : 0;
        if (run->state == TP_STATE_FINISHED)
            ctx.run_summary = run_summary(req, run);
        ctx.has_artifacts = tp_engine_has_artifacts(req->app->engine, run->pipeline, run->number);
    }
    cJSON *o = tp_blue_run_json(run, &ctx, summary);
    const char *tree;
    if (tp_req_query(req, "tree", &tree) && tree[0] != '\0')
        run_actions(o, run);
    return o;
}

/* --- organizations and pipelines --- */

static int get_organizations(struct tp_req *req, struct tp_resp *resp)
{
    cJSON *list = cJSON_CreateArray();
    cJSON_AddItemToArray(list, tp_blue_organization_json());
    link_next(req, resp, 0, DEFAULT_LIMIT);
    return send_json(req, resp, list);
}

static int get_organization(struct tp_req *req, struct tp_resp *resp)
{
    if (!org_ok(req, resp))
        return 0;
    return send_json(req, resp, tp_blue_organization_json());
}

/* The short names of the items directly inside folder `folder` (NULL for a pipeline). */
struct children_ctx {
    const char *folder;
    size_t len;
    const char **names;
    size_t count, cap;
    struct tp_arena *arena;
};

static int add_child(void *ctx, const struct tp_pipeline_status *p)
{
    struct children_ctx *c = ctx;
    if (strncmp(p->name, c->folder, c->len) != 0 || p->name[c->len] != '/' ||
        strchr(p->name + c->len + 1, '/') != NULL)
        return 0;
    c->names = tp_arena_grow(c->arena, c->names, c->count, &c->cap, sizeof(*c->names));
    c->names[c->count++] = p->folder ? p->name + c->len + 1 : NULL;
    return 0;
}

static cJSON *folder_json(struct tp_req *req, const struct tp_pipeline_rec *folder)
{
    struct children_ctx ctx = { .folder = folder->name,
                                .len = strlen(folder->name),
                                .arena = req->arena };
    if (tp_store_pipeline_statuses(req->app->store, req->arena, add_child, &ctx) < 0)
        ctx.count = 0;
    return tp_blue_folder_json(folder, ctx.names, ctx.count);
}

static cJSON *item_json(struct tp_req *req, const struct tp_pipeline_rec *pipeline);

/* A branch job's branch (from its properties), or NULL for any other job; `*primary` tells
 * whether it is the repository's default branch (branch indexing found it HEAD; an older
 * index did not say: main or master then). */
static const char *branch_of(struct tp_req *req, const struct tp_pipeline_rec *pipeline,
                             bool *primary)
{
    *primary = false;
    if (pipeline->properties == NULL || strstr(pipeline->properties, "\"branch\"") == NULL)
        return NULL;
    cJSON *props = cJSON_Parse(pipeline->properties);
    const cJSON *branch = cJSON_GetObjectItemCaseSensitive(props, "branch");
    const cJSON *is_primary = cJSON_GetObjectItemCaseSensitive(props, "primary");
    const char *out =
        cJSON_IsString(branch) ? tp_arena_strdup(req->arena, branch->valuestring) : NULL;
    if (cJSON_IsBool(is_primary))
        *primary = cJSON_IsTrue(is_primary);
    else
        *primary = out != NULL && (strcmp(out, "main") == 0 || strcmp(out, "master") == 0);
    cJSON_Delete(props);
    return out;
}

static void pipeline_history(struct tp_req *req, int64_t pipeline_id, struct tp_blue_history *out);

static cJSON *pipeline_json(struct tp_req *req, const struct tp_pipeline_rec *pipeline)
{
    cJSON *o = item_json(req, pipeline);
    bool primary = false;
    const char *branch = pipeline->folder ? NULL : branch_of(req, pipeline, &primary);
    const char *slash = strrchr(pipeline->name, '/');
    if (branch != NULL && slash != NULL)
        o = tp_blue_branch_json(
            o, tp_arena_strndup(req->arena, pipeline->name, (size_t)(slash - pipeline->name)),
            slash + 1, primary);
    tp_blue_set_permissions(o, tp_req_role(req));
    return o;
}

/* --- multibranch --- */

/* The branch jobs of multibranch pipeline `mbp`, in Blue Ocean's branch-list order: the
 * primary branch first; then the caller's favorites; then those with a run before those
 * without; running before finished; finished by end time, running by start time, newest
 * first; then by name. */
struct branch_key {
    bool primary, favorite, has_run, running;
    int64_t when;
    const char *name;
    size_t index;
};

struct branches_ctx {
    struct tp_req *req;
    const char *mbp;
    size_t len;
    struct tp_pipeline_rec *items;
    size_t count, cap;
};

static int add_branch_job(void *ctx, const struct tp_pipeline_rec *rec)
{
    struct branches_ctx *c = ctx;
    if (strncmp(rec->name, c->mbp, c->len) != 0 || rec->name[c->len] != '/' ||
        strchr(rec->name + c->len + 1, '/') != NULL || rec->folder)
        return 0;
    c->items = tp_arena_grow(c->req->arena, c->items, c->count, &c->cap, sizeof(*c->items));
    c->items[c->count++] = *rec;
    return 0;
}

struct favorite_ids {
    int64_t *ids;
    size_t count, cap;
    struct tp_arena *arena;
};

static int add_favorite_id(void *ctx, const struct tp_pipeline_rec *rec)
{
    struct favorite_ids *f = ctx;
    f->ids = tp_arena_grow(f->arena, f->ids, f->count, &f->cap, sizeof(*f->ids));
    f->ids[f->count++] = rec->id;
    return 0;
}

static int branch_order(const void *a, const void *b)
{
    const struct branch_key *x = a, *y = b;
    if (x->primary != y->primary)
        return x->primary ? -1 : 1;
    if (x->favorite != y->favorite)
        return x->favorite ? -1 : 1;
    if (x->has_run != y->has_run)
        return x->has_run ? -1 : 1;
    if (x->running != y->running)
        return x->running ? -1 : 1;
    if (x->when != y->when)
        return x->when > y->when ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int branches_of(struct tp_req *req, const char *mbp, struct branches_ctx *out)
{
    *out = (struct branches_ctx){ .req = req, .mbp = mbp, .len = strlen(mbp) };
    int err = tp_store_pipeline_list(req->app->store, req->arena, add_branch_job, out);
    if (err < 0 || out->count < 2)
        return err;
    struct favorite_ids favorites = { .arena = req->arena };
    if (req->user != NULL)
        tp_store_favorites_list(req->app->store, req->user->name, req->arena, add_favorite_id,
                                &favorites);
    struct branch_key *keys = tp_arena_alloc(req->arena, out->count * sizeof(*keys));
    for (size_t i = 0; i < out->count; i++) {
        const struct tp_pipeline_rec *p = &out->items[i];
        struct branch_key *k = &keys[i];
        *k = (struct branch_key){ .name = p->name, .index = i };
        branch_of(req, p, &k->primary);
        for (size_t j = 0; j < favorites.count; j++)
            k->favorite = k->favorite || favorites.ids[j] == p->id;
        struct tp_run_rec last;
        k->has_run =
            p->next_number > 1 &&
            tp_store_run_get(req->app->store, p->id, p->next_number - 1, req->arena, &last) == 0;
        if (k->has_run) {
            k->running = last.state != TP_STATE_FINISHED;
            k->when = k->running ? last.start_ms : last.end_ms;
        }
    }
    qsort(keys, out->count, sizeof(*keys), branch_order);
    struct tp_pipeline_rec *sorted = tp_arena_alloc(req->arena, out->count * sizeof(*sorted));
    for (size_t i = 0; i < out->count; i++)
        sorted[i] = out->items[keys[i].index];
    out->items = sorted;
    return 0;
}

static cJSON *multibranch_json(struct tp_req *req, const struct tp_pipeline_rec *mbp)
{
    struct branches_ctx b;
    branches_of(req, mbp->name, &b);
    const char **names = tp_arena_alloc(req->arena, (b.count + 1) * sizeof(*names));
    struct tp_blue_multibranch m = { .branches = names,
                                     .nbranches = b.count,
                                     .weather_score = 100,
                                     .estimated_duration_ms = -1,
                                     .script_path = "Jenkinsfile" };
    for (size_t i = 0; i < b.count; i++) {
        names[i] = strrchr(b.items[i].name, '/') + 1;
        struct tp_run_rec last;
        bool found = false;
        for (int64_t n = b.items[i].next_number - 1; n > 0 && !found; n--) {
            found = tp_store_run_get(req->app->store, b.items[i].id, n, req->arena, &last) == 0 &&
                    last.state == TP_STATE_FINISHED;
        }
        m.failing += found && last.result == TP_RESULT_FAILURE;
        m.successful += found && last.result == TP_RESULT_SUCCESS;
        if (i == 0) {
            struct tp_blue_history history;
            pipeline_history(req, b.items[i].id, &history);
            m.weather_score = history.weather_score;
            m.estimated_duration_ms = history.estimated_duration_ms;
        }
    }
    return tp_blue_multibranch_json(mbp, &m);
}

/* GET .../{mbp}/branches/: its branch jobs, paged. */
static int get_branches(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_pipeline_rec mbp;
    int64_t start, limit;
    if (!load_pipeline(req, resp, &mbp) || !page_params(req, resp, &start, &limit))
        return 0;
    if (!mbp.multibranch)
        return tp_resp_error(resp, 404, "Pipeline %s is not a multibranch pipeline", mbp.name);
    struct branches_ctx b;
    int err = branches_of(req, mbp.name, &b);
    if (err < 0)
        return err;
    cJSON *list = cJSON_CreateArray();
    for (int64_t i = start; i < (int64_t)b.count && i - start < limit; i++)
        cJSON_AddItemToArray(list, pipeline_json(req, &b.items[i]));
    link_next(req, resp, start, limit);
    return send_json(req, resp, list);
}

static int newer_first(const void *a, const void *b)
{
    const struct tp_run_rec *x = a, *y = b;
    int64_t sx = x->start_ms > 0 ? x->start_ms : INT64_MAX - x->enqueue_ms;
    int64_t sy = y->start_ms > 0 ? y->start_ms : INT64_MAX - y->enqueue_ms;
    return sx < sy ? 1 : sx > sy ? -1 : 0;
}

/* GET .../{mbp}/runs/: the runs of every branch (start+limit of each), newest first. */
static int get_mbp_runs(struct tp_req *req, struct tp_resp *resp, const struct tp_pipeline_rec *mbp,
                        int64_t start, int64_t limit)
{
    /* As Blue Ocean pages them: `start` runs skipped and `limit` taken in each branch (of its
     * newest 250), merged newest first, cut to `limit`; ?branch=NAME for one branch only. */
    enum {
        MAX_MBP_RUNS_ROWS = 250
    };

    const char *only = NULL;
    tp_req_query(req, "branch", &only);
    struct branches_ctx b;
    int err = branches_of(req, mbp->name, &b);
    struct tp_run_list runs = { .arena = req->arena };
    for (size_t i = 0; i < b.count && err == 0; i++) {
        const char *name = strrchr(b.items[i].name, '/') + 1;
        if (only != NULL && strcmp(only, name) != 0)
            continue;
        if (start >= MAX_MBP_RUNS_ROWS)
            continue;
        int64_t take = start + limit < MAX_MBP_RUNS_ROWS ? limit : MAX_MBP_RUNS_ROWS - start;
        err = tp_store_run_list(req->app->store, b.items[i].id, TP_RUNS_ALL, start, take,
                                req->arena, tp_store_run_collect, &runs);
    }
    if (err < 0)
        return err;
    if (runs.count > 1)
        qsort(runs.items, runs.count, sizeof(*runs.items), newer_first);
    cJSON *list = cJSON_CreateArray();
    for (int64_t i = 0; i < (int64_t)runs.count && i < limit; i++)
        cJSON_AddItemToArray(list, run_json(req, &runs.items[i], -1, false));
    link_next(req, resp, start, limit);
    return send_json(req, resp, list);
}

static cJSON *multibranch_json(struct tp_req *req, const struct tp_pipeline_rec *mbp);

static cJSON *item_json(struct tp_req *req, const struct tp_pipeline_rec *pipeline)
{
    if (pipeline->multibranch)
        return multibranch_json(req, pipeline);
    if (pipeline->folder)
        return folder_json(req, pipeline);
    struct tp_blue_history history;
    pipeline_history(req, pipeline->id, &history);
    /* latestRun is the newest build: queued runs are not builds yet. */
    struct tp_run_rec latest;
    bool found = false;
    cJSON *latest_json = NULL;
    int64_t newest = pipeline->next_number - 1;
    for (int64_t n = newest; n > 0 && !found && newest - n <= SUMMARY_LOOKBACK; n--) {
        found = tp_store_run_get(req->app->store, pipeline->id, n, req->arena, &latest) == 0 &&
                latest.state != TP_STATE_QUEUED;
    }
    if (found)
        latest_json = run_json(req, &latest, history.estimated_duration_ms, true);
    /* The parameter definitions come from the Jenkinsfile, as Jenkins registers them (or
     * from the config.xml the job was made with). */
    struct tp_plan *plan;
    bool compiles = tp_plan_compile(pipeline->script, strlen(pipeline->script), &plan) == 0;
    const struct tp_plan_param *defs;
    size_t ndefs;
    tp_params_of_job(compiles ? plan : NULL, pipeline->param_defs, req->arena, &defs, &ndefs);
    cJSON *parameters = tp_params_definitions_defs(defs, ndefs);
    tp_plan_free(plan);
    cJSON *o = tp_blue_pipeline_json(pipeline, &history, latest_json, parameters);
    cJSON_Delete(latest_json);
    return o;
}

struct list_ctx {
    struct tp_req *req;
    cJSON *list;
    int64_t skip, limit, estimate;
    const char *folder; /* pipelines/: the items directly inside it ("" at the top) */
};

static int add_pipeline(void *ctx, const struct tp_pipeline_rec *rec)
{
    struct list_ctx *c = ctx;
    size_t len = strlen(c->folder);
    const char *rel = rec->name + len + (len > 0);
    if ((len > 0 && (strncmp(rec->name, c->folder, len) != 0 || rec->name[len] != '/')) ||
        strchr(rel, '/') != NULL)
        return 0;
    if (c->skip > 0) {
        c->skip--;
        return 0;
    }
    if (c->limit-- <= 0)
        return 1;
    cJSON_AddItemToArray(c->list, pipeline_json(c->req, rec));
    return 0;
}

static int list_pipelines(struct tp_req *req, struct tp_resp *resp, const char *folder)
{
    int64_t start, limit;
    if (!page_params(req, resp, &start, &limit))
        return 0;
    struct list_ctx ctx = {
        .req = req, .list = cJSON_CreateArray(), .skip = start, .limit = limit, .folder = folder
    };
    int err = tp_store_pipeline_list(req->app->store, req->arena, add_pipeline, &ctx);
    if (err < 0) {
        cJSON_Delete(ctx.list);
        return err;
    }
    link_next(req, resp, start, limit);
    return send_json(req, resp, ctx.list);
}

static int get_pipelines(struct tp_req *req, struct tp_resp *resp)
{
    if (!org_ok(req, resp))
        return 0;
    return list_pipelines(req, resp, "");
}

/* GET .../pipelines/F/pipelines/: the items inside folder F. */
static int get_folder_pipelines(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_pipeline_rec folder;
    if (!load_pipeline(req, resp, &folder))
        return 0;
    if (!folder.folder)
        return tp_resp_error(resp, 404, "Pipeline %s is not a folder", folder.name);
    return list_pipelines(req, resp, folder.name);
}

static int get_pipeline(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_pipeline_rec pipeline;
    if (!load_pipeline(req, resp, &pipeline))
        return 0;
    return send_json(req, resp, pipeline_json(req, &pipeline));
}

/* PUT .../enable/ and .../disable/: 200 with no body, as Blue Ocean answers. */
static int set_disabled(struct tp_req *req, struct tp_resp *resp, bool disabled)
{
    struct tp_pipeline_rec pipeline;
    if (!load_pipeline(req, resp, &pipeline))
        return 0;
    if (pipeline.folder)
        return tp_resp_error(resp, 405, "A folder cannot be %s", disabled ? "disabled" : "enabled");
    int err = tp_store_pipeline_set_disabled(req->app->store, pipeline.id, disabled);
    if (err < 0)
        return err;
    tp_sse_on_item(req->app->sse, "job_crud_updated", pipeline.name, false, NULL);
    resp->status = 200;
    return 0;
}

static int put_enable(struct tp_req *req, struct tp_resp *resp)
{
    return set_disabled(req, resp, false);
}

static int put_disable(struct tp_req *req, struct tp_resp *resp)
{
    return set_disabled(req, resp, true);
}

/* DELETE .../{p}/: the job with its runs (a folder with everything in it); 200, no body. */
static int delete_pipeline(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_pipeline_rec pipeline;
    if (!load_pipeline(req, resp, &pipeline))
        return 0;
    int err = tp_engine_item_delete(req->app->engine, pipeline.name);
    if (err == TP_ECONFLICT)
        return tp_resp_error(resp, 409, "Pipeline %s has a run queued or running", pipeline.name);
    if (err < 0)
        return err;
    tp_sse_on_item(req->app->sse, "job_crud_deleted", pipeline.name, pipeline.folder, NULL);
    resp->status = 200;
    return 0;
}

/* --- runs --- */

static int add_run(void *ctx, const struct tp_run_rec *rec)
{
    struct list_ctx *c = ctx;
    cJSON_AddItemToArray(c->list, run_json(c->req, rec, c->estimate, false));
    return 0;
}

static int get_runs(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_pipeline_rec pipeline;
    int64_t start, limit;
    if (!load_pipeline(req, resp, &pipeline) || !page_params(req, resp, &start, &limit))
        return 0;
    if (pipeline.multibranch)
        return get_mbp_runs(req, resp, &pipeline, start, limit);
    struct tp_blue_history history;
    pipeline_history(req, pipeline.id, &history);
    struct list_ctx ctx = { .req = req,
                            .list = cJSON_CreateArray(),
                            .estimate = history.estimated_duration_ms };
    /* Queued runs come first on every page; paging counts only the builds. */
    int err = tp_store_run_list(req->app->store, pipeline.id, TP_RUNS_QUEUED, 0, INT64_MAX,
                                req->arena, add_run, &ctx);
    if (err == 0)
        err = tp_store_run_list(req->app->store, pipeline.id, TP_RUNS_BUILDS, start, limit,
                                req->arena, add_run, &ctx);
    if (err < 0) {
        cJSON_Delete(ctx.list);
        return err;
    }
    link_next(req, resp, start, limit);
    return send_json(req, resp, ctx.list);
}

static int post_runs(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_pipeline_rec pipeline;
    if (!load_pipeline(req, resp, &pipeline))
        return 0;
    if (pipeline.multibranch) {
        /* on a multibranch pipeline: branch indexing, not a build */
        int err = tp_engine_index(req->app->engine, pipeline.name);
        if (err < 0)
            return err;
        return send_json(req, resp, pipeline_json(req, &pipeline));
    }
    cJSON *body = NULL;
    if (req->body_len > 0) {
        body = cJSON_ParseWithLength(req->body, req->body_len);
        if (body == NULL)
            return tp_resp_error(resp, 400, "Request body is not valid JSON");
    }
    struct tp_run_rec queued;
    struct tp_buf error;
    tp_buf_init(&error);
    int err = tp_engine_start(req->app->engine, pipeline.name, tp_req_user(req),
                              cJSON_GetObjectItemCaseSensitive(body, "parameters"), req->arena,
                              &queued, &error);
    cJSON_Delete(body);
    if (err == TP_EINVAL)
        tp_resp_error(resp, 400, "%s", tp_buf_str(&error));
    tp_buf_close(&error);
    if (err == TP_EINVAL)
        return 0;
    if (err == TP_ECONFLICT)
        return tp_resp_error(resp, 503, "tidepool is shutting down");
    if (err < 0)
        return err;
    return send_json(req, resp, run_json(req, &queued, -1, false));
}

/* --- queue --- */

static int add_queue_item(void *ctx, const struct tp_run_rec *rec)
{
    struct list_ctx *c = ctx;
    cJSON_AddItemToArray(c->list, tp_blue_queue_item_json(rec));
    return 0;
}

static int later_queued_first(const void *a, const void *b)
{
    const struct tp_run_rec *x = a, *y = b;
    return x->enqueue_ms < y->enqueue_ms ? 1 : x->enqueue_ms > y->enqueue_ms ? -1 : 0;
}

/* GET .../queue/: the pipeline's queued runs, newest first (a multibranch pipeline's: its
 * branches'). */
static int get_queue(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_pipeline_rec pipeline;
    if (!load_pipeline(req, resp, &pipeline))
        return 0;
    if (pipeline.multibranch) {
        /* the queued runs of every branch, the latest queued first */
        struct branches_ctx b;
        int err = branches_of(req, pipeline.name, &b);
        struct tp_run_list runs = { .arena = req->arena };
        for (size_t i = 0; i < b.count && err == 0; i++)
            err = tp_store_run_list(req->app->store, b.items[i].id, TP_RUNS_QUEUED, 0, INT64_MAX,
                                    req->arena, tp_store_run_collect, &runs);
        if (err < 0)
            return err;
        if (runs.count > 1)
            qsort(runs.items, runs.count, sizeof(*runs.items), later_queued_first);
        cJSON *list = cJSON_CreateArray();
        for (size_t i = 0; i < runs.count; i++)
            cJSON_AddItemToArray(list, tp_blue_queue_item_json(&runs.items[i]));
        return send_json(req, resp, list);
    }
    struct list_ctx ctx = { .req = req, .list = cJSON_CreateArray() };
    int err = tp_store_run_list(req->app->store, pipeline.id, TP_RUNS_QUEUED, 0, INT64_MAX,
                                req->arena, add_queue_item, &ctx);
    if (err < 0) {
        cJSON_Delete(ctx.list);
        return err;
    }
    return send_json(req, resp, ctx.list);
}

struct find_queued {
    int64_t queue_id;
    int64_t run_id;
};

static int match_queue_id(void *ctx, const struct tp_run_rec *rec)
{
    struct find_queued *f = ctx;
    if (rec->queue_id == f->queue_id)
        f->run_id = rec->id;
    return 0;
}

/* DELETE .../queue/ID/: cancels the queued run (it ends ABORTED); 200 with no body. */
static int delete_queue_item(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_pipeline_rec pipeline;
    if (!load_pipeline(req, resp, &pipeline))
        return 0;
    const char *text = param(req, 2);
    struct find_queued find = { 0 };
    if (text == NULL || tp_str_to_i64(text, strlen(text), &find.queue_id) < 0 || find.queue_id <= 0)
        return tp_resp_error(resp, 404, "Queue item %s not found", text ? text : "");
    int err = tp_store_run_list(req->app->store, pipeline.id, TP_RUNS_QUEUED, 0, INT64_MAX,
                                req->arena, match_queue_id, &find);
    if (err < 0)
        return err;
    if (find.run_id == 0 || tp_engine_stop(req->app->engine, find.run_id, tp_req_user(req)) < 0)
        return tp_resp_error(resp, 404, "Queue item %s not found", text);
    resp->status = 200; /* and no body, as Jenkins answers */
    return 0;
}

/* POST .../runs/N/replay/: a new run of the same script and parameters; answers with it
 * (queued: it starts on a later loop turn). */
static int post_replay(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_pipeline_rec pipeline;
    struct tp_run_rec run, queued;
    if (!load_run(req, resp, &pipeline, &run))
        return 0;
    int err = tp_engine_replay(req->app->engine, pipeline.name, run.number, tp_req_user(req),
                               req->arena, &queued);
    if (err == TP_EINVAL)
        return tp_resp_error(resp, 400, "This run does not support replay");
    if (err == TP_ECONFLICT)
        return tp_resp_error(resp, 503, "tidepool is shutting down");
    if (err < 0)
        return err;
    return send_json(req, resp, run_json(req, &queued, -1, false));
}

static int get_run(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_pipeline_rec pipeline;
    struct tp_run_rec run;
    if (!load_run(req, resp, &pipeline, &run))
        return 0;
    struct tp_blue_history history;
    pipeline_history(req, pipeline.id, &history);
    return send_json(req, resp, run_json(req, &run, history.estimated_duration_ms, false));
}

/*
 * PUT .../runs/N/stop/: asks the engine to stop the run and answers with the run as it is
 * now. The stop itself completes on a later loop turn (processes must exit), so the answer
 * may still say RUNNING; clients poll until FINISHED/ABORTED, as Blue Ocean's own do.
 */
static int put_stop(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_pipeline_rec pipeline;
    struct tp_run_rec run;
    const char *text;
    int64_t timeout = 10;
    if (!load_run(req, resp, &pipeline, &run))
        return 0;
    if (tp_req_query(req, "timeOutInSecs", &text) &&
        (tp_str_to_i64(text, strlen(text), &timeout) < 0 || timeout < 0))
        return tp_resp_error(resp, 500, "Failed to stop run %lld: timeOutInSecs must be >= 0",
                             (long long)run.number);
    if (run.state != TP_STATE_FINISHED) {
        int err = tp_engine_stop(req->app->engine, run.id, tp_req_user(req));
        if (err < 0 && err != TP_ENOTFOUND)
            return err;
        if (tp_store_run_get(req->app->store, pipeline.id, run.number, req->arena, &run) < 0)
            return TP_EDB;
    }
    struct tp_blue_history history;
    pipeline_history(req, pipeline.id, &history);
    return send_json(req, resp, run_json(req, &run, history.estimated_duration_ms, false));
}

/* GET .../runs/N/artifacts/: what the run archived (ArtifactImpl). */
static int get_change_set(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_pipeline_rec pipeline;
    struct tp_run_rec run;
    if (!load_run(req, resp, &pipeline, &run))
        return 0;
    link_next(req, resp, 0, DEFAULT_LIMIT);
    return send_json(req, resp, tp_blue_change_set_json(&run));
}

static int get_artifacts(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_pipeline_rec pipeline;
    struct tp_run_rec run;
    if (!load_run(req, resp, &pipeline, &run))
        return 0;
    struct tp_artifact *artifacts;
    size_t n;
    tp_engine_artifacts(req->app->engine, pipeline.name, run.number, req->arena, &artifacts, &n);
    cJSON *list = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        struct tp_buf id, self, url;
        tp_buf_init(&id);
        tp_buf_init(&self);
        tp_buf_init(&url);
        tp_buf_puts(&id, "io.jenkins.blueocean.service.embedded.rest.ArtifactImpl:");
        tp_str_url_encode(artifacts[i].path, &id);
        tp_blue_pipeline_href(pipeline.name, &self);
        tp_buf_printf(&self, "runs/%lld/artifacts/", (long long)run.number);
        tp_str_url_encode(tp_buf_str(&id), &self);
        tp_buf_putc(&self, '/');
        tp_classic_job_url("/", pipeline.name, &url);
        tp_buf_printf(&url, "%lld/artifact/%s", (long long)run.number, artifacts[i].path);
        cJSON *a = cJSON_CreateObject();
        cJSON_AddStringToObject(a, "_class",
                                "io.jenkins.blueocean.service.embedded.rest.ArtifactImpl");
        cJSON *links = cJSON_AddObjectToObject(a, "_links");
        cJSON *link = cJSON_AddObjectToObject(links, "self");
        cJSON_AddStringToObject(link, "_class", "io.jenkins.blueocean.rest.hal.Link");
        cJSON_AddStringToObject(link, "href", tp_buf_str(&self));
        cJSON_AddBoolToObject(a, "downloadable", true);
        cJSON_AddStringToObject(a, "id", tp_buf_str(&id));
        const char *slash = strrchr(artifacts[i].path, '/');
        cJSON_AddStringToObject(a, "name", slash != NULL ? slash + 1 : artifacts[i].path);
        cJSON_AddStringToObject(a, "path", artifacts[i].path);
        tp_json_add_i64(a, "size", artifacts[i].size);
        cJSON_AddStringToObject(a, "url", tp_buf_str(&url));
        cJSON_AddItemToArray(list, a);
        tp_buf_close(&id);
        tp_buf_close(&self);
        tp_buf_close(&url);
    }
    return send_json(req, resp, list);
}

static int get_run_log(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_pipeline_rec pipeline;
    struct tp_run_rec run;
    if (!load_run(req, resp, &pipeline, &run))
        return 0;
    if (run.state == TP_STATE_QUEUED)
        return tp_resp_error(resp, 404, "Run %lld has not started", (long long)run.number);
    return tp_logview_respond(req, resp, req->app->store, run.id, 0, run.log_complete, NULL);
}

/* --- nodes --- */

/* The run's nodes as Blue Ocean lists them (`with_future`: the union with the last success). */
static bool load_nodes(struct tp_req *req, struct tp_resp *resp, const struct tp_run_rec *run,
                       bool with_future, struct tp_blue_graph *nodes)
{
    int err = tp_blue_graph_load(req->app->store, run, with_future, req->arena, nodes);
    if (err < 0) {
        tp_resp_error(resp, 500, "%s", tp_strerror(err));
        return false;
    }
    return true;
}

static const struct tp_node_rec *find_node(struct tp_req *req, struct tp_resp *resp,
                                           const struct tp_pipeline_rec *pipeline,
                                           const struct tp_blue_graph *nodes)
{
    const char *id = param(req, 3);
    int64_t node_id;
    if (tp_str_to_i64(id, strlen(id), &node_id) == 0) {
        const struct tp_node_rec *node = tp_blue_graph_find(nodes, node_id);
        if (node != NULL)
            return node;
    }
    tp_resp_error(resp, 404, "Stage %s not found in pipeline %s.", id, pipeline->name);
    return NULL;
}

/* A top-level stage of a finished run that ran (not skipped): a run may restart from it. */
static bool restartable(const struct tp_node_rec *node, const int64_t *points, size_t n)
{
    if (node->state != TP_STATE_FINISHED)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (points[i] == node->node_id)
            return true;
    }
    return false;
}

static int get_nodes(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_pipeline_rec pipeline;
    struct tp_run_rec run;
    struct tp_blue_graph nodes;
    if (!load_run(req, resp, &pipeline, &run) || !load_nodes(req, resp, &run, true, &nodes))
        return 0;
    int64_t now = tp_time_now_ms();
    int64_t *points;
    size_t npoints;
    tp_engine_restart_points(&run, req->arena, &points, &npoints);
    cJSON *list = cJSON_CreateArray();
    for (size_t i = 0; i < nodes.count; i++) {
        struct tp_blue_edge *edges;
        size_t nedges = tp_blue_graph_edges(&nodes, &nodes.items[i], req->arena, &edges);
        cJSON_AddItemToArray(list,
                             tp_blue_node_json(&run, &nodes.items[i], edges, nedges,
                                               nodes.future != NULL && nodes.future[i],
                                               restartable(&nodes.items[i], points, npoints), now));
    }
    return send_json(req, resp, list);
}

static int get_node(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_pipeline_rec pipeline;
    struct tp_run_rec run;
    struct tp_blue_graph nodes;
    if (!load_run(req, resp, &pipeline, &run) || !load_nodes(req, resp, &run, false, &nodes))
        return 0;
    const struct tp_node_rec *node = find_node(req, resp, &pipeline, &nodes);
    if (node == NULL)
        return 0;
    struct tp_blue_edge *edges;
    size_t nedges = tp_blue_graph_edges(&nodes, node, req->arena, &edges);
    int64_t *points;
    size_t npoints;
    tp_engine_restart_points(&run, req->arena, &points, &npoints);
    return send_json(req, resp,
                     tp_blue_node_json(&run, node, edges, nedges, false,
                                       restartable(node, points, npoints), tp_time_now_ms()));
}

/* POST .../nodes/N/restart/ {"restart": true}: a new run from that top-level stage (5.7). */
static int post_restart(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_pipeline_rec pipeline;
    struct tp_run_rec run, queued;
    if (!load_run(req, resp, &pipeline, &run))
        return 0;
    int64_t node_id;
    const char *node = param(req, 3);
    if (tp_str_to_i64(node, strlen(node), &node_id) < 0)
        return tp_resp_error(resp, 404, "Node %s not found", node);
    cJSON *body = cJSON_ParseWithLength(req->body, req->body_len);
    bool restart = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "restart"));
    cJSON_Delete(body);
    if (!restart)
        return tp_resp_error(resp, 400, "restart: true is expected");
    int err = tp_engine_restart_stage(req->app->engine, pipeline.name, run.number, node_id,
                                      tp_req_user(req), req->arena, &queued);
    if (err == TP_ENOTFOUND)
        return tp_resp_error(resp, 400, "Stage %s of run %lld cannot be restarted", node,
                             (long long)run.number);
    if (err == TP_EINVAL)
        return tp_resp_error(resp, 400, "Run %lld has not finished", (long long)run.number);
    if (err == TP_ECONFLICT)
        return tp_resp_error(resp, 503, "tidepool is shutting down");
    if (err < 0)
        return err;
    return send_json(req, resp, run_json(req, &queued, -1, false));
}

/* --- steps --- */

struct steps_ctx {
    cJSON *list;
    const char *container;
    int64_t now;
    struct tp_logview_part *parts; /* for node logs */
    size_t nparts, cap;
    struct tp_arena *arena;
};

static bool step_has_log(const struct tp_step_rec *step)
{
    return step->log_size > 0 || step->state == TP_STATE_RUNNING || step->error != NULL;
}

static int add_step(void *ctx, const struct tp_step_rec *rec)
{
    struct steps_ctx *c = ctx;
    cJSON_AddItemToArray(c->list, tp_blue_step_json(rec, c->container, step_has_log(rec), c->now));
    return 0;
}

static const char *run_href(struct tp_req *req, const struct tp_run_rec *run)
{
    struct tp_buf href;
    tp_buf_init(&href);
    tp_blue_pipeline_href(run->pipeline, &href);
    tp_buf_printf(&href, "runs/%lld/", (long long)run->number);
    const char *out = tp_arena_strdup(req->arena, href.data);
    tp_buf_close(&href);
    return out;
}

static int get_run_steps(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_pipeline_rec pipeline;
    struct tp_run_rec run;
    if (!load_run(req, resp, &pipeline, &run))
        return 0;
    struct steps_ctx ctx = { .list = cJSON_CreateArray(),
                             .container = run_href(req, &run),
                             .now = tp_time_now_ms() };
    int err = tp_store_step_list(req->app->store, run.id, 0, req->arena, add_step, &ctx);
    if (err < 0) {
        cJSON_Delete(ctx.list);
        return err;
    }
    return send_json(req, resp, ctx.list);
}

static int get_node_steps(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_pipeline_rec pipeline;
    struct tp_run_rec run;
    struct tp_blue_graph nodes;
    if (!load_run(req, resp, &pipeline, &run) || !load_nodes(req, resp, &run, false, &nodes))
        return 0;
    const struct tp_node_rec *node = find_node(req, resp, &pipeline, &nodes);
    if (node == NULL)
        return 0;
    struct steps_ctx ctx = { .list = cJSON_CreateArray(),
                             .container =
                                 tp_arena_printf(req->arena, "%snodes/%lld/", run_href(req, &run),
                                                 (long long)node->node_id),
                             .now = tp_time_now_ms() };
    int err =
        tp_store_step_list(req->app->store, run.id, node->node_id, req->arena, add_step, &ctx);
    if (err < 0) {
        cJSON_Delete(ctx.list);
        return err;
    }
    return send_json(req, resp, ctx.list);
}

/* Steps are looked up in the whole run, even under a node (as Blue Ocean does). */
static bool load_step(struct tp_req *req, struct tp_resp *resp, const struct tp_run_rec *run,
                      size_t index, struct tp_step_rec *out)
{
    const char *id = param(req, index);
    int64_t step_id;
    int err = tp_str_to_i64(id, strlen(id), &step_id);
    if (err == 0)
        err = tp_store_step_get(req->app->store, run->id, step_id, req->arena, out);
    if (err == 0)
        return true;
    if (err == TP_EINVAL || err == TP_ENOTFOUND)
        tp_resp_error(resp, 404, "Step %s not found in run %lld", id, (long long)run->number);
    else
        tp_resp_error(resp, 500, "%s", tp_strerror(err));
    return false;
}

static int step_json_response(struct tp_req *req, struct tp_resp *resp, size_t step_index,
                              bool under_node)
{
    struct tp_pipeline_rec pipeline;
    struct tp_run_rec run;
    struct tp_step_rec step;
    if (!load_run(req, resp, &pipeline, &run) || !load_step(req, resp, &run, step_index, &step))
        return 0;
    const char *container = run_href(req, &run);
    if (under_node)
        container = tp_arena_printf(req->arena, "%snodes/%s/", container, param(req, 3));
    return send_json(req, resp,
                     tp_blue_step_json(&step, container, step_has_log(&step), tp_time_now_ms()));
}

/*
 * POST .../steps/S/ with {"id": ..., "parameters": [...]} or {"id": ..., "abort": true}:
 * answers the input the step waits for. 200 with no body, as the input plugin answers.
 */
static int post_step_input(struct tp_req *req, struct tp_resp *resp, size_t step_index)
{
    struct tp_pipeline_rec pipeline;
    struct tp_run_rec run;
    struct tp_step_rec step;
    if (!load_run(req, resp, &pipeline, &run) || !load_step(req, resp, &run, step_index, &step))
        return 0;
    cJSON *body = cJSON_ParseWithLength(req->body, req->body_len);
    if (body == NULL)
        return tp_resp_error(resp, 400, "Request body is not valid JSON");
    const cJSON *abort = cJSON_GetObjectItemCaseSensitive(body, "abort");
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(body, "parameters");
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "id"));
    int err = 0;
    if (!cJSON_IsTrue(abort) && !cJSON_IsArray(params))
        err = tp_resp_error(resp, 400, "parameters is required");
    else if (step.state != TP_STATE_PAUSED)
        err = tp_resp_error(resp, 400, "Run %lld has no pending inputs at step %lld",
                            (long long)run.number, (long long)step.step_id);
    else {
        struct tp_buf error;
        tp_buf_init(&error);
        err = tp_engine_input(req->app->engine, run.id, step.step_id, id, cJSON_IsTrue(abort),
                              params, tp_req_user(req), &error);
        if (err == TP_EINVAL || err == TP_ENOTFOUND)
            err = tp_resp_error(resp, 400, "%s", tp_buf_str(&error));
        else if (err == 0)
            resp->status = 200; /* and no body */
        tp_buf_close(&error);
    }
    cJSON_Delete(body);
    return err;
}

static int post_run_step(struct tp_req *req, struct tp_resp *resp)
{
    return post_step_input(req, resp, 3);
}

static int post_node_step(struct tp_req *req, struct tp_resp *resp)
{
    return post_step_input(req, resp, 4);
}

static int get_run_step(struct tp_req *req, struct tp_resp *resp)
{
    return step_json_response(req, resp, 3, false);
}

static int get_node_step(struct tp_req *req, struct tp_resp *resp)
{
    return step_json_response(req, resp, 4, true);
}

static int step_log_response(struct tp_req *req, struct tp_resp *resp, size_t step_index)
{
    struct tp_pipeline_rec pipeline;
    struct tp_run_rec run;
    struct tp_step_rec step;
    if (!load_run(req, resp, &pipeline, &run) || !load_step(req, resp, &run, step_index, &step))
        return 0;
    bool complete = step.state == TP_STATE_FINISHED || run.log_complete;
    return tp_logview_respond(req, resp, req->app->store, run.id, step.step_id, complete,
                              step.error);
}

static int get_run_step_log(struct tp_req *req, struct tp_resp *resp)
{
    return step_log_response(req, resp, 3);
}

static int get_node_step_log(struct tp_req *req, struct tp_resp *resp)
{
    return step_log_response(req, resp, 4);
}

static int collect_part(void *ctx, const struct tp_step_rec *rec)
{
    struct steps_ctx *c = ctx;
    c->parts = tp_arena_grow(c->arena, c->parts, c->nparts, &c->cap, sizeof(*c->parts));
    c->parts[c->nparts++] =
        (struct tp_logview_part){ .step_id = rec->step_id, .error = rec->error };
    return 0;
}

static int get_node_log(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_pipeline_rec pipeline;
    struct tp_run_rec run;
    struct tp_blue_graph nodes;
    if (!load_run(req, resp, &pipeline, &run) || !load_nodes(req, resp, &run, false, &nodes))
        return 0;
    const struct tp_node_rec *node = find_node(req, resp, &pipeline, &nodes);
    if (node == NULL)
        return 0;
    struct steps_ctx ctx = { .arena = req->arena };
    int err =
        tp_store_step_list(req->app->store, run.id, node->node_id, req->arena, collect_part, &ctx);
    if (err < 0)
        return err;
    return tp_logview_respond_node(req, resp, req->app->store, run.id, ctx.parts, ctx.nparts);
}

/* --- favorites and users --- */

/* PUT .../{p}/favorite/ {"favorite": true|false}: the caller's favorite, as Blue Ocean. */
static int put_favorite(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_pipeline_rec pipeline;
    if (!load_pipeline(req, resp, &pipeline))
        return 0;
    if (req->user == NULL)
        return tp_resp_error(resp, 403, "Must be logged in to use set favorites");
    if (pipeline.multibranch) {
        /* a multibranch pipeline's favorite is its default branch */
        struct branches_ctx b;
        bool primary = false;
        int err = branches_of(req, pipeline.name, &b);
        if (err < 0)
            return err;
        if (b.count > 0)
            branch_of(req, &b.items[0], &primary);
        if (!primary)
            return tp_resp_error(resp, 400, "no default branch to favorite");
        pipeline = b.items[0];
    }
    if (pipeline.folder)
        return tp_resp_error(resp, 405, "Cannot favorite a folder");
    cJSON *body = cJSON_ParseWithLength(req->body, req->body_len);
    const cJSON *favorite = cJSON_GetObjectItemCaseSensitive(body, "favorite");
    bool on = cJSON_IsTrue(favorite);
    bool valid = cJSON_IsBool(favorite);
    cJSON_Delete(body);
    if (!valid)
        return tp_resp_error(resp, 400, "Must provide favorite: true or false");
    int err = tp_store_favorite_set(req->app->store, req->user->name, pipeline.id, on);
    if (err < 0)
        return err;
    return send_json(req, resp,
                     tp_blue_favorite_json(pipeline.name, pipeline_json(req, &pipeline)));
}

/* The user a /users/{id}/ path names (the caller's own permission filled in); false after
 * answering 404 as Jenkins' HTML page does. */
static bool user_of(struct tp_req *req, struct tp_resp *resp, const char *id)
{
    bool known = req->app->users != NULL ? tp_users_find(req->app->users, id) != NULL
                                         : strcmp(id, "anonymous") == 0;
    if (!known) {
        resp->status = 404;
        resp->content_type = "text/html;charset=utf-8";
        tp_buf_puts(&resp->body, "<html><body><h2>HTTP ERROR 404 Not Found</h2></body></html>\n");
    }
    return known;
}

static int user_json_for(struct tp_req *req, struct tp_resp *resp, const char *id)
{
    if (!user_of(req, resp, id))
        return 0;
    bool me = strcmp(id, tp_req_user(req)) == 0;
    return send_json(req, resp, tp_blue_user_json(id, me ? (int)tp_req_role(req) : -1));
}

static int get_user(struct tp_req *req, struct tp_resp *resp)
{
    return user_json_for(req, resp, param(req, req->nparams - 1));
}

/* GET .../organizations/jenkins/user/: the caller, or 404 when anonymous. */
static int get_current_user(struct tp_req *req, struct tp_resp *resp)
{
    if (!org_ok(req, resp))
        return 0;
    if (req->user == NULL)
        return tp_resp_error(resp, 404, "No authenticated user found");
    return user_json_for(req, resp, req->user->name);
}

static int get_users(struct tp_req *req, struct tp_resp *resp)
{
    if (!org_ok(req, resp))
        return 0;
    cJSON *list = cJSON_CreateArray();
    for (size_t i = 0;; i++) {
        const char *id = tp_users_name_at(req->app->users, i);
        if (id == NULL)
            break;
        bool me = strcmp(id, tp_req_user(req)) == 0;
        cJSON_AddItemToArray(list, tp_blue_user_json(id, me ? (int)tp_req_role(req) : -1));
    }
    link_next(req, resp, 0, DEFAULT_LIMIT);
    return send_json(req, resp, list);
}

static int add_favorite(void *ctx, const struct tp_pipeline_rec *rec)
{
    struct list_ctx *c = ctx;
    if (rec->folder)
        return 0;
    if (c->skip > 0) {
        c->skip--;
        return 0;
    }
    if (c->limit-- <= 0)
        return 1;
    cJSON_AddItemToArray(c->list, tp_blue_favorite_json(rec->name, pipeline_json(c->req, rec)));
    return 0;
}

/* The favorites of {id}, who must be the caller. */
static bool own_favorites(struct tp_req *req, struct tp_resp *resp)
{
    const char *id = param(req, 0);
    if (!user_of(req, resp, id))
        return false;
    if (req->user == NULL || strcmp(req->user->name, id) != 0) {
        tp_resp_error(resp, 403, "User %s cannot see the favorites of %s", tp_req_user(req), id);
        return false;
    }
    return true;
}

static int get_favorites(struct tp_req *req, struct tp_resp *resp)
{
    int64_t start, limit;
    if (!own_favorites(req, resp) || !page_params(req, resp, &start, &limit))
        return 0;
    struct list_ctx ctx = {
        .req = req, .list = cJSON_CreateArray(), .skip = start, .limit = limit
    };
    int err =
        tp_store_favorites_list(req->app->store, req->user->name, req->arena, add_favorite, &ctx);
    if (err < 0) {
        cJSON_Delete(ctx.list);
        return err;
    }
    link_next(req, resp, start, limit);
    return send_json(req, resp, ctx.list);
}

static int delete_favorites(struct tp_req *req, struct tp_resp *resp)
{
    if (!own_favorites(req, resp))
        return 0;
    int err = tp_store_favorites_clear(req->app->store, req->user->name);
    if (err < 0)
        return err;
    resp->status = 204;
    return 0;
}

/* --- capabilities --- */

enum {
    MAX_CLASS_QUERY = 1000 /* classes asked for in one POST /classes/ */
};

static int get_class(struct tp_req *req, struct tp_resp *resp)
{
    return send_json(req, resp, tp_blue_class_json(param(req, 0)));
}

static int post_classes(struct tp_req *req, struct tp_resp *resp)
{
    cJSON *body = cJSON_ParseWithLength(req->body, req->body_len);
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(body, "q");
    if (!cJSON_IsArray(q) || cJSON_GetArraySize(q) > MAX_CLASS_QUERY) {
        cJSON_Delete(body);
        return tp_resp_error(resp, 400, "q must be an array of at most %d class names",
                             MAX_CLASS_QUERY);
    }
    const char **names =
        tp_arena_alloc(req->arena, sizeof(*names) * (size_t)(cJSON_GetArraySize(q) + 1));
    size_t n = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, q)
    {
        if (cJSON_IsString(item))
            names[n++] = tp_arena_strdup(req->arena, item->valuestring);
    }
    cJSON_Delete(body);
    return send_json(req, resp, tp_blue_class_map_json(names, n));
}

/* --- search --- */

/* The value of `key` in Blue Ocean's q= ("type:pipeline;organization:jenkins"): pairs split on
 * ';' then ':', keys compared lower-cased, pairs that are not exactly two parts ignored. */
static const char *q_value(struct tp_req *req, const char *q, const char *key)
{
    for (const char *p = q; *p != '\0';) {
        size_t len = strcspn(p, ";");
        const char *colon = memchr(p, ':', len);
        if (colon != NULL && memchr(colon + 1, ':', len - (size_t)(colon - p) - 1) == NULL &&
            (size_t)(colon - p) == strlen(key) && strncasecmp(p, key, strlen(key)) == 0)
            return tp_arena_strndup(req->arena, colon + 1, len - (size_t)(colon - p) - 1);
        p += len + (p[len] == ';');
    }
    return NULL;
}

struct search_ctx {
    struct tp_req *req;
    cJSON *list;
    int64_t skip, limit;
    const char *pattern; /* pipeline: an exact name, or a glob with '*' */
    bool flatten;        /* items inside folders too */
    bool no_folders;
    struct tp_store *store;
};

static bool name_matches(const char *pattern, const char *name)
{
    if (pattern == NULL)
        return true;
    if (strchr(pattern, '*') == NULL)
        return strcmp(pattern, name) == 0;
    /* '*' matches any run of characters; the rest compare case-insensitively */
    const char *p = pattern, *n = name, *star = NULL, *resume = NULL;
    while (*n != '\0') {
        if (*p == '*') {
            star = p++;
            resume = n;
        } else if (*p != '\0' && tolower((unsigned char)*p) == tolower((unsigned char)*n)) {
            p++;
            n++;
        } else if (star != NULL) {
            p = star + 1;
            n = ++resume;
        } else {
            return false;
        }
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

static bool page_take(struct search_ctx *c)
{
    if (c->skip > 0) {
        c->skip--;
        return false;
    }
    return c->limit-- > 0;
}

static int add_found_pipeline(void *ctx, const struct tp_pipeline_rec *rec)
{
    struct search_ctx *c = ctx;
    if ((!c->flatten && strchr(rec->name, '/') != NULL) || (c->no_folders && rec->folder) ||
        !name_matches(c->pattern, rec->name))
        return 0;
    if (page_take(c))
        cJSON_AddItemToArray(c->list, pipeline_json(c->req, rec));
    return c->limit > 0 ? 0 : 1;
}

static int add_found_run(void *ctx, const struct tp_run_rec *rec)
{
    struct search_ctx *c = ctx;
    if (page_take(c))
        cJSON_AddItemToArray(c->list, run_json(c->req, rec, -1, false));
    return c->limit > 0 ? 0 : 1;
}

static int add_job_runs(void *ctx, const struct tp_pipeline_rec *rec)
{
    struct search_ctx *c = ctx;
    if (rec->folder || strchr(rec->name, '/') != NULL)
        return 0; /* runs of jobs inside folders are not found, as in Blue Ocean */
    int err = tp_store_run_list(c->store, rec->id, TP_RUNS_BUILDS, 0, INT64_MAX, c->req->arena,
                                add_found_run, c);
    return err < 0 ? err : (c->limit > 0 ? 0 : 1);
}

/* GET /blue/rest/search/?q=type:pipeline;... or type:run;... (spec §9). */
static int get_search(struct tp_req *req, struct tp_resp *resp)
{
    int64_t start, limit;
    if (!page_params(req, resp, &start, &limit))
        return 0;
    const char *q = "", *filter = NULL;
    tp_req_query(req, "q", &q);
    if (!tp_req_query(req, "filter", &filter))
        tp_req_query(req, "filter1", &filter);
    const char *type = q_value(req, q, "type");
    if (type == NULL)
        return tp_resp_error(resp, 400, "type is required parameter for query param q");
    const char *org = q_value(req, q, "organization");
    if (org != NULL && strcmp(org, "jenkins") != 0)
        return tp_resp_error(resp, 400, "Organization %s not found", org);
    const char *excluded = q_value(req, q, "excludedfromflattening");
    struct search_ctx ctx = {
        .req = req,
        .list = cJSON_CreateArray(),
        .skip = start,
        .limit = limit,
        .pattern = q_value(req, q, "pipeline"),
        .flatten =
            excluded == NULL || (strstr(excluded, "hudson.plugins.folder.AbstractFolder") == NULL &&
                                 strstr(excluded, "hudson.plugins.folder.Folder") == NULL),
        .no_folders = filter != NULL && strstr(filter, "no-folders") != NULL,
        .store = req->app->store,
    };
    int err = 0;
    if (strcmp(type, "pipeline") == 0 && ctx.limit > 0) {
        err = tp_store_pipeline_list(req->app->store, req->arena, add_found_pipeline, &ctx);
    } else if (strcmp(type, "run") == 0 && ctx.limit > 0) {
        if (ctx.pattern != NULL) {
            struct tp_pipeline_rec pipeline;
            err = tp_store_pipeline_get(req->app->store, ctx.pattern, req->arena, &pipeline);
            if (err == TP_ENOTFOUND || (err == 0 && pipeline.folder)) {
                cJSON_Delete(ctx.list);
                return tp_resp_error(resp, 400, "Pipeline %s not found", ctx.pattern);
            }
            if (err == 0)
                err = tp_store_run_list(req->app->store, pipeline.id, TP_RUNS_BUILDS, 0, INT64_MAX,
                                        req->arena, add_found_run, &ctx);
        } else {
            err = tp_store_pipeline_list(req->app->store, req->arena, add_job_runs, &ctx);
        }
    }
    if (err < 0) {
        cJSON_Delete(ctx.list);
        return err;
    }
    link_next(req, resp, start, limit);
    return send_json(req, resp, ctx.list);
}

#define ORG "/blue/rest/organizations/{org}"
#define RUN ORG "/pipelines/{pipeline}/runs/{run}"

static const struct tp_route blue_routes[] = {
    { HTTP_GET, "/blue/rest/organizations/", get_organizations },
    { HTTP_GET, "/blue/rest/classes/{name}/", get_class },
    { HTTP_POST, "/blue/rest/classes/", post_classes },
    { HTTP_GET, "/blue/rest/search/", get_search },
    { HTTP_GET, "/blue/rest/users/{user}/", get_user },
    { HTTP_GET, "/blue/rest/users/{user}/favorites/", get_favorites },
    { HTTP_DELETE, "/blue/rest/users/{user}/favorites/", delete_favorites },
    { HTTP_GET, ORG "/users/", get_users },
    { HTTP_GET, ORG "/users/{user}/", get_user },
    { HTTP_GET, ORG "/user/", get_current_user },
    { HTTP_PUT, ORG "/pipelines/{pipeline}/favorite/", put_favorite },
    { HTTP_GET, ORG "/", get_organization },
    { HTTP_GET, ORG "/pipelines/", get_pipelines },
    { HTTP_GET, ORG "/pipelines/{pipeline}/", get_pipeline },
    { HTTP_GET, ORG "/pipelines/{pipeline}/pipelines/", get_folder_pipelines },
    { HTTP_GET, ORG "/pipelines/{pipeline}/branches/", get_branches },
    { HTTP_DELETE, ORG "/pipelines/{pipeline}/", delete_pipeline },
    { HTTP_PUT, ORG "/pipelines/{pipeline}/enable/", put_enable },
    { HTTP_PUT, ORG "/pipelines/{pipeline}/disable/", put_disable },
    { HTTP_GET, ORG "/pipelines/{pipeline}/runs/", get_runs },
    { HTTP_POST, ORG "/pipelines/{pipeline}/runs/", post_runs },
    { HTTP_GET, RUN "/", get_run },
    { HTTP_PUT, RUN "/stop/", put_stop },
    { HTTP_POST, RUN "/replay/", post_replay },
    { HTTP_GET, ORG "/pipelines/{pipeline}/queue/", get_queue },
    { HTTP_DELETE, ORG "/pipelines/{pipeline}/queue/{queue}/", delete_queue_item },
    { HTTP_GET, RUN "/log/", get_run_log },
    { HTTP_GET, RUN "/artifacts/", get_artifacts },
    { HTTP_GET, RUN "/changeSet/", get_change_set },
    { HTTP_GET, RUN "/nodes/", get_nodes },
    { HTTP_GET, RUN "/nodes/{node}/", get_node },
    { HTTP_GET, RUN "/nodes/{node}/log/", get_node_log },
    { HTTP_POST, RUN "/nodes/{node}/restart/", post_restart },
    { HTTP_GET, RUN "/nodes/{node}/steps/", get_node_steps },
    { HTTP_GET, RUN "/nodes/{node}/steps/{step}/", get_node_step },
    { HTTP_GET, RUN "/nodes/{node}/steps/{step}/log/", get_node_step_log },
    { HTTP_GET, RUN "/steps/", get_run_steps },
    { HTTP_GET, RUN "/steps/{step}/", get_run_step },
    { HTTP_POST, RUN "/steps/{step}/", post_run_step },
    { HTTP_POST, RUN "/nodes/{node}/steps/{step}/", post_node_step },
    { HTTP_GET, RUN "/steps/{step}/log/", get_run_step_log },
};

const struct tp_route_table tp_blue_table = {
    .prefix = "/blue/rest",
    .routes = blue_routes,
    .count = sizeof(blue_routes) / sizeof(blue_routes[0]),
    .json_writes = true,
    .finish = finish,
};
