/* SPDX-License-Identifier: MIT */
#include "http/sse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llhttp.h>

#include "common/buf.h"
#include "common/json.h"
#include "common/mem.h"
#include "common/str.h"
#include "common/timefmt.h"
#include "http/blue_json.h"

enum {
    MAX_CLIENT_ID = 256,         /* characters of a client id */
    MAX_SUBSCRIPTIONS = 64,      /* filters of one dispatcher */
    IDLE_DISPATCHER_MS = 600000, /* a dispatcher with no listener this long is forgotten */
    MAX_TRACKED = 4096           /* runs whose last state is remembered at once */
};

struct listener;

struct dispatcher {
    char *id;
    int inst;             /* dispatcherInst: changes on every connect */
    cJSON *subscriptions; /* array of filter objects */
    struct tp_buf frames; /* written to the listener as it can take them */
    struct listener *listener;
    int64_t idle_since_ms; /* when the last listener left */
    struct dispatcher *next;
};

struct listener {
    struct tp_body_source base;
    struct dispatcher *dispatcher; /* NULL once it has been replaced or the gateway is gone */
};

/* A node or step as last reported, to tell a change from a save. */
struct seen {
    int64_t id;
    int64_t parent;
    enum tp_state state;
};

/* What is remembered about a run the engine reports on, until it ends. */
struct track {
    int64_t run_id;
    enum tp_state state;
    struct seen *nodes, *steps;
    size_t nnodes, nsteps, cap_nodes, cap_steps;
    int64_t stage_id; /* the stage that started last */
    char *stage_name;
    struct track *next;
};

struct tp_sse {
    char *root_url;
    struct dispatcher *dispatchers;
    size_t ndispatchers;
    cJSON *pending; /* events reported, waiting for the commit */
    struct track *tracks;
    size_t ntracks;
    uint64_t seed; /* for event uuids */
};

/* --- dispatchers --- */

static struct dispatcher *find(struct tp_sse *sse, const char *id)
{
    for (struct dispatcher *d = sse->dispatchers; d != NULL; d = d->next) {
        if (strcmp(d->id, id) == 0)
            return d;
    }
    return NULL;
}

static uint64_t next_random(struct tp_sse *sse)
{
    /* xorshift64*: unique enough for event ids and dispatcher instances */
    sse->seed ^= sse->seed >> 12;
    sse->seed ^= sse->seed << 25;
    sse->seed ^= sse->seed >> 27;
    return sse->seed * 0x2545F4914F6CDD1DULL;
}

static void free_dispatcher(struct dispatcher *d)
{
    if (d->listener != NULL) {
        d->listener->dispatcher = NULL;
        if (d->listener->base.wake != NULL)
            d->listener->base.wake(d->listener->base.wake_ctx);
    }
    free(d->id);
    cJSON_Delete(d->subscriptions);
    tp_buf_close(&d->frames);
    free(d);
}

/* Forgets dispatchers that nobody has listened to for a long time. */
static void forget_idle(struct tp_sse *sse, int64_t now)
{
    for (struct dispatcher **p = &sse->dispatchers; *p != NULL;) {
        struct dispatcher *d = *p;
        if (d->listener == NULL && now - d->idle_since_ms > IDLE_DISPATCHER_MS) {
            *p = d->next;
            sse->ndispatchers--;
            free_dispatcher(d);
        } else {
            p = &d->next;
        }
    }
}

/* The dispatcher named `id`, made (or, with `reset`, emptied of subscriptions) as connect
 * does. NULL when there are too many. */
static struct dispatcher *dispatcher_for(struct tp_sse *sse, const char *id, bool reset)
{
    int64_t now = tp_time_now_ms();
    struct dispatcher *d = find(sse, id);
    if (d == NULL) {
        forget_idle(sse, now);
        if (sse->ndispatchers >= TP_SSE_MAX_DISPATCHERS)
            return NULL;
        d = tp_xcalloc(1, sizeof(*d));
        d->id = tp_xstrdup(id);
        d->subscriptions = cJSON_CreateArray();
        tp_buf_init(&d->frames);
        d->idle_since_ms = now;
        d->next = sse->dispatchers;
        sse->dispatchers = d;
        sse->ndispatchers++;
        reset = true;
    }
    if (reset) {
        d->inst = (int)(next_random(sse) % 1000000000);
        cJSON_Delete(d->subscriptions);
        d->subscriptions = cJSON_CreateArray();
    }
    return d;
}

/* Appends one frame ("event: NAME\ndata: DATA\n\n") and tells the listener. */
static void push(struct dispatcher *d, const char *event, const char *data, size_t len)
{
    if (d->listener == NULL && d->frames.len + len > TP_SSE_MAX_PENDING)
        return; /* nobody has listened for a while: the oldest frames are kept */
    tp_buf_printf(&d->frames, "event: %s\ndata: ", event);
    tp_buf_append(&d->frames, data, len);
    tp_buf_puts(&d->frames, "\n\n");
    if (d->listener != NULL && d->listener->base.wake != NULL)
        d->listener->base.wake(d->listener->base.wake_ctx);
}

static void push_status(struct dispatcher *d, const char *event, const char *batch)
{
    struct tp_buf data;
    tp_buf_init(&data);
    tp_buf_puts(&data, "{");
    if (batch != NULL)
        tp_buf_printf(&data, "\"batchId\":\"%s\",", batch);
    tp_buf_puts(&data, "\"dispatcherId\":");
    cJSON *id = cJSON_CreateString(d->id);
    tp_json_print(id, &data);
    cJSON_Delete(id);
    tp_buf_printf(&data, ",\"dispatcherInst\":%d}", d->inst);
    push(d, event, data.data, data.len);
    tp_buf_close(&data);
}

/* --- listeners --- */

static int listener_read(struct tp_body_source *src, struct tp_buf *out, size_t max)
{
    struct listener *l = (struct listener *)src;
    struct dispatcher *d = l->dispatcher;
    if (d == NULL)
        return 1; /* replaced by a newer listener, or the gateway is closing */
    size_t n = d->frames.len < max ? d->frames.len : max;
    tp_buf_append(out, d->frames.data, n);
    memmove(d->frames.data, d->frames.data + n, d->frames.len - n);
    d->frames.len -= n;
    if (d->frames.data != NULL)
        d->frames.data[d->frames.len] = '\0';
    return 0;
}

static void listener_free(struct tp_body_source *src)
{
    struct listener *l = (struct listener *)src;
    if (l->dispatcher != NULL && l->dispatcher->listener == l) {
        l->dispatcher->listener = NULL;
        l->dispatcher->idle_since_ms = tp_time_now_ms();
    }
    free(l);
}

/* --- events --- */

/* Whether `event` has every property of `filter`, with equal string values. */
static bool matches(const cJSON *filter, const cJSON *event)
{
    const cJSON *want;
    cJSON_ArrayForEach(want, filter)
    {
        const cJSON *got = cJSON_GetObjectItemCaseSensitive(event, want->string);
        if (!cJSON_IsString(got))
            return false;
        if (cJSON_IsString(want)) {
            if (strcmp(want->valuestring, got->valuestring) != 0)
                return false;
        } else {
            char *text = cJSON_PrintUnformatted(want);
            bool same = text != NULL && strcmp(text, got->valuestring) == 0;
            free(text);
            if (!same)
                return false;
        }
    }
    return true;
}

static cJSON *new_event(struct tp_sse *sse, const char *channel, const char *name)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "jenkins_channel", channel);
    cJSON_AddStringToObject(e, "jenkins_event", name);
    char text[64];
    snprintf(text, sizeof(text), "%lld", (long long)tp_time_now_ms());
    cJSON_AddStringToObject(e, "jenkins_event_timestamp", text);
    uint64_t a = next_random(sse), b = next_random(sse);
    snprintf(text, sizeof(text), "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
             (unsigned)(a >> 16) & 0xffff, (unsigned)a & 0xfff,
             (unsigned)((b >> 48) & 0x3fff) | 0x8000, (unsigned long long)b & 0xffffffffffffULL);
    cJSON_AddStringToObject(e, "jenkins_event_uuid", text);
    cJSON_AddStringToObject(e, "jenkins_instance_url", sse->root_url);
    cJSON_AddStringToObject(e, "jenkins_org", "jenkins");
    cJSON_AddItemToArray(sse->pending, e);
    return e;
}

static void add_number(cJSON *e, const char *key, int64_t value)
{
    char text[24];
    snprintf(text, sizeof(text), "%lld", (long long)value);
    cJSON_AddStringToObject(e, key, text);
}

/* Blue Ocean's properties: where the item's REST resource is, and its name. */
static void add_blue(cJSON *e, const char *name)
{
    struct tp_buf url;
    tp_buf_init(&url);
    tp_blue_pipeline_href(name, &url);
    cJSON_AddStringToObject(e, "blueocean_job_rest_url", tp_buf_str(&url));
    cJSON_AddStringToObject(e, "blueocean_job_pipeline_name", name);
    tp_buf_close(&url);
}

/* A `job` channel event about run `run` (`status`: job_run_status). */
static void job_event(struct tp_sse *sse, const char *name, const struct tp_run_rec *run,
                      const char *status)
{
    cJSON *e = new_event(sse, "job", name);
    bool queue = strncmp(name, "job_run_queue_", 14) == 0;
    struct tp_buf url;
    tp_buf_init(&url);
    tp_str_job_path(run->pipeline, &url);
    if (queue) {
        cJSON_AddStringToObject(e, "jenkins_object_type", "hudson.model.Queue$Item");
        cJSON_AddStringToObject(e, "jenkins_object_name", run->pipeline);
    } else {
        cJSON_AddStringToObject(e, "jenkins_object_type",
                                "org.jenkinsci.plugins.workflow.job.WorkflowRun");
        char text[32];
        snprintf(text, sizeof(text), "#%lld", (long long)run->number);
        cJSON_AddStringToObject(e, "jenkins_object_name", text);
        add_number(e, "jenkins_object_id", run->number);
        tp_buf_printf(&url, "%lld/", (long long)run->number);
    }
    cJSON_AddStringToObject(e, "jenkins_object_url", tp_buf_str(&url));
    cJSON_AddStringToObject(e, "job_name", run->pipeline);
    add_number(e, "job_run_queueId", run->queue_id);
    cJSON_AddStringToObject(e, "job_run_status", status);
    tp_buf_close(&url);
    add_blue(e, run->pipeline);
    add_number(e, "blueocean_queue_item_expected_build_number", run->number);
}

void tp_sse_on_item(struct tp_sse *sse, const char *event, const char *name, bool folder,
                    const char *old_name)
{
    if (sse == NULL)
        return;
    cJSON *e = new_event(sse, "job", event);
    cJSON_AddStringToObject(e, "jenkins_object_type",
                            folder ? "com.cloudbees.hudson.plugins.folder.Folder"
                                   : "org.jenkinsci.plugins.workflow.job.WorkflowJob");
    cJSON_AddStringToObject(e, "jenkins_object_name", name);
    struct tp_buf url;
    tp_buf_init(&url);
    tp_str_job_path(name, &url);
    cJSON_AddStringToObject(e, "jenkins_object_url", tp_buf_str(&url));
    tp_buf_close(&url);
    cJSON_AddStringToObject(e, "job_name", name);
    if (old_name != NULL) {
        cJSON_AddStringToObject(e, "item_rename_before", old_name);
        cJSON_AddStringToObject(e, "item_rename_after", name);
    }
    add_blue(e, name);
}

static struct track *track_of(struct tp_sse *sse, int64_t run_id, bool make)
{
    for (struct track *t = sse->tracks; t != NULL; t = t->next) {
        if (t->run_id == run_id)
            return t;
    }
    if (!make || sse->ntracks >= MAX_TRACKED)
        return NULL;
    struct track *t = tp_xcalloc(1, sizeof(*t));
    t->run_id = run_id;
    t->state = TP_STATE_NONE;
    t->next = sse->tracks;
    sse->tracks = t;
    sse->ntracks++;
    return t;
}

static void track_drop(struct tp_sse *sse, struct track *gone)
{
    for (struct track **p = &sse->tracks; *p != NULL; p = &(*p)->next) {
        if (*p == gone) {
            *p = gone->next;
            sse->ntracks--;
            free(gone->nodes);
            free(gone->steps);
            free(gone->stage_name);
            free(gone);
            return;
        }
    }
}

/* The remembered entry for `id` in `*list` (added with state NONE when new). */
static struct seen *seen_of(struct seen **list, size_t *n, size_t *cap, int64_t id)
{
    for (size_t i = *n; i-- > 0;) { /* the newest first: the one most often asked for */
        if ((*list)[i].id == id)
            return &(*list)[i];
    }
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        *list = tp_xrealloc(*list, *cap * sizeof(**list));
    }
    (*list)[*n] = (struct seen){ .id = id, .state = TP_STATE_NONE };
    return &(*list)[(*n)++];
}

static const char *run_status(const struct tp_run_rec *run)
{
    if (run->state == TP_STATE_FINISHED)
        return tp_result_name(run->result);
    return run->state == TP_STATE_QUEUED ? "QUEUED" : "RUNNING";
}

static cJSON *pipeline_event(struct tp_sse *sse, const char *name, const struct tp_run_rec *run)
{
    cJSON *e = new_event(sse, "pipeline", name);
    cJSON_AddStringToObject(e, "pipeline_job_name", run->pipeline);
    add_number(e, "pipeline_run_id", run->number);
    return e;
}

void tp_sse_on_run(struct tp_sse *sse, const struct tp_run_rec *run)
{
    struct track *t = track_of(sse, run->id, true);
    enum tp_state before = t != NULL ? t->state : TP_STATE_NONE;
    if (t == NULL || before == run->state)
        return;
    t->state = run->state;
    bool waited = before == TP_STATE_NONE || before == TP_STATE_QUEUED;
    switch (run->state) {
    case TP_STATE_QUEUED:
        job_event(sse, "job_run_queue_enter", run, "QUEUED");
        break;
    case TP_STATE_RUNNING:
        if (waited) {
            job_event(sse, "job_run_queue_left", run, "ALLOCATED");
            job_event(sse, "job_run_started", run, "RUNNING");
            pipeline_event(sse, "pipeline_start", run);
        } else if (before == TP_STATE_PAUSED) {
            job_event(sse, "job_run_unpaused", run, "RUNNING");
        }
        break;
    case TP_STATE_PAUSED:
        if (waited)
            job_event(sse, "job_run_started", run, "RUNNING");
        job_event(sse, "job_run_paused", run, "RUNNING");
        break;
    case TP_STATE_FINISHED:
        if (waited) {
            job_event(sse, "job_run_queue_left", run, "CANCELLED");
        } else {
            pipeline_event(sse, "pipeline_end", run);
        }
        job_event(sse, "job_run_ended", run, run_status(run));
        track_drop(sse, t);
        break;
    default:
        break;
    }
}

/* "1/4/7": the ids of the nodes around node `id`, outermost first. */
static void context_of(const struct track *t, int64_t id, struct tp_buf *out)
{
    int64_t chain[64];
    size_t n = 0;
    while (id != 0 && n < sizeof(chain) / sizeof(chain[0])) {
        chain[n++] = id;
        int64_t parent = 0;
        for (size_t i = 0; i < t->nnodes; i++) {
            if (t->nodes[i].id == id)
                parent = t->nodes[i].parent;
        }
        id = parent;
    }
    while (n > 0)
        tp_buf_printf(out, "%lld%s", (long long)chain[n - 1], n > 1 ? "/" : ""), n--;
}

static void add_flow(cJSON *e, const struct track *t, int64_t flownode, int64_t enclosing,
                     const char *step_name, bool paused)
{
    add_number(e, "pipeline_step_flownode_id", flownode);
    struct tp_buf context;
    tp_buf_init(&context);
    context_of(t, enclosing, &context);
    cJSON_AddStringToObject(e, "pipeline_context", tp_buf_str(&context));
    tp_buf_close(&context);
    if (t->stage_id != 0) {
        cJSON_AddStringToObject(e, "pipeline_step_stage_name", t->stage_name);
        add_number(e, "pipeline_step_stage_id", t->stage_id);
    }
    cJSON_AddStringToObject(e, "pipeline_step_name", step_name);
    cJSON_AddStringToObject(e, "pipeline_step_is_paused", paused ? "true" : "false");
}

static bool started(enum tp_state state)
{
    return state == TP_STATE_RUNNING || state == TP_STATE_PAUSED || state == TP_STATE_FINISHED ||
           state == TP_STATE_SKIPPED;
}

void tp_sse_on_node(struct tp_sse *sse, const struct tp_run_rec *run,
                    const struct tp_node_rec *node)
{
    struct track *t = track_of(sse, run->id, false);
    if (t == NULL)
        return;
    struct seen *s = seen_of(&t->nodes, &t->nnodes, &t->cap_nodes, node->node_id);
    s->parent = node->parent;
    enum tp_state before = s->state;
    s->state = node->state;
    bool stage = node->type == TP_NODE_STAGE;
    if (!started(before) && started(node->state)) {
        if (stage) {
            t->stage_id = node->node_id;
            free(t->stage_name);
            t->stage_name = tp_xstrdup(node->name);
        }
        cJSON *e = pipeline_event(sse, stage ? "pipeline_stage" : "pipeline_block_start", run);
        add_flow(e, t, node->node_id, node->node_id, stage ? "stage" : "parallel", false);
    }
    bool ended = node->state == TP_STATE_FINISHED || node->state == TP_STATE_SKIPPED ||
                 node->state == TP_STATE_NOT_BUILT;
    if (started(before) && before != node->state && ended) {
        cJSON *e = pipeline_event(sse, "pipeline_block_end", run);
        add_flow(e, t, node->node_id, node->node_id, stage ? "stage" : "parallel", false);
    }
}

void tp_sse_on_step(struct tp_sse *sse, const struct tp_run_rec *run,
                    const struct tp_step_rec *step)
{
    struct track *t = track_of(sse, run->id, false);
    if (t == NULL)
        return;
    struct seen *s = seen_of(&t->steps, &t->nsteps, &t->cap_steps, step->step_id);
    enum tp_state before = s->state;
    s->state = step->state;
    bool paused = step->state == TP_STATE_PAUSED;
    if (before == step->state || (started(before) && !paused))
        return;
    /* a step that starts, and again when it waits for an input */
    cJSON *e = pipeline_event(sse, "pipeline_step", run);
    add_flow(e, t, step->step_id, step->node_id, step->name, paused);
}

void tp_sse_commit(struct tp_sse *sse)
{
    if (cJSON_GetArraySize(sse->pending) == 0)
        return;
    cJSON *events = sse->pending;
    sse->pending = cJSON_CreateArray();
    const cJSON *e;
    struct tp_buf data;
    tp_buf_init(&data);
    cJSON_ArrayForEach(e, events)
    {
        const char *channel = cJSON_GetObjectItemCaseSensitive(e, "jenkins_channel")->valuestring;
        char *text = NULL;
        for (struct dispatcher *d = sse->dispatchers; d != NULL; d = d->next) {
            const cJSON *filter;
            bool wanted = false;
            cJSON_ArrayForEach(filter, d->subscriptions)
            {
                wanted = wanted || matches(filter, e);
            }
            if (!wanted)
                continue;
            if (text == NULL)
                text = cJSON_PrintUnformatted(e);
            /* the dispatcher signs what it sends */
            tp_buf_reset(&data);
            tp_buf_append(&data, text, strlen(text) - 1);
            tp_buf_puts(&data, ",\"sse_subs_dispatcher\":");
            cJSON *id = cJSON_CreateString(d->id);
            tp_json_print(id, &data);
            cJSON_Delete(id);
            tp_buf_printf(&data, ",\"sse_subs_dispatcher_inst\":\"%d\"}", d->inst);
            push(d, channel, data.data, data.len);
        }
        free(text);
    }
    tp_buf_close(&data);
    cJSON_Delete(events);
}

struct tp_sse *tp_sse_new(const char *root_url)
{
    struct tp_sse *sse = tp_xcalloc(1, sizeof(*sse));
    sse->root_url = tp_xstrdup(root_url);
    sse->pending = cJSON_CreateArray();
    sse->seed = (uint64_t)tp_time_now_ms() * 0x9E3779B97F4A7C15ULL | 1;
    return sse;
}

void tp_sse_free(struct tp_sse *sse)
{
    if (sse == NULL)
        return;
    while (sse->dispatchers != NULL) {
        struct dispatcher *d = sse->dispatchers;
        sse->dispatchers = d->next;
        free_dispatcher(d);
    }
    while (sse->tracks != NULL)
        track_drop(sse, sse->tracks);
    cJSON_Delete(sse->pending);
    free(sse->root_url);
    free(sse);
}

/* --- routes --- */

/* The gateway's own answer: {"status":"ok"} or {"status":"error","message":...}. */
static int answer(struct tp_resp *resp, int status, const char *message, const char *session)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "status", status == 200 ? "ok" : "error");
    if (message != NULL)
        cJSON_AddStringToObject(o, "message", message);
    if (session != NULL)
        cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "data"), "jsessionid", session);
    resp->status = status;
    resp->content_type = "application/json;charset=utf-8";
    tp_json_print(o, &resp->body);
    cJSON_Delete(o);
    return 0;
}

/* A client id from the request: bounded, printable, without what follows a ';'. */
static const char *client_id(struct tp_req *req, const char *raw)
{
    if (raw == NULL)
        return NULL;
    size_t len = strcspn(raw, ";");
    if (len == 0 || len > MAX_CLIENT_ID)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)raw[i] < 0x20)
            return NULL;
    }
    return tp_arena_strndup(req->arena, raw, len);
}

static struct tp_sse *gateway(struct tp_req *req, struct tp_resp *resp)
{
    if (req->app->sse == NULL)
        answer(resp, 503, "the SSE gateway is not running", NULL);
    return req->app->sse;
}

static int get_connect(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_sse *sse = gateway(req, resp);
    if (sse == NULL)
        return 0;
    const char *raw = NULL;
    tp_req_query(req, "clientId", &raw);
    const char *id = client_id(req, raw);
    if (id == NULL)
        return answer(resp, 400, "clientId is required (at most 256 characters)", NULL);
    struct dispatcher *d = dispatcher_for(sse, id, true);
    if (d == NULL)
        return answer(resp, 503, "too many SSE clients", NULL);
    char session[32];
    snprintf(session, sizeof(session), "%016llx", (unsigned long long)next_random(sse));
    return answer(resp, 200, NULL, session);
}

static int get_listen(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_sse *sse = gateway(req, resp);
    if (sse == NULL)
        return 0;
    const char *id = client_id(req, req->nparams > 0 ? req->params[0] : NULL);
    if (id == NULL)
        return answer(resp, 400, "a client id is required", NULL);
    struct dispatcher *d = dispatcher_for(sse, id, false);
    if (d == NULL)
        return answer(resp, 503, "too many SSE clients", NULL);
    if (d->listener != NULL) {
        /* a newer listener replaces the old one, which ends */
        struct listener *old = d->listener;
        old->dispatcher = NULL;
        if (old->base.wake != NULL)
            old->base.wake(old->base.wake_ctx);
    }
    struct listener *l = tp_xcalloc(1, sizeof(*l));
    l->base.read = listener_read;
    l->base.free = listener_free;
    l->dispatcher = d;
    /* the open frame comes first, then whatever waited for a listener */
    struct tp_buf waiting = d->frames;
    tp_buf_init(&d->frames);
    d->listener = l;
    push_status(d, "open", NULL);
    tp_buf_append(&d->frames, tp_buf_str(&waiting), waiting.len);
    tp_buf_close(&waiting);
    resp->content_type = "text/event-stream;charset=UTF-8";
    tp_resp_header(resp, "Cache-Control", "no-cache");
    resp->source = &l->base;
    resp->source_length = -1;
    return 0;
}

/* Subscriptions equal to `filter` (same properties, same values) go. */
static void unsubscribe(struct dispatcher *d, const cJSON *filter)
{
    for (int i = cJSON_GetArraySize(d->subscriptions) - 1; i >= 0; i--) {
        if (cJSON_Compare(cJSON_GetArrayItem(d->subscriptions, i), filter, true))
            cJSON_DeleteItemFromArray(d->subscriptions, i);
    }
}

static int post_configure(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_sse *sse = gateway(req, resp);
    if (sse == NULL)
        return 0;
    cJSON *body = cJSON_ParseWithLength(req->body, req->body_len);
    const cJSON *raw = cJSON_GetObjectItemCaseSensitive(body, "dispatcherId");
    const char *id = cJSON_IsString(raw) ? client_id(req, raw->valuestring) : NULL;
    const cJSON *subscribe = cJSON_GetObjectItemCaseSensitive(body, "subscribe");
    const cJSON *unsub = cJSON_GetObjectItemCaseSensitive(body, "unsubscribe");
    struct dispatcher *d = id != NULL ? find(sse, id) : NULL;
    int status = 200;
    const char *message = NULL;
    if (body == NULL) {
        status = 400, message = "the configuration is not JSON";
    } else if (id == NULL) {
        status = 400, message = "dispatcherId is required";
    } else if (d == NULL) {
        status = 400, message = "no such dispatcher: connect first";
    } else if (subscribe == NULL && unsub == NULL) {
        status = 400, message = "nothing to subscribe or unsubscribe";
    }
    if (status == 200 && cJSON_IsString(unsub) &&
        (strcmp(unsub->valuestring, "*") == 0 || strcmp(unsub->valuestring, "all") == 0)) {
        cJSON_Delete(d->subscriptions);
        d->subscriptions = cJSON_CreateArray();
    } else if (status == 200 && cJSON_IsArray(unsub)) {
        const cJSON *filter;
        cJSON_ArrayForEach(filter, unsub)
        {
            unsubscribe(d, filter);
        }
    }
    const cJSON *filter;
    const cJSON *adding = status == 200 && cJSON_IsArray(subscribe) ? subscribe : NULL;
    cJSON_ArrayForEach(filter, adding)
    {
        if (!cJSON_IsObject(filter) || cJSON_GetArraySize(d->subscriptions) >= MAX_SUBSCRIPTIONS)
            continue;
        unsubscribe(d, filter); /* the same filter twice is one subscription */
        cJSON_AddItemToArray(d->subscriptions, cJSON_Duplicate(filter, true));
    }
    cJSON_Delete(body);
    if (status != 200)
        return answer(resp, status, message, NULL);
    const char *batch = NULL;
    tp_req_query(req, "batchId", &batch);
    struct tp_buf digits;
    tp_buf_init(&digits);
    for (const char *p = batch != NULL ? batch : ""; *p != '\0' && digits.len < 20; p++) {
        if (*p >= '0' && *p <= '9')
            tp_buf_putc(&digits, *p);
    }
    push_status(d, "configure", tp_buf_str(&digits));
    tp_buf_close(&digits);
    return answer(resp, 200, NULL, NULL);
}

static int get_ping(struct tp_req *req, struct tp_resp *resp)
{
    struct tp_sse *sse = gateway(req, resp);
    if (sse == NULL)
        return 0;
    const char *raw = NULL;
    tp_req_query(req, "dispatcherId", &raw);
    const char *id = client_id(req, raw);
    struct dispatcher *d = id != NULL ? find(sse, id) : NULL;
    if (d == NULL)
        return answer(resp, 400, "no such dispatcher: connect first", NULL);
    push(d, "pingback", "ack", 3);
    return answer(resp, 200, NULL, NULL);
}

static const struct tp_route sse_routes[] = {
    { HTTP_GET, "/sse-gateway/connect", get_connect },
    { HTTP_GET, "/sse-gateway/listen/{id}", get_listen },
    { HTTP_POST, "/sse-gateway/configure", post_configure },
    { HTTP_GET, "/sse-gateway/ping", get_ping },
    { HTTP_POST, "/sse-gateway/ping", get_ping },
};

const struct tp_route_table tp_sse_table = {
    .prefix = "/sse-gateway",
    .routes = sse_routes,
    .count = sizeof(sse_routes) / sizeof(sse_routes[0]),
    .json_writes = false, /* configure is JSON; Jenkins asks no crumb for it */
};
