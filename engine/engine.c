/* SPDX-License-Identifier: MIT */
#include "engine/engine.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/str.h"
#include "common/timefmt.h"
#include "engine/credentials.h"
#include "engine/cron.h"
#include "engine/engine_int.h"
#include "engine/eval.h"
#include "engine/params.h"
#include "engine/runstate.h"
#include "engine/script.h"
#include "engine/stubs.h"
#include "engine/tools.h"
#include "engine/when.h"

extern char **environ;

enum {
    PENDING_FLUSH = 64 * 1024, /* a log chunk is written once it holds this much */
    KILL_GRACE_MS = 2000,
};

/* In every step's environment: with JENKINS_HOME, it finds a killed server's leftovers. */
#define SERVER_COOKIE "durable-tidepool"

struct tp_engine {
    uv_loop_t *loop;
    struct tp_store *store;
    char *data_dir;
    char *root_url;
    int executors;
    bool *slot_busy;
    struct run *queue_head, *queue_tail;
    struct run *active;
    int nactive;
    struct tp_engine_events events;
    uv_prepare_t flusher; /* commits the store's batch once per loop turn */
    uv_timer_t pump;      /* starts queued runs on the next loop turn */
    uv_timer_t cron;      /* starts timer-triggered runs, each minute */
    int64_t cron_minute;  /* the minute (epoch / 60) the timer looks at */

    struct fired { /* which minute each timed pipeline was last started for */
        int64_t pipeline_id, minute;
    } * fired;

    size_t nfired, cap_fired;
    uint64_t cron_tick_ms; /* 0: at each minute's start; else this often (tests) */
    uv_signal_t reaper;    /* SIGCHLD: reaps what steps left behind (we are the subreaper) */
    bool reaping;
    bool shutting_down;
    void (*shutdown_done)(void *ctx);
    void *shutdown_ctx;
    struct tp_envlist base_env; /* the server's own environment */
    bool no_answers;            /* inputs cannot be answered: they fail */
    const struct tp_stubs *stubs;
    const struct tp_tools *tools;
    struct tp_locks *locks; /* the lock step's resources */
    struct tp_milestones *milestones;
    int recovered_running; /* runs a killed server left RUNNING, found at start */
    int indexing;          /* branch indexings going (the shutdown waits for them) */
};

static void schedule_pump(struct tp_engine *engine);

/* Reports the shutdown done once nothing runs any more (runs, indexing). */
static bool maybe_shut_down(struct tp_engine *engine)
{
    if (engine->shutting_down && engine->nactive == 0 && engine->indexing == 0 &&
        engine->shutdown_done != NULL) {
        void (*done)(void *) = engine->shutdown_done;
        engine->shutdown_done = NULL;
        done(engine->shutdown_ctx);
        return true;
    }
    return false;
}

static void on_cron(uv_timer_t *timer);
static void fetch_script(struct run *run);
static void run_plan(struct run *run);
static const char *change_set(struct run *run, const char *path);
static const char *script_cron(const char *script, struct tp_arena *arena);
static void frame_continue(struct frame *f);
static void touch_activity(struct frame *f);

enum progress {
    PROGRESS_MORE, /* call again */
    PROGRESS_WAIT, /* waiting on a child process or child frames */
    PROGRESS_DONE  /* the frame is finished */
};

static int64_t dynamic_id(struct run *run);
static void abort_frame(struct frame *f, enum abort_reason reason);

/* --- environment lists --- */

void tp_env_init(struct tp_envlist *env)
{
    memset(env, 0, sizeof(*env));
}

void tp_env_close(struct tp_envlist *env)
{
    for (size_t i = 0; i < env->count; i++)
        free(env->items[i]);
    free(env->items);
    tp_env_init(env);
}

static ssize_t env_find(const struct tp_envlist *env, const char *key, size_t keylen)
{
    for (size_t i = 0; i < env->count; i++) {
        if (strncmp(env->items[i], key, keylen) == 0 && env->items[i][keylen] == '=')
            return (ssize_t)i;
    }
    return -1;
}

void tp_env_unset(struct tp_envlist *env, const char *key)
{
    ssize_t i = env_find(env, key, strlen(key));
    if (i < 0)
        return;
    free(env->items[i]);
    memmove(&env->items[i], &env->items[i + 1], (env->count - (size_t)i) * sizeof(*env->items));
    env->count--;
}

void tp_env_set(struct tp_envlist *env, const char *key, const char *value)
{
    size_t keylen = strlen(key), valuelen = strlen(value);
    char *item = tp_xmalloc(keylen + valuelen + 2);
    memcpy(item, key, keylen);
    item[keylen] = '=';
    memcpy(item + keylen + 1, value, valuelen + 1);
    ssize_t at = env_find(env, key, keylen);
    if (at >= 0) {
        free(env->items[at]);
        env->items[at] = item;
        return;
    }
    if (env->count + 1 >= env->cap) {
        env->cap = env->cap ? env->cap * 2 : 32;
        env->items = tp_xrealloc(env->items, env->cap * sizeof(*env->items));
    }
    env->items[env->count++] = item;
    env->items[env->count] = NULL; /* always NULL-terminated, ready for exec */
}

const char *tp_env_get(const struct tp_envlist *env, const char *key)
{
    ssize_t at = env_find(env, key, strlen(key));
    return at >= 0 ? env->items[at] + strlen(key) + 1 : NULL;
}

void tp_env_merge(struct tp_envlist *env, const struct tp_envlist *from)
{
    for (size_t i = 0; i < from->count; i++) {
        const char *eq = strchr(from->items[i], '=');
        char *key = tp_xstrndup(from->items[i], (size_t)(eq - from->items[i]));
        tp_env_set(env, key, eq + 1);
        free(key);
    }
}

/* --- store writes: everything the engine says goes through these --- */

static void flush_pending(struct run *run)
{
    if (run->pending.len == 0)
        return;
    struct tp_engine *engine = run->engine;
    struct frame *f = run->pending_frame;
    struct tp_log_chunk chunk = {
        .offset = run->rec.log_size,
        .step_id = run->pending_step,
        .step_offset = f != NULL ? f->step_log_size : 0,
        .data = run->pending.data,
        .len = run->pending.len,
    };
    if (tp_store_log_append(engine->store, run->rec.id, &chunk) == 0) {
        run->rec.log_size += (int64_t)chunk.len;
        if (f != NULL)
            f->step_log_size += (int64_t)chunk.len;
        if (engine->events.on_log != NULL)
            engine->events.on_log(engine->events.ctx, run->rec.id, chunk.data, chunk.len);
    }
    tp_buf_reset(&run->pending);
    run->pending_frame = NULL;
    run->pending_step = 0;
}

/* The timestamper's prefix: "[2026-11-22T07:51:40.479Z] ", in UTC. */
static void stamp(struct tp_buf *out)
{
    int64_t ms = tp_time_now_ms();
    time_t seconds = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&seconds, &tm);
    tp_buf_printf(out, "[%04d-%02d-%02dT%02d:%02d:%02d.%03dZ] ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

void tp_frame_log(struct run *run, struct frame *f, const char *data, size_t len)
{
    if (run->resuming)
        return; /* these lines are in the log already */
    if (len > 0)
        touch_activity(f);
    int64_t step_id = f != NULL && f->step_active ? f->step.step_id : 0;
    if (step_id == 0)
        f = NULL;
    if (len == 0)
        return;
    if (run->pending.len > 0 && (run->pending_step != step_id || run->pending_frame != f))
        flush_pending(run);
    run->pending_step = step_id;
    run->pending_frame = f;
    while (len > 0) {
        const char *nl = memchr(data, '\n', len);
        size_t n = nl != NULL ? (size_t)(nl - data) + 1 : len;
        if (run->timestamps && !run->mid_line)
            stamp(&run->pending);
        if (run->nsecrets > 0)
            tp_credentials_mask(run, data, n, &run->pending);
        else
            tp_buf_append(&run->pending, data, n);
        run->mid_line = nl == NULL;
        data += n;
        len -= n;
    }
    if (run->pending.len >= PENDING_FLUSH)
        flush_pending(run);
}

void tp_run_puts(struct run *run, const char *text)
{
    tp_frame_log(run, NULL, text, strlen(text));
}

void tp_run_logf(struct run *run, const char *fmt, ...)
{
    char text[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    tp_frame_log(run, NULL, text, (size_t)n < sizeof(text) ? (size_t)n : sizeof(text) - 1);
}

static void save_run(struct run *run)
{
    if (run->resuming)
        return; /* the store holds this state already */
    flush_pending(run);
    tp_store_run_update(run->engine->store, &run->rec);
    if (run->engine->events.on_run != NULL)
        run->engine->events.on_run(run->engine->events.ctx, &run->rec);
}

static void save_node(struct frame *f)
{
    if (f->run->resuming)
        return;
    flush_pending(f->run);
    tp_store_node_put(f->run->engine->store, &f->node);
    const struct tp_engine_events *events = &f->run->engine->events;
    if (events->on_node != NULL)
        events->on_node(events->ctx, &f->run->rec, &f->node);
}

static void save_step(struct frame *f)
{
    if (f->run->resuming)
        return;
    flush_pending(f->run);
    f->step.log_size = f->step_log_size;
    tp_store_step_put(f->run->engine->store, &f->step);
    const struct tp_engine_events *events = &f->run->engine->events;
    if (events->on_step != NULL)
        events->on_step(events->ctx, &f->run->rec, &f->step);
}

static void apply(struct run *run, enum tp_run_event event)
{
    enum tp_state next;
    int err = tp_runstate_next(run->rec.state, event, &next);
    if (err < 0) {
        tp_log(TP_LOG_ERROR, "engine", "illegal transition run=%lld state=%s event=%d",
               (long long)run->rec.id, tp_state_name(run->rec.state), (int)event);
        return;
    }
    run->rec.state = next;
}

static bool has_option(const struct tp_plan *plan, const char *name)
{
    for (size_t i = 0; i < plan->noptions; i++) {
        if (strcmp(plan->options[i].name, name) == 0)
            return true;
    }
    return false;
}

/* --- runs in memory --- */

static struct run *run_new(struct tp_engine *engine, const struct tp_run_rec *rec)
{
    struct run *run = tp_xcalloc(1, sizeof(*run));
    run->engine = engine;
    tp_arena_init(&run->arena);
    run->rec = *rec;
    run->rec.pipeline = tp_arena_strdup(&run->arena, rec->pipeline);
    run->rec.script = tp_arena_strdup(&run->arena, rec->script);
    run->rec.cause = rec->cause ? tp_arena_strdup(&run->arena, rec->cause) : NULL;
    run->rec.cause_user = rec->cause_user ? tp_arena_strdup(&run->arena, rec->cause_user) : NULL;
    run->rec.parameters = rec->parameters ? tp_arena_strdup(&run->arena, rec->parameters) : NULL;
    run->rec.description = rec->description ? tp_arena_strdup(&run->arena, rec->description) : NULL;
    run->rec.display_name =
        rec->display_name ? tp_arena_strdup(&run->arena, rec->display_name) : NULL;
    run->rec.restart_from =
        rec->restart_from ? tp_arena_strdup(&run->arena, rec->restart_from) : NULL;
    run->executor = -1;
    run->milestone_ordinal = -1;
    run->result = TP_RESULT_SUCCESS;
    run->rec.blockage = NULL; /* the pump says again why it waits */
    /* job properties from the job's config.xml */
    run->keep_runs = run->keep_days = -1;
    struct tp_pipeline_rec job;
    if (tp_store_pipeline_get_by_id(engine->store, rec->pipeline_id, &run->arena, &job) == 0 &&
        job.properties != NULL) {
        cJSON *props = cJSON_Parse(job.properties);
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(props, "numToKeep");
        run->keep_runs = cJSON_IsNumber(v) ? (long long)v->valuedouble : -1;
        v = cJSON_GetObjectItemCaseSensitive(props, "daysToKeep");
        run->keep_days = cJSON_IsNumber(v) ? (long long)v->valuedouble : -1;
        run->exclusive =
            cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(props, "disableConcurrentBuilds"));
        const cJSON *scm = cJSON_GetObjectItemCaseSensitive(props, "scm");
        const cJSON *url = cJSON_GetObjectItemCaseSensitive(scm, "url");
        const cJSON *branch = cJSON_GetObjectItemCaseSensitive(scm, "branch");
        const cJSON *path = cJSON_GetObjectItemCaseSensitive(scm, "scriptPath");
        if (cJSON_IsString(url) && cJSON_IsString(branch) && cJSON_IsString(path)) {
            run->scm_url = tp_arena_strdup(&run->arena, url->valuestring);
            run->scm_branch = tp_arena_strdup(&run->arena, tp_scm_branch_name(branch->valuestring));
            run->scm_path = tp_arena_strdup(&run->arena, path->valuestring);
        }
        const cJSON *branch_name = cJSON_GetObjectItemCaseSensitive(props, "branch");
        if (cJSON_IsString(branch_name))
            run->branch = tp_arena_strdup(&run->arena, branch_name->valuestring);
        cJSON_Delete(props);
    }
    struct tp_plan *plan;
    if (tp_plan_compile(rec->script, strlen(rec->script), &plan) == 0) {
        run->exclusive = run->exclusive || has_option(plan, "disableConcurrentBuilds");
        /* options { quietPeriod(N) }: the run waits N seconds in the queue first (not under
         * `tidepool run`, whose one run is asked for now) */
        for (size_t i = 0; i < plan->noptions && !engine->no_answers; i++) {
            const struct tp_expr *q = tp_step_arg(plan->options[i].call, "quietPeriod");
            if (strcmp(plan->options[i].name, "quietPeriod") == 0 && q != NULL &&
                q->kind == TP_EXPR_INT && q->ival > 0)
                run->not_before_ms = rec->enqueue_ms + (q->ival > 86400 ? 86400 : q->ival) * 1000;
        }
    }
    tp_plan_free(plan);
    tp_buf_init(&run->error);
    tp_buf_init(&run->pending);
    tp_env_init(&run->env);
    return run;
}

static void run_free(struct run *run)
{
    if (run->script_dir != NULL)
        rmdir(run->script_dir);
    tp_script_run_end(run);
    tp_credentials_run_end(run);
    tp_plan_free(run->plan);
    cJSON_Delete(run->params);
    tp_buf_close(&run->error);
    tp_buf_close(&run->pending);
    tp_env_close(&run->env);
    free(run->workspace);
    tp_arena_close(&run->arena);
    free(run);
}

void tp_frame_fail(struct frame *f, enum tp_result result, bool abort_style, const char *message)
{
    if (f->script != NULL && f->in_step_start) {
        /* A step refused inside Groovy: its exception is the script's to catch. */
        if (message != NULL && f->step_active && f->step_error == NULL)
            f->step_error = tp_arena_strdup(&f->run->arena, message);
        return;
    }
    f->failed = true;
    f->result = tp_result_worse(f->result, result);
    if (message == NULL)
        return;
    if (f->step_active && f->step_error == NULL)
        f->step_error = tp_arena_strdup(&f->run->arena, message);
    if (!f->has_error) {
        f->has_error = true;
        f->abort_style = abort_style;
        tp_buf_puts(&f->error, message);
    }
}

void tp_frame_mark(struct frame *f, enum tp_result stage, enum tp_result build)
{
    while (f->block != NULL)
        f = f->parent;
    f->marked = tp_result_worse(f->marked, stage);
    f->run->result_floor = tp_result_worse(f->run->result_floor, build);
}

static const char *eval_env(void *ctx, const char *name)
{
    struct frame *f = ctx;
    const char *value = tp_env_get(&f->env, name);
    return value != NULL ? value : tp_env_get(&f->run->engine->base_env, name);
}

static const char *eval_param(void *ctx, const char *name)
{
    struct frame *f = ctx;
    return f->run->params != NULL ? tp_params_get(f->run->params, name) : NULL;
}

static bool eval_param_is_boolean(void *ctx, const char *name)
{
    struct frame *f = ctx;
    const cJSON *item;
    cJSON_ArrayForEach(item, f->run->params)
    {
        const char *n = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "name"));
        if (n != NULL && strcmp(n, name) == 0)
            return cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(item, "value"));
    }
    return false;
}

static struct tp_eval_ctx eval_ctx(struct frame *f)
{
    return (struct tp_eval_ctx){
        .env = eval_env, .param = eval_param, .param_is_boolean = eval_param_is_boolean, .ctx = f
    };
}

int tp_frame_eval(struct frame *f, const struct tp_expr *e, struct tp_buf *out)
{
    struct tp_buf error;
    tp_buf_init(&error);
    int err = tp_script_eval_string(f, e, out, &error);
    if (err < 0)
        tp_frame_fail(f, TP_RESULT_FAILURE, false, tp_buf_str(&error));
    tp_buf_close(&error);
    return err;
}

int tp_frame_eval_text(struct frame *f, const struct tp_expr *e, const char **out)
{
    *out = NULL;
    if (e == NULL)
        return 0;
    struct tp_buf text;
    tp_buf_init(&text);
    int err = tp_frame_eval(f, e, &text);
    if (err == 0)
        *out = tp_arena_strdup(&f->run->arena, tp_buf_str(&text));
    tp_buf_close(&text);
    return err;
}

const char *tp_frame_path(struct frame *f, const char *path)
{
    return path[0] == '/' ? tp_arena_strdup(&f->run->arena, path)
                          : tp_arena_printf(&f->run->arena, "%s/%s", f->cwd, path);
}

uv_loop_t *tp_engine_loop(struct tp_engine *engine)
{
    return engine->loop;
}

const char *tp_engine_env(const struct tp_engine *engine, const char *name)
{
    return tp_env_get(&engine->base_env, name);
}

struct tp_store *tp_engine_store(const struct tp_engine *engine)
{
    return engine->store;
}

const char *tp_engine_root_url(const struct tp_engine *engine)
{
    return engine->root_url;
}

int tp_engine_executors(const struct tp_engine *engine)
{
    return engine->executors;
}

const char *tp_engine_data_dir(const struct tp_engine *engine)
{
    return engine->data_dir;
}

void tp_frame_child_env(struct frame *f, struct tp_envlist *out)
{
    tp_env_init(out);
    tp_env_merge(out, &f->run->engine->base_env);
    tp_env_merge(out, &f->env);
}

/* --- preparing a run --- */

/* Whether evaluating `e` calls a function (a step such as sh, or a method of the file) other
 * than credentials(): it then runs as a script would, steps and all. */
static bool calls_function(const struct tp_expr *e)
{
    if (e == NULL)
        return false;
    if (e->kind == TP_EXPR_CALL && e->a == NULL && e->b == NULL && e->text != NULL &&
        strcmp(e->text, "credentials") != 0)
        return true;
    if (calls_function(e->a) || calls_function(e->b) || calls_function(e->c))
        return true;
    for (size_t i = 0; i < e->args.count; i++) {
        if (calls_function(e->args.items[i]))
            return true;
    }
    for (size_t i = 0; i < e->named.count; i++) {
        if (calls_function(e->named.items[i].value))
            return true;
    }
    return false;
}

/* Evaluates one plain `environment {}` entry into f's environment (a self-reference sees the
 * outer value). Returns 0, or an error already recorded on `f`. */
static int apply_env_entry(struct frame *f, const struct tp_plan_env *item)
{
    struct tp_buf value;
    tp_buf_init(&value);
    int err;
    const struct tp_expr *v = item->value;
    if (v->kind == TP_EXPR_CALL && v->a == NULL && v->b == NULL &&
        strcmp(v->text, "credentials") == 0 && v->args.count == 1) {
        /* KEY = credentials('id'): the credential's variables, masked in the log */
        err = tp_frame_eval(f, v->args.items[0], &value);
        if (err == 0)
            err = tp_credentials_env(f, item->key, tp_buf_str(&value));
    } else {
        err = tp_frame_eval(f, v, &value);
        if (err == 0)
            tp_env_set(&f->env, item->key, tp_buf_str(&value));
    }
    tp_buf_close(&value);
    return err;
}

static int prepare_workspace(struct run *run)
{
    struct tp_engine *engine = run->engine;
    /* Jenkins gives a concurrent run of the same job <job>@2, @3, ... */
    for (int n = 1; run->workspace == NULL; n++) {
        char *path = n == 1 ? tp_arena_printf(&run->arena, "%s/workspace/%s", engine->data_dir,
                                              run->rec.pipeline)
                            : tp_arena_printf(&run->arena, "%s/workspace/%s@%d", engine->data_dir,
                                              run->rec.pipeline, n);
        bool taken = false;
        for (struct run *other = engine->active; other != NULL; other = other->next)
            taken = taken || (other->workspace != NULL && strcmp(other->workspace, path) == 0);
        if (!taken) {
            run->workspace = tp_xstrdup(path);
            break;
        }
    }
    int err = tp_fs_mkdir_p(run->workspace);
    return err < 0 ? err : tp_fs_mkdir_p(tp_arena_printf(&run->arena, "%s@tmp", run->workspace));
}

static void set_core_env(struct run *run)
{
    struct tp_engine *engine = run->engine;
    const struct tp_run_rec *rec = &run->rec;
    char number[24], executor[16];
    snprintf(number, sizeof(number), "%lld", (long long)rec->number);
    snprintf(executor, sizeof(executor), "%d", run->executor);
    struct tp_envlist *env = &run->env;
    tp_env_set(env, "BUILD_NUMBER", number);
    tp_env_set(env, "BUILD_ID", number);
    tp_env_set(env, "BUILD_DISPLAY_NAME", tp_arena_printf(&run->arena, "#%s", number));
    char *tag = tp_arena_printf(&run->arena, "jenkins-%s-%s", rec->pipeline, number);
    for (char *c = tag; *c != '\0'; c++)
        *c = *c == '/' ? '-' : *c; /* a job in a folder: jenkins-team-app-1 */
    tp_env_set(env, "BUILD_TAG", tag);
    tp_env_set(env, "JOB_NAME", rec->pipeline);
    const char *slash = strrchr(rec->pipeline, '/');
    tp_env_set(env, "JOB_BASE_NAME", slash ? slash + 1 : rec->pipeline);
    tp_env_set(env, "JENKINS_URL", engine->root_url);
    tp_env_set(env, "HUDSON_URL", engine->root_url);
    struct tp_buf url;
    tp_buf_init(&url);
    tp_buf_puts(&url, engine->root_url);
    tp_str_job_path(rec->pipeline, &url);
    tp_env_set(env, "JOB_URL", tp_buf_str(&url));
    tp_buf_printf(&url, "%s/", number);
    tp_env_set(env, "BUILD_URL", tp_buf_str(&url));
    tp_buf_close(&url);
    tp_env_set(env, "JENKINS_HOME", engine->data_dir);
    if (run->branch != NULL)
        tp_env_set(env, "BRANCH_NAME", run->branch); /* a multibranch pipeline's branch job */
    if (run->scm_commit != NULL) {
        /* what the default checkout of a script from SCM sets */
        tp_env_set(env, "GIT_COMMIT", run->scm_commit);
        tp_env_set(env, "GIT_BRANCH", tp_arena_printf(&run->arena, "origin/%s", run->scm_branch));
        tp_env_set(env, "GIT_URL", run->scm_url);
    }
    tp_env_set(env, "CI", "true");
    tp_env_set(env, "NODE_NAME", "built-in");
    tp_env_set(env, "NODE_LABELS", "built-in");
    tp_env_set(env, "EXECUTOR_NUMBER", executor);
    tp_env_set(env, "WORKSPACE", run->workspace);
    tp_env_set(env, "WORKSPACE_TMP", tp_arena_printf(&run->arena, "%s@tmp", run->workspace));
    tp_env_set(env, "JENKINS_SERVER_COOKIE", SERVER_COOKIE);
    /* The run's own mark on its processes, as Jenkins' JENKINS_NODE_COOKIE: what is left with
     * it when the run ends is killed (a step that sets it to something else opts out). */
    tp_env_set(env, "JENKINS_NODE_COOKIE",
               tp_arena_printf(&run->arena, "tidepool-%lld-%lld", (long long)rec->id,
                               (long long)rec->start_ms));
    /* Every parameter is an environment variable too (booleans as "true"/"false"). */
    const cJSON *param;
    cJSON_ArrayForEach(param, run->params)
    {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(param, "name"));
        const char *value = tp_params_get(run->params, name != NULL ? name : "");
        if (name != NULL && value != NULL)
            tp_env_set(env, name, value);
    }
}

/* A logRotator count ('10' or 10); -1 for none (absent, empty, or not a literal). */
static long long rotator_count(const struct tp_expr *rotator, const char *name, const char *alias)
{
    const struct tp_expr *e = tp_ast_named_arg(rotator, name);
    if (e == NULL)
        e = tp_ast_named_arg(rotator, alias);
    if (e != NULL && e->kind == TP_EXPR_INT)
        return e->ival;
    if (e == NULL || e->kind != TP_EXPR_STRING || e->text[0] == '\0')
        return -1;
    char *end = NULL;
    long long n = strtoll(e->text, &end, 10);
    return *end == '\0' ? n : -1;
}

struct discard {
    long long keep, days;
    int64_t now_ms;
    int64_t index;
    bool kept_success; /* the newest successful build is never discarded */
    int64_t *doomed;
    size_t ndoomed, cap;
};

static int judge_run(void *ctx, const struct tp_run_rec *rec)
{
    struct discard *d = ctx;
    int64_t index = d->index++;
    if (rec->state != TP_STATE_FINISHED)
        return 0;
    if (rec->result == TP_RESULT_SUCCESS && !d->kept_success) {
        d->kept_success = true;
        return 0;
    }
    bool too_many = d->keep > 0 && index >= d->keep;
    bool too_old = d->days > 0 && rec->end_ms < d->now_ms - d->days * 86400000LL;
    if (!too_many && !too_old)
        return 0;
    if (d->ndoomed == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 16;
        d->doomed = tp_xrealloc(d->doomed, d->cap * sizeof(*d->doomed));
    }
    d->doomed[d->ndoomed++] = rec->id;
    return 0;
}

/*
 * options { buildDiscarder(logRotator(numToKeepStr: 'N', daysToKeepStr: 'D')) } (or the
 * config.xml's BuildDiscarderProperty): once a run
 * ends, finished runs beyond the newest N, or older than D days, go with their logs (as
 * Jenkins' LogRotator, the newest successful run stays).
 */
static void discard_old_runs(struct run *run)
{
    const struct tp_expr *rotator = NULL;
    for (size_t i = 0; run->plan != NULL && i < run->plan->noptions; i++) {
        const struct tp_plan_call *o = &run->plan->options[i];
        if (strcmp(o->name, "buildDiscarder") == 0 && o->call->kind == TP_EXPR_CALL &&
            o->call->args.count == 1)
            rotator = o->call->args.items[0];
    }
    /* the Jenkinsfile's discarder, else the one its config.xml set */
    bool options = rotator != NULL && rotator->kind == TP_EXPR_CALL;
    struct discard d = {
        .keep = options ? rotator_count(rotator, "numToKeepStr", "numToKeep") : run->keep_runs,
        .days = options ? rotator_count(rotator, "daysToKeepStr", "daysToKeep") : run->keep_days,
        .now_ms = tp_time_now_ms()
    };
    if (d.keep <= 0 && d.days <= 0)
        return;
    struct tp_arena arena;
    tp_arena_init(&arena);
    tp_store_run_list(run->engine->store, run->rec.pipeline_id, TP_RUNS_BUILDS, 0, INT64_MAX,
                      &arena, judge_run, &d);
    for (size_t i = 0; i < d.ndoomed; i++)
        tp_store_run_delete(run->engine->store, d.doomed[i]);
    if (d.ndoomed > 0)
        tp_log(TP_LOG_INFO, "engine", "buildDiscarder removed runs pipeline=%s count=%zu",
               run->rec.pipeline, d.ndoomed);
    free(d.doomed);
    tp_arena_close(&arena);
}

static void end_resume(struct run *run, bool at_input);

/* Processes a run's steps started that outlived them (a daemon started in the background, a
 * grandchild that left its process group): killed when the run ends, as Jenkins' process tree
 * killer does, found by the run's cookie. */
static void kill_leftovers(struct run *run)
{
    const char *cookie = tp_env_get(&run->env, "JENKINS_NODE_COOKIE");
    const char *home = tp_env_get(&run->env, "JENKINS_HOME");
    if (cookie == NULL || home == NULL)
        return;
    const char *const marks[] = { tp_arena_printf(&run->arena, "JENKINS_NODE_COOKIE=%s", cookie),
                                  tp_arena_printf(&run->arena, "JENKINS_HOME=%s", home), NULL };
    int killed = tp_exec_kill_strays(marks);
    if (killed > 0)
        tp_log(TP_LOG_INFO, "engine",
               "killed processes left by a run pipeline=%s number=%lld "
               "count=%d",
               run->rec.pipeline, (long long)run->rec.number, killed);
}

/* A build step waits for `run`: it ends with it (the run is out of the engine's lists). */
static void tell_waiter(struct run *run)
{
    struct frame *waiter = run->waiter;
    run->waiter = NULL;
    if (waiter != NULL && waiter->downstream == run->rec.id)
        tp_build_ended(waiter, &run->rec);
}

static void run_end(struct run *run)
{
    struct tp_engine *engine = run->engine;
    if (run->resuming)
        end_resume(run, false); /* it ended before coming back to its input */
    if (run->pipeline_started) {
        if (run->env_opened)
            tp_run_puts(run, "[Pipeline] }\n[Pipeline] // withEnv\n");
        if (run->plan->agent.kind != TP_AGENT_NONE)
            tp_run_puts(run, "[Pipeline] }\n[Pipeline] // node\n");
        tp_run_puts(run, "[Pipeline] End of Pipeline\n");
        if (run->aborting && run->abort_message != NULL)
            tp_run_logf(run, "%s\n", run->abort_message);
        else if (run->failed && run->abort_style)
            tp_run_logf(run, "ERROR: %s\n", tp_buf_str(&run->error));
        else if (run->failed)
            tp_run_logf(run, "%s\n", tp_buf_str(&run->error));
    }
    if (run->aborting)
        run->result = run->superseded ? TP_RESULT_NOT_BUILT : TP_RESULT_ABORTED;
    run->rec.result = run->result;
    tp_run_logf(run, "Finished: %s\n", tp_result_name(run->result));
    apply(run, run->result == TP_RESULT_ABORTED ? TP_RUN_EV_ABORT : TP_RUN_EV_FINISH);
    run->rec.end_ms = tp_time_now_ms();
    run->rec.log_complete = true;
    save_run(run);
    discard_old_runs(run);
    tp_milestones_run_end(run); /* older builds behind its last milestone are superseded */
    if (run->pipeline_started)
        tp_stash_drop(run);
    /* Anything a step left running is the subreaper's child by now: nothing to look for
     * when there is none (the common case: no scan of the process table). */
    if (run->script_dir != NULL && (!run->engine->reaping || tp_exec_has_orphans()))
        kill_leftovers(run);
    tp_log(TP_LOG_INFO, "engine", "run finished pipeline=%s number=%lld result=%s ms=%lld",
           run->rec.pipeline, (long long)run->rec.number, tp_result_name(run->result),
           (long long)(run->rec.end_ms - run->rec.start_ms));

    struct run **link = &engine->active;
    while (*link != run)
        link = &(*link)->next;
    *link = run->next;
    engine->nactive--;
    engine->slot_busy[run->executor] = false;
    tell_waiter(run);
    run_free(run);
    if (maybe_shut_down(engine))
        return;
    schedule_pump(engine);
}

/* --- frames --- */

/* A stage with an agent of its own enters a `node` block (the local executor's). */
static bool has_own_node(const struct tp_plan_stage *stage)
{
    return stage->agent.kind == TP_AGENT_ANY || stage->agent.kind == TP_AGENT_LABEL ||
           stage->agent.kind == TP_AGENT_NODE;
}

static bool is_branch(const struct tp_plan_stage *stage)
{
    return stage->node_kind == TP_PLAN_NODE_BRANCH;
}

/* A timer a frame owns (timeout's deadline, sleep's wake-up); freed when its handle closes,
 * which may be after the frame is gone. */
struct block_timer {
    uv_timer_t handle; /* first: the handle's address is the struct's */
    struct frame *frame;
};

static void on_timer_closed(uv_handle_t *handle)
{
    free(handle);
}

static void stop_timer(struct block_timer **slot)
{
    if (*slot == NULL)
        return;
    (*slot)->frame = NULL;
    uv_timer_stop(&(*slot)->handle);
    uv_close((uv_handle_t *)&(*slot)->handle, on_timer_closed);
    *slot = NULL;
}

/* In a block timer's callback: its frame (the timer is released from the frame's slot), or
 * NULL when the frame stopped it already. */
static struct frame *timer_fired(uv_timer_t *handle)
{
    struct block_timer *t = handle->data;
    struct frame *f = t->frame;
    if (f != NULL)
        stop_timer(f->timer == t ? &f->timer : &f->sleep_timer);
    return f;
}

static struct block_timer *start_timer(struct frame *f, uint64_t ms, uv_timer_cb cb)
{
    struct block_timer *t = tp_xcalloc(1, sizeof(*t));
    uv_timer_init(f->run->engine->loop, &t->handle);
    t->handle.data = t;
    t->frame = f;
    uv_timer_start(&t->handle, cb, ms, 0);
    return t;
}

static struct frame *frame_alloc(struct run *run, struct frame *parent)
{
    struct frame *f = tp_xcalloc(1, sizeof(*f));
    f->run = run;
    f->parent = parent;
    f->result = TP_RESULT_SUCCESS;
    f->marked = TP_RESULT_SUCCESS;
    tp_buf_init(&f->error);
    tp_env_init(&f->env);
    tp_env_merge(&f->env, parent != NULL ? &parent->env : &run->env);
    f->cwd = tp_xstrdup(parent != NULL ? parent->cwd : run->workspace);
    tp_linebuf_init(&f->lines);
    if (parent != NULL) {
        f->next_sibling = parent->first_child;
        parent->first_child = f;
    }
    return f;
}

/* The frame of a stage, or (stage NULL) the root: the pipeline's top-level stages. */
static struct frame *frame_new(struct run *run, struct frame *parent,
                               const struct tp_plan_stage *stage)
{
    struct frame *f = frame_alloc(run, parent);
    f->stage = stage;
    if (stage == NULL)
        f->mode = FRAME_SEQUENCE;
    else if (stage->kind == TP_STAGE_STEPS)
        f->mode = FRAME_STEPS;
    else if (stage->kind == TP_STAGE_STAGES)
        f->mode = FRAME_SEQUENCE;
    else
        f->mode = FRAME_PARALLEL;
    f->steps = stage != NULL ? &stage->steps : NULL;
    f->post = stage != NULL ? stage->post : run->plan->post;
    return f;
}

/* The frame of a block step (dir, withEnv, timeout, retry, catchError, warnError): its body,
 * in its parent's stage. */
static struct frame *frame_new_block(struct frame *parent, const struct tp_plan_step *step)
{
    struct frame *f = frame_alloc(parent->run, parent);
    f->stage = parent->stage;
    f->block = step;
    f->mode = FRAME_STEPS;
    f->steps = &step->body;
    return f;
}

struct frame *tp_frame_new_script(struct frame *parent, const struct tp_plan_step *step,
                                  struct tp_script_state *script)
{
    struct frame *f = frame_alloc(parent->run, parent);
    f->stage = parent->stage;
    f->block = step;
    f->mode = FRAME_SCRIPT;
    f->script = script;
    return f;
}

void tp_frame_run(struct frame *f)
{
    frame_continue(f);
}

void tp_run_save(struct run *run)
{
    save_run(run);
}

void tp_frame_note_error(struct frame *f, const char *message)
{
    if (f->step.step_id == 0 || f->step_active || f->step.error != NULL)
        return;
    f->step.error = tp_arena_strdup(&f->run->arena, message);
    save_step(f);
}

/* The frame of the stage `f` runs in (a block's: the enclosing stage's), or NULL at the top. */
static struct frame *stage_frame(struct frame *f)
{
    while (f != NULL && (f->block != NULL || f->stage == NULL))
        f = f->parent;
    return f;
}

struct frame *tp_frame_new_branches(struct frame *parent, const struct tp_plan_step *step,
                                    const char **names, struct tp_script_state **scripts, size_t n,
                                    bool fail_fast)
{
    struct run *run = parent->run;
    struct frame *f = frame_alloc(run, parent);
    f->stage = parent->stage;
    f->block = step;
    f->mode = FRAME_BRANCHES;
    f->fail_fast = fail_fast;
    /* Each branch a PARALLEL node inside the stage, as Blue Ocean shows scripted parallels:
     * the stage points to the branches, the branches to where the stage pointed. */
    struct frame *stage = stage_frame(parent);
    struct tp_buf edges;
    tp_buf_init(&edges);
    for (size_t i = 0; i < n; i++) {
        struct frame *b = frame_alloc(run, f);
        b->stage = parent->stage;
        b->block = step;
        b->mode = FRAME_SCRIPT;
        b->script = scripts[i];
        b->branch = names[i];
        b->node = (struct tp_node_rec){ .run_id = run->rec.id,
                                        .node_id = dynamic_id(run),
                                        .seq = stage != NULL ? stage->node.seq : 0,
                                        .type = TP_NODE_PARALLEL,
                                        .name = names[i],
                                        .first_parent = stage != NULL ? stage->node.node_id : 0,
                                        .parent = stage != NULL ? stage->node.node_id : 0,
                                        .edges = stage != NULL ? stage->node.edges : "",
                                        .state = TP_STATE_NONE,
                                        .result = TP_RESULT_NONE };
        tp_buf_printf(&edges, "%s%lld", i ? " " : "", (long long)b->node.node_id);
    }
    if (stage != NULL) {
        stage->node.edges = tp_arena_strdup(&run->arena, tp_buf_str(&edges));
        save_node(stage);
    }
    tp_buf_close(&edges);
    return f;
}

/* A block step written in steps: its frame (script {} runs Groovy), or NULL for an atom. */
static struct frame *block_frame(struct frame *f, const struct tp_plan_step *step)
{
    if (strcmp(step->name, "script") == 0 && step->call->closure != NULL)
        return tp_frame_new_script(f, step, tp_script_new(step));
    /* a stubbed block step (--stubs): its body runs as it is */
    if (step->has_body && tp_steps_find(step->name) == NULL && !tp_steps_is_block(step->name) &&
        tp_stubs_find(f->run->engine->stubs, step->name) != NULL)
        return frame_new_block(f, step);
    /* waitUntil { script { ... } }: the condition is the script block's value */
    if (strcmp(step->name, "waitUntil") == 0 && step->has_body && step->body.count == 1 &&
        strcmp(step->body.items[0].name, "script") == 0 &&
        step->body.items[0].call->closure != NULL)
        return tp_frame_new_script(f, step, tp_script_new(&step->body.items[0]));
    if (step->has_body && tp_steps_is_block(step->name))
        return frame_new_block(f, step);
    return NULL;
}

static void frame_free(struct frame *f)
{
    if (f->parent != NULL) {
        struct frame **link = &f->parent->first_child;
        while (*link != f)
            link = &(*link)->next_sibling;
        *link = f->next_sibling;
    }
    if (f->run->pending_frame == f)
        flush_pending(f->run);
    stop_timer(&f->timer);
    stop_timer(&f->sleep_timer);
    tp_buf_close(&f->error);
    tp_env_close(&f->env);
    tp_linebuf_close(&f->lines);
    tp_script_free(f->script);
    cJSON_Delete(f->step_value);
    free(f->cwd);
    free(f->script_path);
    if (f->stdout_path != NULL)
        unlink(f->stdout_path);
    free(f->stdout_path);
    free(f);
}

static size_t frame_count(const struct frame *f)
{
    if (f->mode == FRAME_SCRIPT || f->mode == FRAME_BRANCHES)
        return 0;
    if (f->mode == FRAME_STEPS)
        return f->steps->count;
    return f->stage == NULL ? f->run->plan->nstages : f->stage->nchildren;
}

static const struct tp_plan_stage *frame_child(const struct frame *f, size_t i)
{
    return f->stage == NULL ? f->run->plan->stages[i] : f->stage->children[i];
}

/* Writes a stage's node row (as it starts, or is skipped). */
static void put_node(struct frame *f, const struct tp_plan_stage *stage, int64_t parent,
                     enum tp_state state, enum tp_result result)
{
    int64_t now = tp_time_now_ms();
    f->node = (struct tp_node_rec){ .run_id = f->run->rec.id,
                                    .node_id = stage->id,
                                    .seq = stage->seq,
                                    .type = is_branch(stage) ? TP_NODE_PARALLEL : TP_NODE_STAGE,
                                    .name = stage->name,
                                    .first_parent = stage->first_parent,
                                    .parent = parent,
                                    .edges = stage->edges,
                                    .state = state,
                                    .result = result,
                                    .start_ms = now,
                                    .end_ms = state == TP_STATE_SKIPPED ? now : 0 };
    save_node(f);
}

static int64_t parent_node(const struct frame *f)
{
    for (const struct frame *p = f->parent; p != NULL; p = p->parent) {
        if (p->stage != NULL)
            return p->stage->id;
    }
    return 0;
}

/* Marks a stage that will not run, and everything inside it, SKIPPED / NOT_BUILT. */
static void skip_tree(struct frame *parent, const struct tp_plan_stage *stage, int64_t parent_id,
                      const char *reason)
{
    struct frame scratch = { .run = parent->run };
    put_node(&scratch, stage, parent_id, TP_STATE_SKIPPED, TP_RESULT_NOT_BUILT);
    if (reason != NULL)
        tp_run_logf(parent->run,
                    "[Pipeline] stage\n[Pipeline] { (%s)\nStage \"%s\" skipped due to %s\n"
                    "[Pipeline] }\n[Pipeline] // stage\n",
                    stage->name, stage->name, reason);
    for (size_t i = 0; i < stage->nchildren; i++)
        skip_tree(parent, stage->children[i], stage->id, NULL);
}

static int when_truth(void *ctx, const struct tp_block *body, bool *out, struct tp_buf *error)
{
    return tp_script_truth(ctx, body, out, error);
}

/*
 * Judges the stage's `when`, in the environment around the stage (its own environment is
 * bound after, as in Jenkins). Returns whether the stage runs; an error in an expression
 * fails the stage.
 */
static bool when_allows(struct frame *f)
{
    const struct tp_plan_stage *stage = f->stage;
    if (stage->when == NULL)
        return true;
    struct tp_when_ctx ctx = { .eval = eval_ctx(f),
                               .cause_class =
                                   tp_engine_cause_class(f->run->rec.cause, f->run->rec.cause_user),
                               .cause_user = f->run->rec.cause_user,
                               .restarted = f->run->rec.restart_from != NULL,
                               .truth = when_truth,
                               .truth_ctx = f };
    struct tp_buf error;
    tp_buf_init(&error);
    bool holds = true;
    if (tp_when_holds(&stage->when->all, &ctx, &holds, &error) < 0) {
        tp_frame_fail(f, TP_RESULT_FAILURE, false, tp_buf_str(&error));
        holds = true; /* the stage is entered, and fails */
    }
    tp_buf_close(&error);
    return holds;
}

/* "FAILURE" -> TP_RESULT_FAILURE (catchError's buildResult/stageResult), else `fallback`. */
static enum tp_result result_named(struct frame *f, const char *arg, enum tp_result fallback)
{
    const struct tp_expr *e = tp_ast_named_arg(f->block->call, arg);
    if (e == NULL || e->kind != TP_EXPR_STRING)
        return fallback;
    for (int r = TP_RESULT_SUCCESS; r <= TP_RESULT_ABORTED; r++) {
        if (strcmp(e->text, tp_result_name((enum tp_result)r)) == 0)
            return (enum tp_result)r;
    }
    return fallback;
}

/*
 * catchError / warnError swallow the failure of their body: the error is logged, the build
 * gets at least buildResult, the enclosing stage stageResult, and the flow goes on.
 * Returns whether the failure was caught.
 */
static bool catch_failure(struct frame *c)
{
    const char *name = c->block != NULL ? c->block->name : "";
    bool warn = strcmp(name, "warnError") == 0;
    if ((!warn && strcmp(name, "catchError") != 0) || c->run->aborting || c->aborting)
        return false;
    const struct tp_expr *message = tp_ast_named_arg(c->block->call, "message");
    if (message == NULL && warn && c->block->call->kind == TP_EXPR_CALL &&
        c->block->call->args.count == 1)
        message = c->block->call->args.items[0];
    struct tp_buf text;
    tp_buf_init(&text);
    if (message == NULL || tp_frame_eval(c, message, &text) < 0) {
        tp_buf_reset(&text);
        tp_buf_puts(&text, c->has_error ? tp_buf_str(&c->error) : "failed");
    }
    tp_run_logf(c->run, "ERROR: %s\n", tp_buf_str(&text));
    tp_buf_close(&text);
    enum tp_result build =
        result_named(c, "buildResult", warn ? TP_RESULT_UNSTABLE : TP_RESULT_FAILURE);
    enum tp_result stage =
        result_named(c, "stageResult", warn ? TP_RESULT_UNSTABLE : TP_RESULT_SUCCESS);
    if (c->result == TP_RESULT_ABORTED) /* an interruption inside: a timeout */
        build = stage = TP_RESULT_ABORTED;
    tp_frame_mark(c->parent, stage, build);
    return true;
}

/* --- block steps: dir, withEnv, timeout, retry, catchError, warnError --- */

int tp_frame_eval_count(struct frame *f, const char *what, const struct tp_expr *e, long long *out)
{
    struct tp_buf error, text;
    tp_buf_init(&error);
    tp_buf_init(&text);
    bool is_number = false;
    int err = tp_script_eval_number(f, e, out, &is_number, &text, &error);
    if (err < 0) {
        tp_frame_fail(f, TP_RESULT_FAILURE, false, tp_buf_str(&error));
    } else if (!is_number) {
        char *end = NULL;
        *out = strtoll(tp_buf_str(&text), &end, 10);
        if (end == tp_buf_str(&text) || *end != '\0') {
            tp_frame_fail(f, TP_RESULT_FAILURE, true,
                          tp_arena_printf(&f->run->arena, "%s expects a number, got '%s'", what,
                                          tp_buf_str(&text)));
            err = TP_EINVAL;
        }
    }
    tp_buf_close(&text);
    tp_buf_close(&error);
    return err;
}

static void on_timeout(uv_timer_t *handle)
{
    struct frame *f = timer_fired(handle);
    if (f == NULL)
        return;
    tp_run_puts(f->run, "Cancelling nested steps due to timeout\n");
    tp_frame_fail(f, TP_RESULT_ABORTED, false, "Timeout has been exceeded");
    abort_frame(f, ABORT_TIMEOUT);
}

/* Output of a step in `f`: the activity timeouts around it start again. */
static void touch_activity(struct frame *f)
{
    for (struct frame *p = f; p != NULL; p = p->parent) {
        if (p->activity_ms > 0 && p->timer != NULL)
            uv_timer_start(&p->timer->handle, on_timeout, p->activity_ms, 0);
    }
}

int tp_frame_duration(struct frame *f, const char *what, const struct tp_expr *call,
                      const char *default_unit, uint64_t *ms)
{
    static const struct {
        const char *name;
        double ms;
    } units[] = { { "NANOSECONDS", 1e-6 }, { "MICROSECONDS", 1e-3 }, { "MILLISECONDS", 1 },
                  { "SECONDS", 1e3 },      { "MINUTES", 60e3 },      { "HOURS", 3600e3 },
                  { "DAYS", 86400e3 } };
    const struct tp_expr *time = tp_step_arg(call, "time");
    const struct tp_expr *unit = tp_ast_named_arg(call, "unit");
    long long amount = 0;
    if (time == NULL) {
        tp_frame_fail(f, TP_RESULT_FAILURE, true,
                      tp_arena_printf(&f->run->arena, "%s requires a time", what));
        return TP_EINVAL;
    }
    if (tp_frame_eval_count(f, what, time, &amount) < 0)
        return TP_EINVAL;
    struct tp_buf name;
    tp_buf_init(&name);
    int err = unit != NULL ? tp_frame_eval(f, unit, &name) : 0;
    if (unit == NULL)
        tp_buf_puts(&name, default_unit);
    double scale = -1;
    for (size_t i = 0; err == 0 && i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(tp_buf_str(&name), units[i].name) == 0)
            scale = units[i].ms;
    }
    if (err == 0 && scale < 0) {
        tp_frame_fail(f, TP_RESULT_FAILURE, true,
                      tp_arena_printf(&f->run->arena,
                                      "No enum constant java.util.concurrent.TimeUnit.%s",
                                      tp_buf_str(&name)));
        err = TP_EINVAL;
    }
    tp_buf_close(&name);
    if (err < 0)
        return err;
    double total = amount > 0 ? (double)amount * scale : 0;
    *ms = total > 1e15 ? (uint64_t)1e15 : (uint64_t)total;
    return 0;
}

/* timeout(time:, unit:) around `f`'s body: the timer aborts the frame when it fires. */
static int enter_timeout(struct frame *f, const struct tp_expr *call)
{
    const struct tp_expr *activity = tp_ast_named_arg(call, "activity");
    uint64_t delay = 0;
    if (tp_frame_duration(f, "timeout", call, "MINUTES", &delay) < 0)
        return TP_EINVAL;
    char span[64];
    tp_time_span(delay, span, sizeof(span));
    if (activity != NULL && activity->kind == TP_EXPR_BOOL && activity->flag) {
        /* activity: the time counts from the body's last line of output */
        tp_run_logf(f->run, "Timeout set to expire after %s without activity\n", span);
        f->activity_ms = delay > 0 ? delay : 1;
        stop_timer(&f->timer);
        f->timer = start_timer(f, delay, on_timeout);
        return 0;
    }
    tp_run_logf(f->run, "Timeout set to expire in %s\n", span);
    if (f->timer != NULL && uv_timer_get_due_in(&f->timer->handle) < delay)
        delay = uv_timer_get_due_in(&f->timer->handle); /* two timeouts: the earlier wins */
    stop_timer(&f->timer);
    f->timer = start_timer(f, delay, on_timeout);
    return 0;
}

/* retry(count) around `f`'s body: up to `count` attempts in all. */
static int enter_retry(struct frame *f, const struct tp_expr *call)
{
    long long count = 0;
    const struct tp_expr *e = tp_step_arg(call, "count");
    int err = TP_EINVAL;
    if (e == NULL)
        tp_frame_fail(f, TP_RESULT_FAILURE, true, "retry requires a count");
    else
        err = tp_frame_eval_count(f, "retry", e, &count);
    f->attempt = 1;
    f->retries = err < 0 ? 0 : count > 1000 ? 1000 : (int)count;
    return err;
}

/* Whether an option of a stage or of the pipeline wraps its body (and is applied here). */
static bool is_wrapper_option(const char *name)
{
    static const char *const wrappers[] = { "timeout", "retry", NULL };
    return tp_str_in(name, wrappers);
}

/* The pipeline options the engine applies (the others are named in the log as not). */
static bool is_applied_option(const char *name)
{
    /* ansiColor: the colours pass through as the plugin leaves them; durabilityHint: every
     * write is committed as it goes whatever the hint */
    static const char *const applied[] = { "parallelsAlwaysFailFast",
                                           "skipStagesAfterUnstable",
                                           "disableConcurrentBuilds",
                                           "buildDiscarder",
                                           "timestamps",
                                           "quietPeriod",
                                           "disableResume",
                                           "disableRestartFromStage",
                                           "preserveStashes",
                                           "ansiColor",
                                           "durabilityHint",
                                           NULL };
    return is_wrapper_option(name) || tp_str_in(name, applied);
}

/* The options of a stage (or, for the root, the pipeline) that wrap its body. */
static void options_of(const struct frame *f, const struct tp_plan_call **options, size_t *n)
{
    *options = f->stage != NULL ? f->stage->options : f->run->plan->options;
    *n = f->stage != NULL ? f->stage->noptions : f->run->plan->noptions;
}

/* Opens the wrapper options of a stage or of the pipeline, in the order written. */
static void open_options(struct frame *f)
{
    const struct tp_plan_call *options;
    size_t n;
    options_of(f, &options, &n);
    for (size_t i = 0; i < n && !f->failed; i++) {
        if (!is_wrapper_option(options[i].name)) {
            if (f->stage != NULL)
                tp_run_logf(f->run, "tidepool: option %s is not applied by tidepool yet\n",
                            options[i].name);
            continue;
        }
        tp_run_logf(f->run, "[Pipeline] %s\n", options[i].name);
        if (strcmp(options[i].name, "timeout") == 0)
            enter_timeout(f, options[i].call);
        else
            enter_retry(f, options[i].call);
        tp_run_puts(f->run, "[Pipeline] {\n");
    }
}

static void close_options(struct frame *f)
{
    const struct tp_plan_call *options;
    size_t n;
    options_of(f, &options, &n);
    stop_timer(&f->timer);
    for (size_t i = n; i-- > 0;) {
        if (is_wrapper_option(options[i].name))
            tp_run_logf(f->run, "[Pipeline] }\n[Pipeline] // %s\n", options[i].name);
    }
}

/* withEnv(['K=V', 'PATH+EXTRA=/dir']): K+X=V prepends V to K with the path separator. */
static int enter_with_env(struct frame *f)
{
    const struct tp_expr *list = tp_step_arg(f->block->call, "overrides");
    if (list == NULL || list->kind != TP_EXPR_LIST) {
        tp_frame_fail(f, TP_RESULT_FAILURE, true, "withEnv expects a list of KEY=VALUE strings");
        return TP_EINVAL;
    }
    struct tp_buf item;
    tp_buf_init(&item);
    int err = 0;
    for (size_t i = 0; i < list->args.count && err == 0; i++) {
        tp_buf_reset(&item);
        err = tp_frame_eval(f, list->args.items[i], &item);
        if (err < 0)
            break;
        if (item.len > 0)
            tp_frame_env_entry(f, item.data); /* NUL-terminated by tp_buf */
    }
    tp_buf_close(&item);
    return err;
}

void tp_frame_env_entry(struct frame *f, char *entry)
{
    char *eq = strchr(entry, '=');
    if (eq == NULL || eq == entry)
        return; /* Jenkins ignores entries that are not KEY=VALUE */
    *eq = '\0';
    char *plus = strchr(entry, '+');
    if (plus == NULL) {
        tp_env_set(&f->env, entry, eq + 1);
        return;
    }
    *plus = '\0';
    const char *old = eval_env(f, entry);
    if (old == NULL || *old == '\0') {
        tp_env_set(&f->env, entry, eq + 1);
    } else {
        char *joined = tp_arena_printf(&f->run->arena, "%s:%s", eq + 1, old);
        tp_env_set(&f->env, entry, joined);
    }
}

const struct tp_tools *tp_engine_tools(const struct tp_engine *engine)
{
    return engine->tools;
}

static void tool_env_entry(void *ctx, const char *entry)
{
    struct frame *f = ctx;
    char *copy = tp_arena_strdup(&f->run->arena, entry);
    tp_frame_env_entry(f, copy);
}

/* Installs one entry of a `tools` directive: `maven 'M3'` gives the installation's
 * environment (tools.h). One --tools does not have is logged, and the host's PATH serves. */
static void install_tool(struct frame *f, const struct tp_plan_call *entry)
{
    const struct tp_expr *call = entry->call;
    const char *version = NULL;
    if (call->args.count != 1 || tp_frame_eval_text(f, call->args.items[0], &version) < 0 ||
        version == NULL)
        return;
    tp_run_puts(f->run, "[Pipeline] tool\n");
    const struct tp_tool *tool = tp_tools_find(f->run->engine->tools, entry->name, version);
    if (tool == NULL) {
        struct tp_buf why;
        tp_buf_init(&why);
        tp_tools_missing(f->run->engine->tools, entry->name, version, &why);
        tp_run_logf(f->run, "tidepool: %s (no such line in --tools): the host's PATH is used\n",
                    tp_buf_str(&why));
        tp_buf_close(&why);
        return;
    }
    tp_run_puts(f->run, "[Pipeline] envVarsForTool\n");
    tp_tools_env(tool, tool_env_entry, f);
}

/*
 * `tools {}` of the pipeline (`root` NULL: in the synthetic stage "Declarative: Tool Install")
 * or of a stage, which also installs the pipeline's tools of the types it does not name, as
 * Jenkins merges them. The steps after run in a withEnv of the installations' variables.
 */
static void open_tools(struct frame *f, const struct tp_plan_call *own, size_t nown,
                       const struct tp_plan_call *root, size_t nroot)
{
    bool synthetic = f->stage == NULL;
    if (synthetic)
        tp_run_puts(f->run, "[Pipeline] stage\n[Pipeline] { (Declarative: Tool Install)\n");
    for (size_t i = 0; i < nown && !f->failed; i++)
        install_tool(f, &own[i]);
    for (size_t i = 0; i < nroot && !f->failed; i++) {
        bool named = false;
        for (size_t j = 0; j < nown; j++)
            named = named || strcmp(own[j].name, root[i].name) == 0;
        if (!named)
            install_tool(f, &root[i]);
    }
    if (synthetic)
        tp_run_puts(f->run, "[Pipeline] }\n[Pipeline] // stage\n");
    tp_run_puts(f->run, "[Pipeline] withEnv\n[Pipeline] {\n");
    f->tools_open = true;
}

/* dir('sub'): later steps run in <cwd>/sub, created when missing. */
static int enter_dir(struct frame *f)
{
    const struct tp_expr *path = tp_step_arg(f->block->call, "path");
    if (path == NULL) {
        tp_frame_fail(f, TP_RESULT_FAILURE, true, "dir requires a path");
        return TP_EINVAL;
    }
    const char *text;
    int err = tp_frame_eval_text(f, path, &text);
    if (err < 0)
        return err;
    char *cwd = tp_xstrdup(tp_frame_path(f, text));
    free(f->cwd);
    f->cwd = cwd;
    tp_run_logf(f->run, "Running in %s\n", cwd);
    err = tp_fs_mkdir_p(cwd);
    if (err < 0)
        tp_frame_fail(
            f, TP_RESULT_FAILURE, true,
            tp_arena_printf(&f->run->arena, "cannot create %s: %s", cwd, tp_strerror(err)));
    return err;
}

static void enter_block(struct frame *f)
{
    const char *name = f->block->name;
    if (f->quiet)
        return;
    if (f->branch != NULL) {
        tp_run_logf(f->run, "[Pipeline] { (Branch: %s)\n", f->branch);
        f->node.state = TP_STATE_RUNNING;
        f->node.result = TP_RESULT_UNKNOWN;
        f->node.start_ms = tp_time_now_ms();
        save_node(f);
        return;
    }
    tp_run_logf(f->run, "[Pipeline] %s\n", name);
    if (f->mode == FRAME_BRANCHES)
        return;
    int err = 0;
    if (strcmp(name, "dir") == 0) {
        err = enter_dir(f);
    } else if (strcmp(name, "withEnv") == 0) {
        err = enter_with_env(f);
    } else if (strcmp(name, "timeout") == 0) {
        err = enter_timeout(f, f->block->call);
    } else if (strcmp(name, "retry") == 0) {
        err = enter_retry(f, f->block->call);
    } else if (!tp_steps_is_block(name) && strcmp(name, "script") != 0 &&
               tp_stubs_find(f->run->engine->stubs, name) != NULL) {
        const struct tp_stub *stub = tp_stubs_find(f->run->engine->stubs, name);
        tp_run_logf(f->run, "tidepool stub: %s (%s)\n", name,
                    stub->kind == TP_STUB_NOOP ? "noop, its body runs" : "fail");
        if (stub->kind != TP_STUB_NOOP)
            tp_frame_fail(f, TP_RESULT_FAILURE, true,
                          tp_arena_printf(&f->run->arena, "%s is stubbed to fail%s", name,
                                          stub->kind == TP_STUB_SHELL
                                              ? " (a block step's stub is noop or fail)"
                                              : ""));
    } else if (strcmp(name, "waitUntil") == 0 && f->script == NULL) {
        tp_frame_fail(f, TP_RESULT_FAILURE, true,
                      "waitUntil's condition is Groovy: write waitUntil { script { ... } }");
    } else if (strcmp(name, "lock") == 0) {
        tp_lock_enter(f); /* it opens the body when the resource is its */
        return;
    } else if (strcmp(name, "sshagent") == 0) {
        tp_sshagent_enter(f); /* it opens the body when the agent is up */
        return;
    } else if (strcmp(name, "withCredentials") == 0) {
        err = tp_credentials_with(f, tp_step_arg(f->block->call, "bindings"));
    } else if (strcmp(name, "node") == 0) {
        /* node { } inside script: the run's own workspace on the built-in node */
        tp_run_logf(f->run, "Running on Jenkins in %s\n", f->run->workspace);
    } else if (strcmp(name, "timestamps") == 0) {
        f->run->timestamps = true; /* from here on, as the wrapper's lines are */
    } else if (strcmp(name, "stage") == 0) {
        /* stage('x') { } inside script: its steps belong to the stage around it, as Blue
         * Ocean shows a stage nested in a stage; STAGE_NAME is its name */
        const char *title = NULL;
        if (tp_frame_eval_text(f, tp_step_arg(f->block->call, "name"), &title) == 0 &&
            title != NULL) {
            tp_env_set(&f->env, "STAGE_NAME", title);
            tp_run_logf(f->run, "[Pipeline] { (%s)\n", title);
            return;
        }
        if (title == NULL && !f->failed)
            tp_frame_fail(f, TP_RESULT_FAILURE, true, "stage requires a name");
    }
    (void)err; /* a failed entry has failed the frame: its body is skipped */
    tp_run_puts(f->run, "[Pipeline] {\n");
}

static void leave_block(struct frame *f)
{
    stop_timer(&f->timer);
    if (f->quiet)
        return;
    if (f->branch != NULL) {
        tp_run_puts(f->run, "[Pipeline] }\n");
        enum tp_result result = f->result;
        if ((f->failed || f->aborting) && result == TP_RESULT_SUCCESS)
            result = TP_RESULT_ABORTED;
        f->node.state = TP_STATE_FINISHED;
        f->node.result = tp_result_worse(result, f->marked);
        f->node.end_ms = tp_time_now_ms();
        save_node(f);
        return;
    }
    if (f->mode == FRAME_BRANCHES) {
        tp_run_puts(f->run, "[Pipeline] // parallel\n");
        return;
    }
    tp_run_puts(f->run, "[Pipeline] }\n");
    tp_lock_leave(f); /* a lock's resource goes to the next in line */
    tp_sshagent_leave(f);
    if ((f->failed || f->aborting) && catch_failure(f))
        f->caught = true;
    tp_run_logf(f->run, "[Pipeline] // %s\n", f->block->name);
}

/* retry (the step, or a stage's or the pipeline's option): a failed body runs again from the
 * start until `count` attempts are used. A stopped run or an expired timeout is not retried. */
static bool retry_again(struct frame *f)
{
    if (!f->failed || f->attempt >= f->retries || f->aborting || f->run->aborting)
        return false;
    tp_run_puts(f->run, "[Pipeline] }\n");
    tp_run_logf(f->run, "ERROR: %s\nRetrying\n[Pipeline] {\n",
                f->has_error ? tp_buf_str(&f->error) : "failed");
    f->attempt++;
    f->failed = false;
    f->result = TP_RESULT_SUCCESS;
    f->has_error = false;
    tp_buf_reset(&f->error);
    f->index = 0;
    f->started = f->body_done = false;
    if (f->script != NULL)
        tp_script_reset(f->script);
    return true;
}

/* The environment is in place: what comes after it as a stage (or the pipeline) is entered —
 * the pipeline's options wrappers, then tools. */
static void finish_entry(struct frame *f)
{
    struct run *run = f->run;
    if (f->stage == NULL) {
        open_options(f);
        if (run->plan->ntools > 0 && !f->failed)
            open_tools(f, run->plan->tools, run->plan->ntools, NULL, 0);
        return;
    }
    if (f->stage->ntools > 0 && !f->failed)
        open_tools(f, f->stage->tools, f->stage->ntools, run->plan->tools, run->plan->ntools);
}

static void start_environment(struct frame *f, const struct tp_plan_env *items, size_t n)
{
    f->env_items = items;
    f->env_count = n;
    f->env_next = 0;
    f->env_started = true;
}

/* Evaluates the next entries of the frame's `environment {}`: at once, or, for a value that
 * calls a function, in a quiet script frame the frame waits for. Then the withEnv opens (as
 * Jenkins evaluates the values first) and the rest of the entry follows. */
static enum progress continue_environment(struct frame *f)
{
    static const struct tp_plan_step env_step = { .name = "environment" };
    while (f->env_next < f->env_count && !f->failed) {
        const struct tp_plan_env *item = &f->env_items[f->env_next];
        if (calls_function(item->value)) {
            struct frame *c = tp_frame_new_script(f, &env_step, tp_script_for_value(item->value));
            c->quiet = true;
            f->env_child = c;
            f->env_pending = true;
            frame_continue(c);
            return PROGRESS_WAIT;
        }
        apply_env_entry(f, item);
        f->env_next++;
    }
    f->env_done = true;
    if (f->env_count > 0 && !f->failed) {
        tp_run_puts(f->run, "[Pipeline] withEnv\n[Pipeline] {\n");
        f->env_opened = true;
        if (f->stage == NULL)
            f->run->env_opened = true;
    }
    finish_entry(f);
    return PROGRESS_MORE;
}

/* The script frame evaluating an environment value ended: its value is the variable's, or its
 * failure the frame's. */
static void env_child_ended(struct frame *p, struct frame *c)
{
    p->env_pending = false;
    p->env_child = NULL;
    if ((c->failed || c->aborting) && !c->caught) {
        p->failed = true;
        enum tp_result result = c->result;
        if (c->aborting && result == TP_RESULT_SUCCESS)
            result = TP_RESULT_ABORTED;
        p->result = tp_result_worse(p->result, result);
        if (c->has_error && !p->has_error) {
            p->has_error = true;
            p->abort_style = c->abort_style;
            tp_buf_puts(&p->error, tp_buf_str(&c->error));
        }
        return;
    }
    struct tp_buf value;
    tp_buf_init(&value);
    tp_script_result_text(c->script, &value);
    tp_env_set(&p->env, p->env_items[p->env_next].key, tp_buf_str(&value));
    tp_buf_close(&value);
    p->env_next++;
}

/* A stage that is not entered: its line in the log, and its node (and its children's)
 * SKIPPED / NOT_BUILT. */
static void skip_stage(struct frame *f, const char *why)
{
    const struct tp_plan_stage *stage = f->stage;
    struct run *run = f->run;
    f->skipped = true;
    if (is_branch(stage))
        tp_run_logf(run, "[Pipeline] { (Branch: %s)\n", stage->name);
    tp_run_logf(run, "[Pipeline] stage\n[Pipeline] { (%s)\n%s\n[Pipeline] }\n[Pipeline] // stage\n",
                stage->name, why);
    if (is_branch(stage))
        tp_run_puts(run, "[Pipeline] }\n");
    struct frame scratch = { .run = run };
    put_node(&scratch, stage, parent_node(f), TP_STATE_SKIPPED, TP_RESULT_NOT_BUILT);
    for (size_t i = 0; i < stage->nchildren; i++)
        skip_tree(f, stage->children[i], stage->id, NULL);
}

/* A run restarted from a top-level stage skips the top-level stages before it. */
static bool restart_skips(struct frame *f)
{
    struct run *run = f->run;
    if (run->rec.restart_from == NULL || run->restart_reached || f->parent == NULL ||
        f->parent->stage != NULL || f->parent->block != NULL)
        return false;
    if (strcmp(f->stage->name, run->rec.restart_from) == 0) {
        run->restart_reached = true;
        return false;
    }
    return true;
}

static void enter_frame(struct frame *f)
{
    const struct tp_plan_stage *stage = f->stage;
    struct run *run = f->run;
    f->entered = true;
    if (f->block != NULL) {
        enter_block(f);
        return;
    }
    if (stage == NULL) {
        start_environment(f, run->plan->env, run->plan->nenv);
        return;
    }
    if (restart_skips(f)) {
        skip_stage(f, tp_arena_printf(&run->arena,
                                      "Stage \"%s\" skipped due to this build restarting at stage "
                                      "\"%s\"",
                                      stage->name, run->rec.restart_from));
        return;
    }
    if (!when_allows(f)) {
        skip_stage(f, tp_arena_printf(&run->arena, "Stage \"%s\" skipped due to when conditional",
                                      stage->name));
        return;
    }
    put_node(f, stage, parent_node(f), TP_STATE_RUNNING, TP_RESULT_UNKNOWN);
    if (is_branch(stage))
        tp_run_logf(run, "[Pipeline] { (Branch: %s)\n", stage->name);
    tp_run_logf(run, "[Pipeline] stage\n[Pipeline] { (%s)\n", stage->name);
    open_options(f);
    if (f->failed)
        return;
    if (stage->agent.kind > TP_AGENT_NODE) {
        tp_frame_fail(f, TP_RESULT_FAILURE, true,
                      "tidepool does not run docker or kubernetes agents yet");
        return;
    }
    f->opened = true;
    if (has_own_node(stage))
        tp_run_logf(run, "[Pipeline] node\nRunning on Jenkins in %s\n[Pipeline] {\n",
                    run->workspace);
    tp_env_set(&f->env, "STAGE_NAME", stage->name);
    start_environment(f, stage->env, stage->nenv);
}

static void leave_frame(struct frame *f)
{
    const struct tp_plan_stage *stage = f->stage;
    struct run *run = f->run;
    if (f->block != NULL) {
        leave_block(f);
        return;
    }
    if (f->tools_open)
        tp_run_puts(run, "[Pipeline] }\n[Pipeline] // withEnv\n");
    if (stage == NULL) {
        close_options(f);
        return;
    }
    if (f->skipped)
        return;
    if (f->opened) {
        if (f->env_opened)
            tp_run_puts(run, "[Pipeline] }\n[Pipeline] // withEnv\n");
        if (has_own_node(stage))
            tp_run_puts(run, "[Pipeline] }\n[Pipeline] // node\n");
    }
    close_options(f);
    tp_run_puts(run, "[Pipeline] }\n[Pipeline] // stage\n");
    if (is_branch(stage))
        tp_run_puts(run, "[Pipeline] }\n");
    f->node.state = TP_STATE_FINISHED;
    enum tp_result result = tp_result_worse(f->result, f->marked);
    f->node.result = f->aborting && result == TP_RESULT_SUCCESS ? TP_RESULT_ABORTED : result;
    f->node.end_ms = tp_time_now_ms();
    save_node(f);
}

/* Ends the current step row with `result`; a failure fails the frame. */
static void complete_step(struct frame *f, enum tp_result result, const char *error)
{
    if (f->script != NULL) {
        /* Inside Groovy a failed step throws: the script decides what it does to the frame. */
        if (f->step_active && f->step_value != NULL) {
            char *json = cJSON_PrintUnformatted(f->step_value);
            f->step.value = json != NULL ? tp_arena_strdup(&f->run->arena, json) : NULL;
            free(json);
        }
        if (f->step_active) {
            tp_script_step_ended(f, result, error, f->step_value);
            f->step_value = NULL;
        }
        goto row;
    }
    if (f->step_active && f->step_value != NULL && !f->run->resuming) {
        char *json = cJSON_PrintUnformatted(f->step_value); /* kept for a resume */
        f->step.value = json != NULL ? tp_arena_strdup(&f->run->arena, json) : NULL;
        free(json);
    }
    cJSON_Delete(f->step_value);
    f->step_value = NULL;
    if (result == TP_RESULT_ABORTED)
        tp_frame_fail(f, TP_RESULT_ABORTED, true, NULL);
    else if (error != NULL)
        tp_frame_fail(f, result, true, error);
    if (f->post_block_active && (error != NULL || result == TP_RESULT_ABORTED)) {
        f->post_block_failed = true;
        if (error != NULL)
            tp_run_logf(f->run, "Error when executing %s post condition:\n%s\n",
                        tp_post_condition_name(f->post_condition), error);
    }
row:
    if (!f->step_active)
        return;
    flush_pending(f->run);
    f->step.state = TP_STATE_FINISHED;
    f->step.result = result;
    f->step.end_ms = tp_time_now_ms();
    f->step.error = error != NULL ? tp_arena_strdup(&f->run->arena, error) : NULL;
    save_step(f);
    f->step_active = false;
}

/* Moves past the step that just ended: in the body, or in the running post block. */
static void step_done(struct frame *f)
{
    if (f->script != NULL)
        return; /* the script's next pass goes on from its memo */
    if (f->stage_input_active)
        f->stage_input_active = false; /* it was before the body: no body step is done */
    else if (f->post_block_active)
        f->post_index++;
    else
        f->index++;
}

void tp_frame_step_finished(struct frame *f, enum tp_result result, const char *error)
{
    complete_step(f, result, error);
    step_done(f);
    frame_continue(f);
}

/* The node a step of `f` belongs to in Blue Ocean: its stage, or, for the pipeline's post
 * (the synthetic "Declarative: Post Actions" stage, never a node), the last stage. */
static int64_t step_node(const struct frame *f)
{
    for (const struct frame *p = f; p != NULL; p = p->parent) {
        if (p->branch != NULL)
            return p->node.node_id; /* a branch of Groovy's parallel */
    }
    if (f->stage != NULL)
        return f->stage->id;
    const struct tp_plan *plan = f->run->plan;
    return plan->nstages ? plan->stages[plan->nstages - 1]->id : 0;
}

/* An id for a flow node the plan did not number (a step run again, a stage's input). */
static int64_t dynamic_id(struct run *run)
{
    if (run->next_dynamic_id <= run->plan->last_id)
        run->next_dynamic_id = run->plan->last_id + 1;
    return run->next_dynamic_id++;
}

int64_t tp_run_dynamic_id(struct run *run)
{
    return dynamic_id(run);
}

/* Opens the row of a step of `f` and its "[Pipeline] name" line. */
static void open_step(struct frame *f, const struct tp_step_def *def, int64_t id)
{
    struct run *run = f->run;
    f->step = (struct tp_step_rec){ .run_id = run->rec.id,
                                    .step_id = id,
                                    .seq = ++run->steps_started,
                                    .node_id = step_node(f),
                                    .name = def->name,
                                    .display_name = def->display_name,
                                    .state = TP_STATE_RUNNING,
                                    .result = TP_RESULT_UNKNOWN,
                                    .start_ms = tp_time_now_ms() };
    f->step_active = true;
    f->step_error = NULL;
    f->step_log_size = 0;
    tp_run_logf(run, "[Pipeline] %s\n", def->name);
}

/* After a step's start: saves a step that runs on, or completes one that is done. Returns
 * whether it is done. */
static bool finish_start(struct frame *f, enum tp_step_status status)
{
    if (status == TP_STEP_PENDING) {
        save_step(f);
        return false;
    }
    complete_step(f, f->step.result, f->step.result == TP_RESULT_FAILURE ? f->step_error : NULL);
    return true;
}

/* The stored step `id` of a run being resumed, or NULL. */
static const struct tp_step_rec *resumed_step(const struct run *run, int64_t id)
{
    for (size_t i = 0; i < run->ndone; i++) {
        if (run->done[i].step_id == id)
            return &run->done[i];
    }
    return NULL;
}

/* The walk has caught up with the run as it was: from here on it logs and saves again. The
 * input it was paused at waits again (its rows say so already); anything else means the walk
 * went another way than before (a `when` on the time, say), which the log says. */
static void end_resume(struct run *run, bool at_input)
{
    run->resuming = false;
    char when[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof(when), "%a %b %d %H:%M:%S UTC %Y", &tm);
    tp_run_logf(run, "Resuming build at %s after tidepool restart\n", when);
    if (!at_input)
        tp_run_puts(run, "tidepool: the resumed run did not come back to the input it was "
                         "waiting at; it goes on from here\n");
    save_run(run);
}

/*
 * While a run is resumed: a step that had finished is answered from the store (returns true:
 * the step is open with its stored outcome, and done). Otherwise the walk has caught up:
 * returns false, `*paused` telling whether this is the step the run was paused at (the caller
 * starts it silently, then ends the resume).
 */
static bool replay_step(struct frame *f, const struct tp_step_def *def, int64_t id, bool *paused)
{
    struct run *run = f->run;
    *paused = false;
    if (!run->resuming)
        return false;
    const struct tp_step_rec *was = resumed_step(run, id);
    if (was != NULL && was->state == TP_STATE_FINISHED) {
        open_step(f, def, id);
        f->step = *was;
        f->step_error = was->error;
        if (was->value != NULL)
            f->step_value = cJSON_Parse(was->value);
        return true;
    }
    *paused = was != NULL && was->state == TP_STATE_PAUSED;
    if (!*paused)
        end_resume(run, false);
    return false;
}

const struct tp_stub *tp_engine_stub(const struct tp_engine *engine, const char *name)
{
    return tp_stubs_find(engine->stubs, name);
}

/* A stubbed step (--stubs): logged, then a no-op, a failure, or its shell command run as sh
 * runs a script (the call's arguments as JSON in TP_STUB_ARGS). */
static enum tp_step_status start_stub(struct frame *f, const struct tp_plan_step *step,
                                      const struct tp_stub *stub)
{
    static const char *const kinds[] = { "noop", "shell", "fail" };
    tp_run_logf(f->run, "tidepool stub: %s (%s)\n", step->name, kinds[stub->kind]);
    if (stub->kind == TP_STUB_NOOP) {
        f->step.result = TP_RESULT_SUCCESS;
        return TP_STEP_DONE;
    }
    if (stub->kind == TP_STUB_FAIL) {
        tp_frame_fail(f, TP_RESULT_FAILURE, true,
                      tp_arena_printf(&f->run->arena, "%s is stubbed to fail", step->name));
        f->step.result = TP_RESULT_FAILURE;
        return TP_STEP_DONE;
    }
    cJSON *args = cJSON_CreateObject(), *positional = cJSON_AddArrayToObject(args, "args");
    struct tp_buf text;
    tp_buf_init(&text);
    const struct tp_expr *call = step->call;
    for (size_t i = 0; call->kind == TP_EXPR_CALL && i < call->args.count && !f->failed; i++) {
        tp_buf_reset(&text);
        if (tp_frame_eval(f, call->args.items[i], &text) == 0)
            cJSON_AddItemToArray(positional, cJSON_CreateString(tp_buf_str(&text)));
    }
    for (size_t i = 0; i < call->named.count && !f->failed; i++) {
        const struct tp_named *n = &call->named.items[i];
        tp_buf_reset(&text);
        if (n->key->kind == TP_EXPR_STRING && tp_frame_eval(f, n->value, &text) == 0)
            cJSON_AddStringToObject(args, n->key->text, tp_buf_str(&text));
    }
    tp_buf_close(&text);
    char *json = cJSON_PrintUnformatted(args);
    cJSON_Delete(args);
    if (f->failed) {
        free(json);
        f->step.result = TP_RESULT_FAILURE;
        return TP_STEP_DONE;
    }
    f->step.description = tp_arena_strdup(&f->run->arena, stub->command);
    tp_env_set(&f->env, "TP_STUB_ARGS", json);
    free(json);
    enum tp_step_status status = tp_frame_run_script(f, stub->command, TP_SCRIPT_LOG);
    tp_env_unset(&f->env, "TP_STUB_ARGS");
    return status;
}

/* Starts one step; returns whether it already finished. */
static bool start_step(struct frame *f, const struct tp_plan_step *step)
{
    struct run *run = f->run;
    const struct tp_step_def *def = tp_steps_find(step->name);
    const struct tp_stub *stub =
        def == NULL || def->notify ? tp_stubs_find(run->engine->stubs, step->name) : NULL;
    if (stub != NULL) {
        struct tp_step_def stub_def = { step->name, step->name, false, NULL, false };
        int64_t id = step->id;
        for (const struct frame *p = f; p != NULL && id == step->id; p = p->parent) {
            if (p->attempt > 1)
                id = dynamic_id(run);
        }
        bool paused;
        if (replay_step(f, &stub_def, id, &paused))
            return finish_start(f, TP_STEP_DONE);
        open_step(f, &stub_def, id);
        f->in_step_start = true;
        enum tp_step_status status = start_stub(f, step, stub);
        f->in_step_start = false;
        return finish_start(f, status);
    }
    if (def == NULL) {
        /* Jenkins fails before creating any flow node for an unknown method. */
        struct tp_buf message;
        tp_buf_init(&message);
        bool later = tp_steps_is_jenkins(step->name);
        bool block = tp_steps_is_block(step->name);
        if (block) {
            tp_buf_printf(&message, "%s needs a block: %s(...) { ... } (line %d)", step->name,
                          step->name, step->line);
        } else if (later) {
            tp_buf_printf(&message, "tidepool does not support the '%s' step yet (line %d)",
                          step->name, step->line);
        } else {
            tp_buf_printf(&message,
                          "java.lang.NoSuchMethodError: No such DSL method '%s' found among "
                          "steps ",
                          step->name);
            tp_steps_list(&message);
        }
        tp_frame_fail(f, TP_RESULT_FAILURE, later || block, tp_buf_str(&message));
        tp_buf_close(&message);
        return true;
    }
    bool has_node = run->plan->agent.kind != TP_AGENT_NONE;
    for (const struct frame *p = f; p != NULL && !has_node; p = p->parent)
        has_node = p->stage != NULL && has_own_node(p->stage);
    if (def->needs_node && !has_node) {
        /* Under `agent none` a stage without an agent has no node and no workspace. */
        tp_frame_fail(f, TP_RESULT_FAILURE, false,
                      "Attempted to execute a step that requires a node context while ‘agent "
                      "none’ was specified. Be sure to specify your own ‘node { ... }’ blocks when "
                      "using ‘agent none’.");
        return true;
    }
    /* A step run again (inside a retry's later attempt) is a new flow node: a new id. */
    int64_t id = step->id;
    for (const struct frame *p = f; p != NULL && id == step->id; p = p->parent) {
        if (p->attempt > 1)
            id = dynamic_id(run);
    }
    bool paused;
    if (replay_step(f, def, id, &paused))
        return finish_start(f, TP_STEP_DONE);
    open_step(f, def, id);
    f->in_step_start = true;
    enum tp_step_status status = def->start(f, step);
    f->in_step_start = false;
    bool done = finish_start(f, status);
    if (paused)
        end_resume(run, true);
    return done;
}

bool tp_frame_start_step(struct frame *f, const struct tp_plan_step *step)
{
    return start_step(f, step);
}

/* A stage's `input` directive: an input step (with an id of its own) before the body. */
static bool start_stage_input(struct frame *f)
{
    const struct tp_plan_input *in = f->stage->input;
    const struct tp_step_def *def = tp_steps_find("input");
    int64_t id = dynamic_id(f->run);
    f->stage_input_active = true;
    bool paused, done;
    if (replay_step(f, def, id, &paused)) {
        /* approved before the restart: its values are the stage's environment again */
        const cJSON *v = f->step_value;
        for (size_t i = 0; v != NULL && i < in->nparams; i++) {
            const cJSON *one = cJSON_IsObject(v)
                                   ? cJSON_GetObjectItemCaseSensitive(v, in->params[i].name)
                               : in->nparams == 1 ? v
                                                  : NULL;
            const char *text = cJSON_IsBool(one) ? (cJSON_IsTrue(one) ? "true" : "false")
                                                 : cJSON_GetStringValue(one);
            if (text != NULL)
                tp_env_set(&f->env, in->params[i].name, text);
        }
        done = finish_start(f, TP_STEP_DONE);
    } else {
        open_step(f, def, id);
        const char *by = NULL;
        if (tp_frame_eval_text(f, in->submitter_parameter, &by) < 0) {
            f->step.result = TP_RESULT_FAILURE;
            done = finish_start(f, TP_STEP_DONE);
        } else {
            f->input_submitter_parameter = by;
            done = finish_start(f, tp_frame_input(f, in->message, in->id, in->ok, in->submitter,
                                                  in->params, in->nparams, false));
        }
        if (paused)
            end_resume(f->run, true);
    }
    if (done)
        f->stage_input_active = false;
    return done;
}

/* skipStagesAfterUnstable: whether the build is UNSTABLE so far, and so the next stages are
 * skipped. */
static bool skip_unstable(const struct frame *f)
{
    const struct run *run = f->run;
    if (!run->skip_after_unstable)
        return false;
    enum tp_result now = run->result_floor;
    for (const struct frame *p = f; p != NULL; p = p->parent)
        now = tp_result_worse(now, tp_result_worse(p->result, p->marked));
    return now == TP_RESULT_UNSTABLE;
}

/* Whether the next stages of a sequence must be skipped. */
static bool must_skip(const struct frame *f)
{
    return f->failed || f->aborting || f->run->aborting;
}

/*
 * Takes a finished child's outcome into its parent: its result (always: an unstable stage
 * makes its parent unstable too), its failure and first error (unless caught). A branch
 * aborted because a sibling failed (failFast) leaves the stage FAILURE, not ABORTED.
 */
static void absorb(struct frame *p, struct frame *c)
{
    if (p->env_pending && c == p->env_child) {
        env_child_ended(p, c);
        return;
    }
    if (p->mode == FRAME_SCRIPT) {
        tp_script_child_ended(p, c); /* Groovy called the block: it sees the outcome */
        return;
    }
    bool failed = c->failed || c->aborting;
    enum tp_result result = c->result;
    if (c->aborting && result == TP_RESULT_SUCCESS)
        result = TP_RESULT_ABORTED;
    if (p->stage != NULL) /* an unstable branch shows its parallel stage unstable too */
        p->marked = tp_result_worse(p->marked, c->marked);
    if (failed && c->caught) {
        failed = false;
    } else {
        if (!(c->abort_reason == ABORT_FAILFAST && result == TP_RESULT_ABORTED))
            p->result = tp_result_worse(p->result, result);
        if (failed) {
            p->failed = true;
            if (c->has_error && !p->has_error) {
                p->has_error = true;
                p->abort_style = c->abort_style;
                tp_buf_puts(&p->error, tp_buf_str(&c->error));
            }
        }
    }
    if (p->mode == FRAME_BRANCHES && p->parent != NULL && p->parent->mode == FRAME_SCRIPT)
        tp_script_branch_ended(p->parent, c);
    if (p->mode == FRAME_PARALLEL || p->mode == FRAME_BRANCHES) {
        p->running--;
        if (failed && result == TP_RESULT_FAILURE) {
            tp_run_logf(p->run, "Failed in branch %s\n",
                        c->branch != NULL ? c->branch : c->stage->name);
            /* failFast: a failing branch aborts the others. */
            if ((p->mode == FRAME_BRANCHES ? p->fail_fast : p->stage->fail_fast) ||
                p->run->plan->fail_fast_all) {
                for (struct frame *b = p->first_child; b != NULL; b = b->next_sibling)
                    abort_frame(b, ABORT_FAILFAST);
            }
        }
    } else {
        if (failed && p->post_block_active) {
            p->post_block_failed = true;
            if (c->has_error)
                tp_run_logf(p->run, "Error when executing %s post condition:\n%s\n",
                            tp_post_condition_name(p->post_condition), tp_buf_str(&c->error));
        }
        step_done(p);
    }
}

static void finish_frame(struct frame *f)
{
    struct run *run = f->run;
    struct frame *parent = f->parent;
    leave_frame(f);
    if (parent == NULL) {
        /* The root's outcome is the run's. */
        run->result = tp_result_worse(f->result, run->result_floor);
        if (f->has_error) {
            run->failed = true;
            run->abort_style = f->abort_style;
            tp_buf_puts(&run->error, tp_buf_str(&f->error));
        }
        frame_free(f);
        run->root = NULL;
        run_end(run);
        return;
    }
    absorb(parent, f);
    frame_free(f);
    frame_continue(parent);
}

static enum progress advance_body(struct frame *f);

/* The result a post condition is judged against: the stage's (or the run's, for the
 * pipeline's post) as it stands now. */
static enum tp_result post_result(const struct frame *f)
{
    if (f->run->aborting || f->aborting)
        return TP_RESULT_ABORTED;
    if (f->stage == NULL)
        return tp_result_worse(f->result, f->run->result_floor);
    return tp_result_worse(f->result, f->marked);
}

/* Whether a post condition holds, in the plugin's terms. */
static bool post_holds(const struct frame *f, enum tp_post_condition condition)
{
    enum tp_result now = post_result(f), before = f->run->previous_result;
    bool has_before = before != TP_RESULT_NONE;
    switch (condition) {
    case TP_POST_ALWAYS:
    case TP_POST_CLEANUP:
        return true;
    case TP_POST_CHANGED:
        return !has_before || now != before;
    case TP_POST_FIXED:
        return (before == TP_RESULT_FAILURE || before == TP_RESULT_UNSTABLE) &&
               now == TP_RESULT_SUCCESS;
    case TP_POST_REGRESSION:
        return has_before && now != before && tp_result_worse(now, before) == now;
    case TP_POST_ABORTED:
        return now == TP_RESULT_ABORTED;
    case TP_POST_SUCCESS:
        return now == TP_RESULT_SUCCESS;
    case TP_POST_UNSUCCESSFUL:
        return now != TP_RESULT_SUCCESS;
    case TP_POST_UNSTABLE:
        return now == TP_RESULT_UNSTABLE;
    case TP_POST_FAILURE:
        return now == TP_RESULT_FAILURE;
    case TP_POST_NOT_BUILT:
        return now == TP_RESULT_NOT_BUILT;
    default:
        return false;
    }
}

/*
 * The post section: each condition in the plugin's order, judged just before it would run
 * (so a failure in `always` makes `failure` hold); a failing block is reported and the
 * remaining conditions still run. The pipeline's post is the synthetic stage
 * "Declarative: Post Actions".
 */
static enum progress advance_post(struct frame *f)
{
    const struct tp_plan_post *post = f->post;
    if (!f->post_started) {
        f->post_started = true;
        if (f->stage == NULL)
            tp_run_puts(f->run, "[Pipeline] stage\n[Pipeline] { (Declarative: Post Actions)\n");
    }
    while (f->post_condition < TP_POST_COUNT) {
        enum tp_post_condition c = (enum tp_post_condition)f->post_condition;
        if (!f->post_block_active) {
            if (!post->present[c] || !post_holds(f, c)) {
                f->post_condition++;
                continue;
            }
            f->post_block_active = true;
            f->post_block_failed = false;
            f->post_index = 0;
        }
        const struct tp_plan_steps *steps = &post->blocks[c];
        if (f->post_index < steps->count && !f->post_block_failed) {
            const struct tp_plan_step *step = &steps->items[f->post_index];
            struct frame *block = block_frame(f, step);
            if (block != NULL) {
                frame_continue(block);
                return PROGRESS_WAIT;
            }
            if (start_step(f, step)) {
                f->post_index++;
                return PROGRESS_MORE;
            }
            return PROGRESS_WAIT;
        }
        f->post_block_active = false;
        f->post_condition++;
    }
    if (f->stage == NULL)
        tp_run_puts(f->run, "[Pipeline] }\n[Pipeline] // stage\n");
    f->post_done = true;
    return PROGRESS_MORE;
}

/* Does one unit of work of a frame. */
static enum progress frame_advance(struct frame *f)
{
    if (!f->entered) {
        enter_frame(f);
        return PROGRESS_MORE;
    }
    if (f->skipped || f->lock_skip)
        return PROGRESS_DONE;
    if (f->env_pending)
        return PROGRESS_WAIT; /* an environment value is being evaluated */
    if (f->env_started && !f->env_done)
        return continue_environment(f);
    if (f->lock_waiting || f->agent_starting)
        return PROGRESS_WAIT; /* the resource's release, or the agent's start, resumes it */
    if (f->stage != NULL && f->block == NULL && f->stage->input != NULL && !f->input_asked &&
        !must_skip(f)) {
        f->input_asked = true;
        return start_stage_input(f) ? PROGRESS_MORE : PROGRESS_WAIT;
    }
    enum progress body = advance_body(f);
    if (body != PROGRESS_DONE)
        return body;
    if (retry_again(f))
        return PROGRESS_MORE;
    if (f->post != NULL && !f->post_done)
        return advance_post(f);
    return PROGRESS_DONE;
}

static void on_wait_again(uv_timer_t *handle)
{
    struct frame *f = timer_fired(handle);
    if (f == NULL)
        return;
    if (!f->kill_sent)
        tp_script_reset(f->script); /* the condition runs again from its start */
    frame_continue(f);
}

/* waitUntil: the condition was false; it runs again after a pause that grows by a fifth each
 * time, from initialRecurrencePeriod (250 ms) up to 15 s, as Jenkins does. */
static enum progress wait_again(struct frame *f)
{
    if (f->wait_delay == 0) {
        long long first = 250;
        const struct tp_expr *e = tp_ast_named_arg(f->block->call, "initialRecurrencePeriod");
        if (e != NULL && tp_frame_eval_count(f, "waitUntil", e, &first) < 0)
            return PROGRESS_DONE;
        f->wait_delay = first < 1 ? 1 : first > 15000 ? 15000 : (uint64_t)first;
    } else {
        f->wait_delay = f->wait_delay * 6 / 5 > 15000 ? 15000 : f->wait_delay * 6 / 5;
    }
    const struct tp_expr *quiet = tp_ast_named_arg(f->block->call, "quiet");
    if (!(quiet != NULL && quiet->kind == TP_EXPR_BOOL && quiet->flag)) {
        char span[64];
        tp_time_span(f->wait_delay, span, sizeof(span));
        tp_run_logf(f->run, "Will try again after %s\n", span);
    }
    f->kill_sent = false;
    f->sleep_timer = start_timer(f, f->wait_delay, on_wait_again);
    return PROGRESS_WAIT;
}

/* Does one unit of work of the frame's body (its steps, or its stages, or its branches). */
static enum progress advance_body(struct frame *f)
{
    size_t n = frame_count(f);
    switch (f->mode) {
    case FRAME_STEPS: {
        if (f->index >= n || must_skip(f))
            return PROGRESS_DONE;
        const struct tp_plan_step *step = &f->steps->items[f->index];
        struct frame *block = block_frame(f, step);
        if (block != NULL) {
            frame_continue(block);
            return PROGRESS_WAIT;
        }
        if (start_step(f, step)) {
            f->index++;
            return PROGRESS_MORE;
        }
        return PROGRESS_WAIT;
    }
    case FRAME_SEQUENCE:
        if (f->index >= n)
            return PROGRESS_DONE;
        if (must_skip(f) || skip_unstable(f)) {
            skip_tree(f, frame_child(f, f->index), f->stage ? f->stage->id : 0,
                      must_skip(f) ? "earlier failure(s)"
                                   : "earlier stage(s) marking the build as unstable");
            f->index++;
            return PROGRESS_MORE;
        }
        frame_continue(frame_new(f->run, f, frame_child(f, f->index)));
        return PROGRESS_WAIT;
    case FRAME_PARALLEL:
        if (!f->started) {
            f->started = true;
            if (must_skip(f) || n == 0)
                return PROGRESS_DONE;
            tp_run_puts(f->run, "[Pipeline] parallel\n");
            f->running = (int)n;
            /* Every branch starts at once; each runs until it waits on a process. */
            for (size_t i = 0; i < n; i++)
                frame_continue(frame_new(f->run, f, frame_child(f, i)));
            return PROGRESS_WAIT;
        }
        if (f->running > 0)
            return PROGRESS_WAIT;
        if (!f->body_done) {
            f->body_done = true;
            tp_run_puts(f->run, "[Pipeline] // parallel\n");
        }
        return PROGRESS_DONE;
    case FRAME_BRANCHES: {
        if (!f->started) {
            /* Every branch starts at once (collected first: one may end at once and leave). */
            f->started = true;
            size_t count = 0;
            for (struct frame *c = f->first_child; c != NULL; c = c->next_sibling)
                count++;
            struct frame **branches = tp_xcalloc(count ? count : 1, sizeof(*branches));
            size_t k = count;
            for (struct frame *c = f->first_child; c != NULL; c = c->next_sibling)
                branches[--k] = c; /* the list is newest first: start them in order */
            f->running = (int)count;
            for (size_t i = 0; i < count; i++)
                frame_continue(branches[i]);
            free(branches);
        }
        return f->running > 0 ? PROGRESS_WAIT : PROGRESS_DONE;
    }
    case FRAME_SCRIPT:
        if (tp_script_advance(f) == TP_SCRIPT_WAIT)
            return PROGRESS_WAIT;
        if (f->block != NULL && strcmp(f->block->name, "waitUntil") == 0 && !must_skip(f) &&
            !tp_script_result_truth(f->script))
            return wait_again(f);
        return PROGRESS_DONE;
    }
    return PROGRESS_DONE;
}

/*
 * Runs a frame until it must wait. A completion that happens while the frame is already
 * being driven (a child that finished synchronously) only kicks the outer loop, so the stack
 * never grows with the number of steps or stages.
 */
static void frame_continue(struct frame *f)
{
    if (f->busy) {
        f->kick = true;
        return;
    }
    f->busy = true;
    for (;;) {
        f->kick = false;
        enum progress p = frame_advance(f);
        if (p == PROGRESS_DONE) {
            finish_frame(f);
            return;
        }
        if (p == PROGRESS_WAIT && !f->kick)
            break;
    }
    f->busy = false;
}

/*
 * Stops a frame and everything running inside it: processes are killed, a sleep ends; their
 * steps end ABORTED (on a later callback, never from here) and the frames unwind as usual.
 */
static void on_input_stopped(uv_timer_t *handle);
static void on_build_stopped(uv_timer_t *handle);
static int stop_run(struct tp_engine *engine, int64_t run_id, const char *message);

static void abort_frame(struct frame *f, enum abort_reason reason)
{
    if (f->aborting)
        return;
    f->aborting = true;
    f->abort_reason = reason;
    if (f->child != NULL) {
        static const char line[] = "Sending interrupt signal to process\n";
        tp_frame_log(f->run, f, line, sizeof(line) - 1);
        f->kill_sent = true;
        tp_exec_kill(f->child, KILL_GRACE_MS);
    }
    if (f->sleep_timer != NULL) {
        f->kill_sent = true;
        uv_timer_start(&f->sleep_timer->handle, f->sleep_timer->handle.timer_cb, 0, 0);
    } else if (f->input_pending) {
        f->kill_sent = true;
        f->sleep_timer = start_timer(f, 0, on_input_stopped);
    } else if (f->lock_waiting) {
        f->kill_sent = true;
        tp_lock_stop_waiting(f);
    } else if (f->downstream != 0) {
        /* the run a build step waits for is stopped too; its end ends the step */
        f->kill_sent = true;
        f->sleep_timer = start_timer(f, 0, on_build_stopped);
    }
    for (struct frame *c = f->first_child; c != NULL; c = c->next_sibling)
        abort_frame(c, reason);
}

static void on_build_stopped(uv_timer_t *handle)
{
    struct frame *f = timer_fired(handle);
    if (f != NULL && f->downstream != 0 &&
        stop_run(f->run->engine, f->downstream, "Calling Pipeline was cancelled") < 0) {
        /* it is gone already: nothing will end the step but this */
        f->downstream = 0;
        tp_frame_step_finished(f, TP_RESULT_ABORTED, NULL);
    }
}

static bool input_waits_in(const struct frame *f)
{
    if (f->input_pending)
        return true;
    for (const struct frame *c = f->first_child; c != NULL; c = c->next_sibling) {
        if (input_waits_in(c))
            return true;
    }
    return false;
}

/* Marks the stages around `f` PAUSED (waiting), or RUNNING again where no other input waits
 * inside them. */
static void mark_stages(struct frame *f, enum tp_state state)
{
    for (struct frame *p = f; p != NULL; p = p->parent) {
        if (state == TP_STATE_RUNNING && input_waits_in(p))
            break;
        bool node = p->branch != NULL || (p->stage != NULL && p->block == NULL);
        if (node && p->node.state != state) {
            p->node.state = state;
            save_node(p);
        }
    }
}

void tp_frame_wait_input(struct frame *f, const char *message, const char *id, const char *ok,
                         const char *submitter, const struct tp_plan_param *params, size_t nparams)
{
    struct run *run = f->run;
    cJSON *input = cJSON_CreateObject();
    cJSON_AddStringToObject(input, "id", id);
    cJSON_AddStringToObject(input, "message", message);
    cJSON_AddStringToObject(input, "ok", ok);
    cJSON_AddItemToObject(input, "parameters", tp_params_definitions_defs(params, nparams));
    if (submitter != NULL)
        cJSON_AddStringToObject(input, "submitter", submitter);
    else
        cJSON_AddNullToObject(input, "submitter");
    char *text = cJSON_PrintUnformatted(input);
    cJSON_Delete(input);
    f->step.input = tp_arena_strdup(&run->arena, text);
    free(text);
    f->step.state = TP_STATE_PAUSED;
    f->input_pending = true;
    f->input_id = tp_arena_strdup(&run->arena, id);
    f->input_submitter = submitter;
    f->input_params = params;
    f->input_nparams = nparams;
    char *prompt = tp_arena_printf(&run->arena, "%s\n%s or Abort\n", message, ok);
    tp_frame_log(run, f, prompt, strlen(prompt));
    mark_stages(f, TP_STATE_PAUSED);
    if (run->inputs_pending++ == 0) {
        apply(run, TP_RUN_EV_PAUSE);
        save_run(run);
    }
}

/* Ends the wait of `f`: the step finishes with `result` after `line` in its log. */
static void resume_input(struct frame *f, enum tp_result result, const char *line)
{
    struct run *run = f->run;
    f->input_pending = false;
    f->step.input = NULL;
    f->step.state = TP_STATE_RUNNING;
    if (line != NULL)
        tp_frame_log(run, f, line, strlen(line));
    if (--run->inputs_pending == 0) {
        apply(run, TP_RUN_EV_RESUME);
        save_run(run);
    }
    mark_stages(f, TP_STATE_RUNNING);
    tp_frame_step_finished(f, result, NULL);
}

static void on_input_stopped(uv_timer_t *handle)
{
    struct frame *f = timer_fired(handle);
    if (f == NULL)
        return;
    if (f->input_pending)
        resume_input(f, TP_RESULT_ABORTED, NULL);
}

static struct frame *find_input(struct frame *f, int64_t step_id)
{
    if (f->input_pending && f->step.step_id == step_id)
        return f;
    for (struct frame *c = f->first_child; c != NULL; c = c->next_sibling) {
        struct frame *found = find_input(c, step_id);
        if (found != NULL)
            return found;
    }
    return NULL;
}

int tp_engine_input(struct tp_engine *engine, int64_t run_id, int64_t step_id, const char *input_id,
                    bool abort, const cJSON *parameters, const char *user, struct tp_buf *error)
{
    struct run *run = engine->active;
    while (run != NULL && run->rec.id != run_id)
        run = run->next;
    struct frame *f = run != NULL && run->root != NULL ? find_input(run->root, step_id) : NULL;
    if (f == NULL) {
        tp_buf_printf(error, "No input is waiting at step %lld", (long long)step_id);
        return TP_ENOTFOUND;
    }
    if (input_id == NULL || strcmp(input_id, f->input_id) != 0) {
        tp_buf_printf(error, "Step %lld does not have an Input with an id of '%s'.",
                      (long long)step_id, input_id != NULL ? input_id : "");
        return TP_EINVAL;
    }
    if (f->input_submitter != NULL) {
        bool allowed = false;
        char *list = tp_arena_strdup(&run->arena, f->input_submitter);
        for (char *save = NULL, *p = strtok_r(list, ",", &save); p != NULL && !allowed;
             p = strtok_r(NULL, ",", &save)) {
            while (*p == ' ')
                p++;
            size_t n = strlen(p);
            while (n > 0 && p[n - 1] == ' ')
                p[--n] = '\0';
            allowed = strcmp(p, user) == 0;
        }
        if (!allowed) {
            tp_buf_printf(error, "You need to be %s to submit this.", f->input_submitter);
            return TP_EINVAL;
        }
    }
    if (!abort) {
        /* The approved values are the stage's environment from here on. */
        cJSON *values = NULL;
        if (tp_params_resolve_defs(f->input_params, f->input_nparams, parameters, &values, error) <
            0) {
            cJSON_Delete(values);
            return TP_EINVAL;
        }
        const cJSON *v;
        cJSON_ArrayForEach(v, values)
        {
            const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "name"));
            const char *value = tp_params_get(values, name != NULL ? name : "");
            if (name != NULL && value != NULL)
                tp_env_set(&f->env, name, value);
        }
        /* The step's value in Groovy: nothing, the one value, or a map of them all (with
         * who answered, under submitterParameter's name). */
        const char *by = f->input_submitter_parameter;
        int n = cJSON_GetArraySize(values) + (by != NULL);
        cJSON_Delete(f->step_value);
        f->step_value = n > 1 ? cJSON_CreateObject() : NULL;
        cJSON_ArrayForEach(v, values)
        {
            const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "name"));
            cJSON *value = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(v, "value"), true);
            if (n == 1)
                f->step_value = value;
            else if (name != NULL && value != NULL)
                cJSON_AddItemToObject(f->step_value, name, value);
            else
                cJSON_Delete(value);
        }
        if (by != NULL && f->stage_input_active)
            tp_env_set(&f->env, by, user); /* the stage directive: an environment variable */
        if (by != NULL && n == 1)
            f->step_value = cJSON_CreateString(user);
        else if (by != NULL)
            cJSON_AddStringToObject(f->step_value, by, user);
        cJSON_Delete(values);
    }
    resume_input(f, abort ? TP_RESULT_ABORTED : TP_RESULT_SUCCESS,
                 tp_arena_printf(&run->arena, "%s by %s\n", abort ? "Aborted" : "Approved", user));
    return 0;
}

static void on_sleep_done(uv_timer_t *handle)
{
    struct frame *f = timer_fired(handle);
    if (f == NULL)
        return;
    tp_frame_step_finished(f, f->kill_sent ? TP_RESULT_ABORTED : TP_RESULT_SUCCESS, NULL);
}

void tp_frame_sleep(struct frame *f, uint64_t ms)
{
    f->kill_sent = false;
    f->sleep_timer = start_timer(f, ms, on_sleep_done);
}

static void abort_run(struct run *run, const char *message)
{
    if (run->aborting)
        return;
    run->aborting = true;
    run->abort_message = message;
    if (run->fetch != NULL)
        tp_exec_kill(run->fetch, 2000);
    if (run->root != NULL)
        abort_frame(run->root, ABORT_STOP);
}

/* Options that change what a run does: refused until the engine applies them. Every other
 * option is bookkeeping a local sandbox can do without; it is named in the log. */
static const char *const refused_options[] = { "lock", "throttle", "withCredentials", "withEnv",
                                               NULL };

static void why_not(struct tp_buf *out, const char *what, int line)
{
    tp_buf_printf(out, "%s%s (line %d)", out->len ? "; " : "", what, line);
}

static void refuse_options(const struct tp_plan_call *options, size_t n, struct tp_buf *why)
{
    for (size_t i = 0; i < n; i++) {
        if (tp_str_in(options[i].name, refused_options)) {
            char what[96];
            snprintf(what, sizeof(what), "option %s", options[i].name);
            why_not(why, what, options[i].line);
        }
    }
}

static void check_stage(const struct tp_plan_stage *st, struct tp_buf *out)
{
    refuse_options(st->options, st->noptions, out);
    for (size_t i = 0; i < st->nchildren; i++)
        check_stage(st->children[i], out);
}

bool tp_engine_can_run(const struct tp_plan *plan, struct tp_buf *why)
{
    if (plan->nlibraries > 0)
        why_not(why, "libraries", plan->libraries[0].line);
    if (plan->agent.kind > TP_AGENT_NODE)
        why_not(why, "a docker or kubernetes agent", plan->agent.line);
    refuse_options(plan->options, plan->noptions, why);
    for (size_t i = 0; i < plan->nstages; i++)
        check_stage(plan->stages[i], why);
    return why->len == 0;
}

/* The result of the last finished run before `run` (TP_RESULT_NONE when there is none). */
static enum tp_result previous_result(struct run *run)
{
    struct tp_arena arena;
    tp_arena_init(&arena);
    enum tp_result result = TP_RESULT_NONE;
    for (int64_t n = run->rec.number - 1; n > 0 && result == TP_RESULT_NONE; n--) {
        struct tp_run_rec prev;
        if (tp_store_run_get(run->engine->store, run->rec.pipeline_id, n, &arena, &prev) == 0 &&
            prev.state == TP_STATE_FINISHED)
            result = prev.result;
    }
    tp_arena_close(&arena);
    return result;
}

/* --- Pipeline script from SCM --- */

static void on_fetch_output(void *data, const char *bytes, size_t len)
{
    struct run *run = data;
    tp_frame_log(run, NULL, bytes, len);
}

static void on_fetch_exit(void *data, int64_t status, int term_signal)
{
    struct run *run = data;
    (void)term_signal;
    run->fetch = NULL;
    struct tp_buf text;
    tp_buf_init(&text);
    const char *out = tp_arena_printf(&run->arena, "%s@tmp/jenkinsfile", run->workspace);
    int err = status == 0 ? tp_fs_read_file(out, TP_LEX_MAX_SOURCE, &text) : TP_EINVAL;
    struct tp_buf commit;
    tp_buf_init(&commit);
    if (err == 0 && tp_fs_read_file(tp_arena_printf(&run->arena, "%s@tmp/commit", run->workspace),
                                    64, &commit) == 0) {
        commit.len = strcspn(tp_buf_str(&commit), "\n");
        run->scm_commit = tp_arena_strndup(&run->arena, commit.data, commit.len);
    }
    tp_buf_close(&commit);
    remove(out);
    if (run->aborting || err < 0) {
        if (!run->aborting)
            tp_run_puts(run, "ERROR: could not read the Pipeline script from its repository\n");
        run->result = run->aborting ? TP_RESULT_ABORTED : TP_RESULT_FAILURE;
        tp_buf_close(&text);
        run_end(run);
        return;
    }
    run->rec.script = tp_arena_strndup(&run->arena, text.data, text.len);
    tp_buf_close(&text);
    const char *changes =
        change_set(run, tp_arena_printf(&run->arena, "%s@tmp/changes", run->workspace));
    tp_store_run_set_script(run->engine->store, run->rec.id, run->rec.script, run->scm_commit,
                            changes);
    run_plan(run);
}

/* The commits `git log` wrote to `path` (records "\x1e" + fields split by "\x1f", then the
 * paths it touched, one per line) as the change set JSON the store keeps, in the arena. */
static const char *change_set(struct run *run, const char *path)
{
    struct tp_buf text;
    tp_buf_init(&text);
    cJSON *list = cJSON_CreateArray();
    if (tp_fs_read_file(path, 1 << 20, &text) == 0) {
        for (char *rec = strchr(tp_buf_str(&text), '\x1e'); rec != NULL;) {
            char *next = strchr(rec + 1, '\x1e');
            if (next != NULL)
                *next = '\0';
            char *fields[5] = { 0 };
            char *p = rec + 1;
            for (int i = 0; i < 5 && p != NULL; i++) {
                fields[i] = p;
                p = strpbrk(p, i < 4 ? "\x1f" : "\n");
                if (p != NULL)
                    *p++ = '\0';
            }
            if (fields[4] != NULL) {
                cJSON *c = cJSON_CreateObject();
                cJSON_AddStringToObject(c, "commitId", fields[0]);
                cJSON_AddStringToObject(c, "author", fields[1]);
                cJSON_AddStringToObject(c, "email", fields[2]);
                cJSON_AddNumberToObject(c, "timestamp", strtod(fields[3], NULL) * 1000);
                cJSON_AddStringToObject(c, "msg", fields[4]);
                cJSON *paths = cJSON_AddArrayToObject(c, "paths");
                for (char *line = p; line != NULL && *line != '\0';) {
                    char *end = strchr(line, '\n');
                    if (end != NULL)
                        *end = '\0';
                    if (*line != '\0')
                        cJSON_AddItemToArray(paths, cJSON_CreateString(line));
                    line = end != NULL ? end + 1 : NULL;
                }
                cJSON_AddItemToArray(list, c);
            }
            rec = next;
        }
    }
    tp_buf_close(&text);
    remove(path);
    char *json = cJSON_PrintUnformatted(list);
    cJSON_Delete(list);
    const char *out = tp_arena_strdup(&run->arena, json);
    free(json);
    return out;
}

/* The revision the job's previous run (with one) came from, or "". */
static const char *previous_commit(struct run *run)
{
    for (int64_t n = run->rec.number - 1; n > 0 && n >= run->rec.number - 50; n--) {
        struct tp_run_rec prev;
        if (tp_store_run_get(run->engine->store, run->rec.pipeline_id, n, &run->arena, &prev) ==
                0 &&
            prev.commit_id != NULL)
            return prev.commit_id;
    }
    return "";
}

/* Checks the job's repository out into the run's workspace (the declarative default
 * checkout, done first) and keeps the text at its script path for the run. */
static void fetch_script(struct run *run)
{
    int err = prepare_workspace(run);
    struct tp_buf script;
    tp_buf_init(&script);
    tp_buf_puts(&script, "set -e\nURL=");
    tp_shell_quote(&script, run->scm_url);
    tp_buf_puts(&script, "\nBRANCH=");
    tp_shell_quote(&script, run->scm_branch);
    tp_buf_puts(&script, "\nSCRIPT_PATH=");
    tp_shell_quote(&script, run->scm_path);
    tp_buf_puts(&script, "\nOUT=");
    tp_shell_quote(&script, tp_arena_printf(&run->arena, "%s@tmp", run->workspace));
    tp_buf_puts(&script, "\nPREV=");
    tp_shell_quote(&script, previous_commit(run));
    tp_buf_puts(
        &script,
        "\nexec 1>&2\n"
        "[ -d .git ] || git init -q .\n"
        "git fetch -q --no-tags --force -- \"$URL\" "
        "\"+refs/heads/$BRANCH:refs/remotes/origin/$BRANCH\" || {\n"
        "  echo \"ERROR: Couldn't find any revision to build. Verify the repository and branch "
        "configuration for this job.\"; exit 128; }\n"
        "COMMIT=$(git rev-parse --verify -q \"refs/remotes/origin/$BRANCH^{commit}\")\n"
        "echo \"Checking out Revision $COMMIT (refs/remotes/origin/$BRANCH)\"\n"
        "git -c advice.detachedHead=false checkout -q -f \"$COMMIT\"\n"
        "echo \"Commit message: \\\"$(git log -1 --pretty=%s \"$COMMIT\")\\\"\"\n"
        "git show \"$COMMIT:$SCRIPT_PATH\" > \"$OUT/jenkinsfile\" || {\n"
        "  echo \"ERROR: $SCRIPT_PATH not found in $URL ($BRANCH)\"; exit 1; }\n"
        "echo \"$COMMIT\" > \"$OUT/commit\"\n"
        "if [ -n \"$PREV\" ] && git cat-file -e \"$PREV^{commit}\" 2>/dev/null; then\n"
        "  git log --no-merges --name-only "
        "--format='%x1e%H%x1f%an%x1f%ae%x1f%at%x1f%s' \"$PREV..$COMMIT\" > \"$OUT/changes\"\n"
        "fi\n"
        "echo \"Obtained $SCRIPT_PATH from git $URL\"\n");
    char sh[] = "/bin/sh", c[] = "-c";
    char *argv[] = { sh, c, script.data, NULL };
    struct tp_exec_options options = {
        .file = "/bin/sh",
        .argv = argv,
        .env = run->engine->base_env.items,
        .cwd = run->workspace,
        .on_output = on_fetch_output,
        .on_exit = on_fetch_exit,
        .data = run,
    };
    if (err == 0)
        err = tp_exec_spawn(run->engine->loop, &options, &run->fetch);
    tp_buf_close(&script);
    if (err < 0) {
        tp_run_logf(run, "ERROR: cannot read the Pipeline script from %s: %s\n", run->scm_url,
                    tp_strerror(err));
        run->result = TP_RESULT_FAILURE;
        run_end(run);
    }
}

static void run_begin(struct run *run)
{
    if (run->resuming) {
        run->rec.state = TP_STATE_RUNNING; /* in memory only, until the input waits again */
    } else {
        apply(run, TP_RUN_EV_START);
        run->rec.start_ms = tp_time_now_ms();
        save_run(run);
    }
    tp_log(TP_LOG_INFO, "engine", "run started pipeline=%s number=%lld executor=%d",
           run->rec.pipeline, (long long)run->rec.number, run->executor);
    tp_run_logf(run, "%s\n", run->rec.cause ? run->rec.cause : "Started");
    if (run->waiter != NULL && !run->resuming)
        tp_build_started(run->waiter, &run->rec);
    /* Pipeline script from SCM: the Jenkinsfile is read from the repository first (a replay
     * brings its own script) */
    if (run->scm_url != NULL && run->rec.script[0] == '\0' && !run->resuming) {
        fetch_script(run);
        return;
    }
    run_plan(run);
}

/* A run restarted from a stage starts with the stashes its original run preserved. */
static void inherit_stashes(struct run *run)
{
    long long original = 0;
    struct tp_run_rec from;
    if (run->rec.restart_from == NULL || run->resuming || run->rec.cause == NULL ||
        sscanf(run->rec.cause, TP_RESTART_CAUSE "%lld", &original) != 1)
        return;
    if (tp_store_run_get(run->engine->store, run->rec.pipeline_id, original, &run->arena, &from) ==
        0)
        tp_stash_inherit(run, from.id);
}

static void run_plan(struct run *run)
{
    int err = tp_plan_compile(run->rec.script, strlen(run->rec.script), &run->plan);
    if (err < 0) {
        struct tp_buf text;
        tp_buf_init(&text);
        tp_plan_format_errors(run->plan, &text);
        tp_frame_log(run, NULL, text.data, text.len);
        tp_buf_close(&text);
        run->result = TP_RESULT_FAILURE;
        run_end(run);
        return;
    }
    struct tp_buf unsupported;
    tp_buf_init(&unsupported);
    if (!tp_engine_can_run(run->plan, &unsupported)) {
        tp_run_logf(run, "ERROR: tidepool cannot run this pipeline yet: %s\n",
                    tp_buf_str(&unsupported));
        tp_buf_close(&unsupported);
        run->result = TP_RESULT_FAILURE;
        run_end(run);
        return;
    }
    tp_buf_close(&unsupported);
    err = prepare_workspace(run);
    if (err < 0) {
        tp_run_logf(run, "ERROR: cannot create workspace %s: %s\n", run->workspace,
                    tp_strerror(err));
        run->result = TP_RESULT_FAILURE;
        run_end(run);
        return;
    }
    if (run->rec.parameters != NULL)
        run->params = cJSON_Parse(run->rec.parameters);
    set_core_env(run);
    inherit_stashes(run);
    run->previous_result = previous_result(run);
    run->skip_after_unstable = has_option(run->plan, "skipStagesAfterUnstable");
    run->timestamps = has_option(run->plan, "timestamps");
    run->pipeline_started = true;
    tp_run_puts(run, "[Pipeline] Start of Pipeline\n");
    for (size_t i = 0; i < run->plan->noptions; i++) {
        const char *name = run->plan->options[i].name;
        if (!is_applied_option(name))
            tp_run_logf(run, "tidepool: option %s is not applied by tidepool yet\n", name);
    }
    for (size_t i = 0; i < run->plan->ntriggers; i++) {
        const char *name = run->plan->triggers[i].name;
        if (strcmp(name, "cron") != 0) /* cron is: the engine's timer starts such runs */
            tp_run_logf(run, "tidepool: trigger %s is not scheduled by tidepool yet\n", name);
    }
    if (run->plan->agent.kind != TP_AGENT_NONE)
        tp_run_logf(run, "[Pipeline] node\nRunning on Jenkins in %s\n[Pipeline] {\n",
                    run->workspace);
    run->root = frame_new(run, NULL, NULL);
    struct tp_buf prologue;
    tp_buf_init(&prologue);
    if (tp_script_prologue(run, &prologue) < 0)
        tp_frame_fail(run->root, TP_RESULT_FAILURE, false, tp_buf_str(&prologue));
    tp_buf_close(&prologue);
    frame_continue(run->root);
}

/* --- queue and slots --- */

/* disableConcurrentBuilds: a run waits while another run of its pipeline is active. */
/* disableConcurrentBuilds: the active run of the same pipeline `run` waits for, or NULL. */
static const struct run *blocker(const struct tp_engine *engine, const struct run *run)
{
    if (!run->exclusive)
        return NULL;
    for (const struct run *other = engine->active; other != NULL; other = other->next) {
        if (other->rec.pipeline_id == run->rec.pipeline_id)
            return other;
    }
    return NULL;
}

/* Records why a queued run waits (NULL: for an executor), as Jenkins' causeOfBlockage. */
static void set_blockage(struct run *run, const struct run *by, int64_t quiet_ms)
{
    char span[64];
    if (quiet_ms > 0)
        tp_time_span((uint64_t)quiet_ms, span, sizeof(span));
    const char *why =
        quiet_ms > 0 ? tp_arena_printf(&run->arena, "In the quiet period. Expires in %s", span)
        : by != NULL ? tp_arena_printf(&run->arena, "Build #%lld is already in progress",
                                       (long long)by->rec.number)
                     : NULL;
    if ((why == NULL) == (run->rec.blockage == NULL) &&
        (why == NULL || strcmp(why, run->rec.blockage) == 0))
        return;
    run->rec.blockage = why;
    save_run(run);
}

static void on_pump(uv_timer_t *timer)
{
    struct tp_engine *engine = timer->data;
    while (engine->queue_head != NULL && !engine->shutting_down) {
        int slot = -1;
        for (int i = 0; i < engine->executors && slot < 0; i++) {
            if (!engine->slot_busy[i])
                slot = i;
        }
        int64_t now = tp_time_now_ms(), wake = 0;
        if (slot < 0) {
            for (struct run *r = engine->queue_head; r != NULL; r = r->next) {
                /* every executor is busy: that is why they wait (or their quiet period) */
                set_blockage(r, NULL, r->not_before_ms - now);
            }
            return;
        }
        /* The first run that may start: a blocked one does not hold up the others. */
        struct run **link = &engine->queue_head, *prev = NULL;
        const struct run *by = NULL;
        while (*link != NULL &&
               ((*link)->not_before_ms > now || (by = blocker(engine, *link)) != NULL)) {
            int64_t quiet = (*link)->not_before_ms - now;
            set_blockage(*link, quiet > 0 ? NULL : by, quiet);
            if (quiet > 0 && (wake == 0 || quiet < wake))
                wake = quiet;
            prev = *link;
            link = &(*link)->next;
        }
        struct run *run = *link;
        if (run == NULL) {
            if (wake > 0) /* the pump runs again when the first quiet period ends */
                uv_timer_start(&engine->pump, on_pump, (uint64_t)wake, 0);
            return;
        }
        *link = run->next;
        if (engine->queue_tail == run)
            engine->queue_tail = prev;
        engine->slot_busy[slot] = true;
        run->executor = slot;
        run->next = engine->active;
        engine->active = run;
        engine->nactive++;
        run->rec.blockage = NULL;
        run_begin(run);
    }
}

static void schedule_pump(struct tp_engine *engine)
{
    if (engine->queue_head != NULL && !engine->shutting_down)
        uv_timer_start(&engine->pump, on_pump, 0, 0);
}

static void enqueue(struct tp_engine *engine, struct run *run)
{
    run->next = NULL;
    if (engine->queue_tail != NULL)
        engine->queue_tail->next = run;
    else
        engine->queue_head = run;
    engine->queue_tail = run;
    schedule_pump(engine);
}

/* Commits the store's batch and tells the listeners. */
static void commit(struct tp_engine *engine)
{
    bool dirty = tp_store_dirty(engine->store);
    tp_store_flush(engine->store);
    if (dirty && engine->events.on_commit != NULL)
        engine->events.on_commit(engine->events.ctx);
}

static void on_flush(uv_prepare_t *prepare)
{
    struct tp_engine *engine = prepare->data;
    for (struct run *run = engine->active; run != NULL; run = run->next)
        flush_pending(run);
    commit(engine);
}

int tp_engine_new(uv_loop_t *loop, struct tp_store *store, const struct tp_engine_options *opts,
                  struct tp_engine **out)
{
    if (opts->executors < 1 || opts->data_dir == NULL || opts->root_url == NULL)
        return TP_EINVAL;
    struct tp_engine *engine = tp_xcalloc(1, sizeof(*engine));
    engine->loop = loop;
    engine->store = store;
    engine->data_dir = tp_xstrdup(opts->data_dir);
    engine->root_url = tp_xstrdup(opts->root_url);
    engine->executors = opts->executors;
    engine->no_answers = opts->no_answers;
    engine->stubs = opts->stubs;
    engine->tools = opts->tools;
    engine->locks = tp_locks_new();
    engine->milestones = tp_milestones_new();
    engine->slot_busy = tp_xcalloc((size_t)opts->executors, sizeof(bool));
    tp_env_init(&engine->base_env);
    for (char **e = environ; *e != NULL; e++) {
        const char *eq = strchr(*e, '=');
        if (eq == NULL)
            continue;
        char *key = tp_xstrndup(*e, (size_t)(eq - *e));
        tp_env_set(&engine->base_env, key, eq + 1);
        free(key);
    }
    char *workspaces = tp_xmalloc(strlen(opts->data_dir) + 16);
    sprintf(workspaces, "%s/workspace", opts->data_dir);
    uv_fs_t req;
    int r = uv_fs_mkdir(NULL, &req, workspaces, 0755, NULL);
    uv_fs_req_cleanup(&req);
    free(workspaces);
    if (r < 0 && r != UV_EEXIST) {
        tp_log(TP_LOG_ERROR, "engine", "cannot create workspace dir: %s", uv_strerror(r));
        tp_engine_free(engine);
        return r;
    }
    uv_prepare_init(loop, &engine->flusher);
    engine->flusher.data = engine;
    uv_prepare_start(&engine->flusher, on_flush);
    uv_unref((uv_handle_t *)&engine->flusher);
    uv_timer_init(loop, &engine->pump);
    engine->pump.data = engine;
    uv_timer_init(loop, &engine->cron);
    engine->cron.data = engine;
    engine->cron_tick_ms = opts->cron_tick_ms;
    /* the minute it starts in is past its start: not looked at (with a test tick, it is) */
    engine->cron_minute = tp_time_now_ms() / 60000;
    uv_timer_start(&engine->cron, on_cron, 0, 0);
    uv_unref((uv_handle_t *)&engine->cron);
    int err = tp_exec_reaper_start(loop, &engine->reaper);
    engine->reaping = err == 0;
    if (err < 0)
        tp_log(TP_LOG_WARN, "engine", "cannot become the child subreaper: %s", uv_strerror(err));
    *out = engine;
    return 0;
}

static void on_handle_closed(uv_handle_t *handle)
{
    (void)handle;
}

struct tp_locks *tp_engine_locks(struct tp_engine *engine)
{
    return engine->locks;
}

struct tp_milestones *tp_engine_milestones(struct tp_engine *engine)
{
    return engine->milestones;
}

void tp_engine_supersede(struct tp_engine *engine, int64_t pipeline_id, int64_t number,
                         int64_t newer)
{
    for (struct run *run = engine->active; run != NULL; run = run->next) {
        if (run->rec.pipeline_id == pipeline_id && run->rec.number == number && !run->aborting) {
            run->superseded = true;
            abort_run(run, tp_arena_printf(&run->arena, "Superseded by #%lld", (long long)newer));
        }
    }
}

static void on_resume(uv_timer_t *handle)
{
    struct frame *f = timer_fired(handle);
    if (f != NULL)
        frame_continue(f);
}

void tp_frame_resume_later(struct frame *f)
{
    stop_timer(&f->sleep_timer);
    f->sleep_timer = start_timer(f, 0, on_resume);
}

void tp_engine_free(struct tp_engine *engine)
{
    if (engine == NULL)
        return;
    if (engine->flusher.loop != NULL) {
        on_flush(&engine->flusher);
        uv_close((uv_handle_t *)&engine->flusher, on_handle_closed);
        uv_close((uv_handle_t *)&engine->pump, on_handle_closed);
        uv_close((uv_handle_t *)&engine->cron, on_handle_closed);
        if (engine->reaping)
            uv_close((uv_handle_t *)&engine->reaper, on_handle_closed);
        /* Let the close callbacks run before the memory goes. */
        uv_run(engine->loop, UV_RUN_NOWAIT);
    }
    while (engine->queue_head != NULL) {
        struct run *run = engine->queue_head;
        engine->queue_head = run->next;
        run_free(run);
    }
    tp_env_close(&engine->base_env);
    free(engine->fired);
    tp_locks_free(engine->locks);
    tp_milestones_free(engine->milestones);
    free(engine->slot_busy);
    free(engine->data_dir);
    free(engine->root_url);
    free(engine);
}

void tp_engine_set_events(struct tp_engine *engine, const struct tp_engine_events *events)
{
    engine->events = *events;
}

int tp_engine_pipeline_put(struct tp_engine *engine, const char *name, const char *script,
                           const char *source)
{
    int64_t id;
    int err = tp_store_pipeline_put(engine->store, name, script, source, &id);
    if (err < 0)
        return err;
    struct tp_arena arena;
    tp_arena_init(&arena);
    err = tp_store_pipeline_set_cron(engine->store, id, script_cron(script, &arena));
    tp_arena_close(&arena);
    return err;
}

/* Whether run `run` belongs to item `name` (a job, or anything inside a folder). */
static bool run_of_item(const struct run *run, const char *name)
{
    size_t len = strlen(name);
    return strncmp(run->rec.pipeline, name, len) == 0 &&
           (run->rec.pipeline[len] == '\0' || run->rec.pipeline[len] == '/');
}

bool tp_engine_item_busy(const struct tp_engine *engine, const char *name)
{
    for (const struct run *r = engine->active; r != NULL; r = r->next) {
        if (run_of_item(r, name))
            return true;
    }
    for (const struct run *r = engine->queue_head; r != NULL; r = r->next) {
        if (run_of_item(r, name))
            return true;
    }
    return false;
}

int tp_engine_item_delete(struct tp_engine *engine, const char *name)
{
    struct tp_arena arena;
    tp_arena_init(&arena);
    struct tp_pipeline_rec p;
    int err = tp_store_pipeline_get(engine->store, name, &arena, &p);
    if (err == 0 && tp_engine_item_busy(engine, name))
        err = TP_ECONFLICT;
    if (err == 0)
        err = tp_store_pipeline_delete(engine->store, p.id);
    tp_arena_close(&arena);
    return err;
}

static int collect_step(void *ctx, const struct tp_step_rec *rec)
{
    struct run *run = ctx;
    if (rec->state != TP_STATE_FINISHED && rec->state != TP_STATE_PAUSED)
        return 0; /* a step cut off by the restart runs again */
    run->done =
        tp_arena_grow(&run->arena, run->done, run->ndone, &run->done_cap, sizeof(*run->done));
    run->done[run->ndone++] = *rec;
    return 0;
}

static int recover_one(void *ctx, const struct tp_run_rec *rec)
{
    struct tp_engine *engine = ctx;
    if (rec->state == TP_STATE_QUEUED) {
        /* Queued runs never started: they simply wait in the queue again. */
        enqueue(engine, run_new(engine, rec));
        return 0;
    }
    /* options { disableResume() }: a paused run is not resumed, it fails as a running one */
    bool resumable = rec->state == TP_STATE_PAUSED;
    struct tp_plan *plan = NULL;
    if (resumable && tp_plan_compile(rec->script, strlen(rec->script), &plan) == 0)
        resumable = !has_option(plan, "disableResume");
    tp_plan_free(plan);
    if (resumable) {
        /* Paused at an input: walked again up to that input, which waits for its answer. */
        struct run *run = run_new(engine, rec);
        int64_t raw = 0, lf = 0;
        tp_store_log_measure(engine->store, rec->id, 0, 0, &raw, &lf);
        run->rec.log_size = raw;
        run->resuming = true;
        int err = tp_store_step_list(engine->store, rec->id, 0, &run->arena, collect_step, run);
        if (err < 0) {
            run_free(run);
            return err;
        }
        tp_log(TP_LOG_INFO, "engine", "resuming paused run pipeline=%s number=%lld", rec->pipeline,
               (long long)rec->number);
        run->next = engine->queue_head; /* ahead of the queued runs: it had started */
        engine->queue_head = run;
        if (engine->queue_tail == NULL)
            engine->queue_tail = run;
        schedule_pump(engine);
        return 0;
    }
    engine->recovered_running++;
    struct run *run = run_new(engine, rec);
    const char *line = rec->state == TP_STATE_PAUSED
                           ? "Resume disabled by user, failing build.\n"
                           : "tidepool stopped while this run was in progress; it cannot be "
                             "resumed\n";
    /* The stored size lags behind the chunks (it is written with state changes): the
     * chunks themselves say where the log ends. */
    int64_t raw = 0, lf = 0;
    tp_store_log_measure(engine->store, rec->id, 0, 0, &raw, &lf);
    run->rec.log_size = raw;
    run->executor = 0;
    tp_run_puts(run, line);
    run->rec.result = rec->state == TP_STATE_PAUSED ? TP_RESULT_FAILURE : TP_RESULT_ABORTED;
    run->rec.state = TP_STATE_FINISHED;
    run->rec.end_ms = tp_time_now_ms();
    tp_run_logf(run, "Finished: %s\n", tp_result_name(run->rec.result));
    run->rec.log_complete = true;
    flush_pending(run);
    tp_store_run_update(engine->store, &run->rec);
    tp_store_run_close_open_nodes(engine->store, run->rec.id, run->rec.result, run->rec.end_ms);
    tp_log(TP_LOG_WARN, "engine", "aborted run left unfinished pipeline=%s number=%lld",
           rec->pipeline, (long long)rec->number);
    run_free(run);
    return 0;
}

int tp_engine_recover(struct tp_engine *engine)
{
    struct tp_arena arena;
    tp_arena_init(&arena);
    int err = tp_store_run_list_unfinished(engine->store, &arena, recover_one, engine);
    tp_arena_close(&arena);
    if (err == 0)
        err = tp_store_flush(engine->store);
    if (engine->recovered_running > 0) {
        /* Processes a killed server left behind carry its cookie and its data dir. */
        char *home = tp_xmalloc(strlen(engine->data_dir) + 16);
        sprintf(home, "JENKINS_HOME=%s", engine->data_dir);
        const char *const marks[] = { "JENKINS_SERVER_COOKIE=" SERVER_COOKIE, home, NULL };
        int strays = tp_exec_kill_strays(marks);
        free(home);
        if (strays > 0)
            tp_log(TP_LOG_WARN, "engine", "killed processes left by an earlier server count=%d",
                   strays);
    }
    return err;
}

/* Inserts a QUEUED run of pipeline `p` that will run `script` with `parameters` (the JSON text
 * of resolved values, or NULL), and puts it in the queue. */
static int queue_run(struct tp_engine *engine, const struct tp_pipeline_rec *p, const char *script,
                     const char *parameters, const char *cause, const char *user,
                     const char *restart_from, struct tp_arena *arena, struct tp_run_rec *queued)
{
    struct tp_run_rec rec = {
        .pipeline_id = p->id,
        .pipeline = p->name,
        .state = TP_STATE_QUEUED,
        .result = TP_RESULT_UNKNOWN,
        .enqueue_ms = tp_time_now_ms(),
        .cause = cause,
        .cause_user = user,
        .parameters = parameters != NULL ? tp_arena_strdup(arena, parameters) : NULL,
        .script = script,
        .restart_from = restart_from,
    };
    int err = tp_store_run_insert(engine->store, &rec);
    if (err < 0)
        return err;
    *queued = rec;
    tp_log(TP_LOG_INFO, "engine", "run queued pipeline=%s number=%lld queue_id=%lld", p->name,
           (long long)rec.number, (long long)rec.queue_id);
    /* Committed before anyone hears of it: a kill -9 after the answer keeps the run. */
    tp_store_flush(engine->store);
    enqueue(engine, run_new(engine, &rec));
    if (engine->events.on_run != NULL)
        engine->events.on_run(engine->events.ctx, &rec);
    if (engine->events.on_commit != NULL)
        engine->events.on_commit(engine->events.ctx);
    return 0;
}

/* Queues a run of `p` (a job) with `parameters` checked against its definitions. */
static int start_pipeline(struct tp_engine *engine, const struct tp_pipeline_rec *pipeline,
                          const cJSON *parameters, const char *cause, const char *user,
                          struct tp_arena *arena, struct tp_run_rec *queued, struct tp_buf *error)
{
    struct tp_pipeline_rec p = *pipeline;
    int err;
    /* Parameters are checked against the Jenkinsfile now, as Jenkins checks them when the
     * build is scheduled; a Jenkinsfile that does not compile fails when the run starts. */
    struct tp_plan *plan;
    cJSON *values = NULL;
    bool compiles = tp_plan_compile(p.script, strlen(p.script), &plan) == 0;
    const struct tp_plan_param *defs;
    size_t ndefs;
    tp_params_of_job(compiles ? plan : NULL, p.param_defs, arena, &defs, &ndefs);
    if (compiles || ndefs > 0) {
        err = tp_params_resolve_defs(defs, ndefs, parameters, &values, error);
        if (err < 0) {
            tp_plan_free(plan);
            return err;
        }
    }
    tp_plan_free(plan);
    char *values_text = NULL;
    if (values != NULL && cJSON_GetArraySize(values) > 0)
        values_text = cJSON_PrintUnformatted(values);
    cJSON_Delete(values);
    err = queue_run(engine, &p, p.script, values_text, cause, user, NULL, arena, queued);
    free(values_text);
    return err;
}

int tp_engine_start(struct tp_engine *engine, const char *pipeline, const char *user,
                    const cJSON *parameters, struct tp_arena *arena, struct tp_run_rec *queued,
                    struct tp_buf *error)
{
    if (engine->shutting_down)
        return TP_ECONFLICT;
    struct tp_pipeline_rec p;
    int err = tp_store_pipeline_get(engine->store, pipeline, arena, &p);
    if (err < 0)
        return err;
    if (p.folder)
        return TP_ENOTFOUND; /* a folder has no runs */
    return start_pipeline(engine, &p, parameters,
                          tp_arena_printf(arena, "Started by user %s", user), user, arena, queued,
                          error);
}

int tp_engine_trigger(struct frame *f, const char *job, const cJSON *parameters,
                      struct tp_run_rec *queued, struct tp_buf *error)
{
    struct run *run = f->run;
    struct tp_engine *engine = run->engine;
    if (engine->shutting_down) {
        tp_buf_puts(error, "tidepool is shutting down");
        return TP_ECONFLICT;
    }
    /* as Jenkins resolves an item name against the calling job's folder: "sibling",
     * "../other", "sub/job", or "/absolute/path" */
    struct tp_buf name;
    tp_buf_init(&name);
    const char *slash = strrchr(run->rec.pipeline, '/');
    if (job[0] == '/') {
        tp_buf_puts(&name, job + 1);
    } else {
        if (slash != NULL)
            tp_buf_append(&name, run->rec.pipeline, (size_t)(slash - run->rec.pipeline));
        const char *rest = job;
        while (strncmp(rest, "../", 3) == 0) {
            rest += 3;
            char *up = strrchr(tp_buf_str(&name), '/');
            name.len = up != NULL ? (size_t)(up - name.data) : 0;
        }
        if (name.len > 0)
            tp_buf_putc(&name, '/');
        tp_buf_puts(&name, rest);
    }
    struct tp_pipeline_rec p;
    int err = tp_store_pipeline_get(engine->store, tp_buf_str(&name), &run->arena, &p);
    if (err == TP_ENOTFOUND && job[0] != '/' && strncmp(job, "../", 3) != 0)
        err = tp_store_pipeline_get(engine->store, job, &run->arena, &p);
    tp_buf_close(&name);
    if (err == TP_ENOTFOUND) {
        tp_buf_printf(error, "No item named %s found", job);
        return err;
    }
    if (err < 0) {
        tp_buf_printf(error, "cannot look up %s: %s", job, tp_strerror(err));
        return err;
    }
    if (p.folder) {
        tp_buf_printf(error, "The item named %s is a %s which is not something that can be built",
                      job, p.multibranch ? "Multibranch Pipeline" : "Folder");
        return TP_EINVAL;
    }
    struct tp_buf display;
    tp_buf_init(&display);
    tp_str_job_display(p.name, &display);
    tp_run_logf(run, "Scheduling project: %s\n", tp_buf_str(&display));
    tp_buf_close(&display);
    const char *cause =
        tp_arena_printf(&run->arena, "Started by upstream project \"%s\" build number %lld",
                        run->rec.pipeline, (long long)run->rec.number);
    err = start_pipeline(engine, &p, parameters, cause, NULL, &run->arena, queued, error);
    if (err < 0)
        return err;
    if (f->build_wait) {
        for (struct run *r = engine->queue_head; r != NULL; r = r->next) {
            if (r->rec.id == queued->id)
                r->waiter = f;
        }
    }
    return 0;
}

bool tp_engine_upstream(const char *cause, struct tp_buf *project, long long *number)
{
    if (cause == NULL || !tp_str_starts_with(cause, TP_UPSTREAM_CAUSE))
        return false;
    const char *name = cause + strlen(TP_UPSTREAM_CAUSE);
    const char *end = strstr(name, "\" build number ");
    if (end == NULL)
        return false;
    tp_buf_append(project, name, (size_t)(end - name));
    *number = strtoll(end + strlen("\" build number "), NULL, 10);
    return true;
}

const char *tp_engine_cause_class(const char *cause, const char *user)
{
    if (cause != NULL && strcmp(cause, TP_TIMER_CAUSE) == 0)
        return "hudson.triggers.TimerTrigger$TimerTriggerCause";
    if (cause != NULL && tp_str_starts_with(cause, TP_UPSTREAM_CAUSE))
        return "hudson.model.Cause$UpstreamCause";
    if (cause != NULL && tp_str_starts_with(cause, TP_RESTART_CAUSE))
        return "org.jenkinsci.plugins.pipeline.modeldefinition.causes."
               "RestartDeclarativePipelineCause";
    if (cause != NULL && strcmp(cause, "Branch indexing") == 0)
        return "jenkins.branch.BranchIndexingCause";
    return user != NULL ? "hudson.model.Cause$UserIdCause"
                        : "org.jenkinsci.plugins.workflow.cps.replay.ReplayCause";
}

/* --- timer triggers --- */

static int start_if_due(void *ctx, const struct tp_pipeline_rec *p)
{
    struct tp_engine *engine = ctx;
    struct tp_cron cron;
    struct tp_buf error;
    tp_buf_init(&error);
    int err = tp_cron_parse(p->cron, p->name, &cron, &error);
    tp_buf_close(&error);
    time_t now = (time_t)(engine->cron_minute * 60);
    struct tm tm;
    localtime_r(&now, &tm);
    if (err < 0 || !tp_cron_matches(&cron, &tm))
        return 0;
    /* once per minute, however often the timer looks */
    struct fired *f = NULL;
    for (size_t i = 0; i < engine->nfired && f == NULL; i++) {
        if (engine->fired[i].pipeline_id == p->id)
            f = &engine->fired[i];
    }
    if (f == NULL) {
        if (engine->nfired == engine->cap_fired) {
            engine->cap_fired = engine->cap_fired ? engine->cap_fired * 2 : 16;
            engine->fired = tp_xrealloc(engine->fired, engine->cap_fired * sizeof(*engine->fired));
        }
        f = &engine->fired[engine->nfired++];
        *f = (struct fired){ .pipeline_id = p->id, .minute = -1 };
    }
    if (f->minute == engine->cron_minute)
        return 0;
    f->minute = engine->cron_minute;
    struct tp_arena arena;
    tp_arena_init(&arena);
    struct tp_run_rec queued;
    tp_buf_init(&error);
    cJSON *defaults = cJSON_CreateArray(); /* a timer gives none: the defaults */
    err = start_pipeline(engine, p, defaults, TP_TIMER_CAUSE, NULL, &arena, &queued, &error);
    cJSON_Delete(defaults);
    if (err < 0)
        tp_log(TP_LOG_WARN, "engine", "timer could not start pipeline=%s: %s %s", p->name,
               tp_strerror(err), tp_buf_str(&error));
    tp_buf_close(&error);
    tp_arena_close(&arena);
    return 0;
}

static void on_cron(uv_timer_t *timer)
{
    struct tp_engine *engine = timer->data;
    if (engine->shutting_down)
        return;
    int64_t now_ms = tp_time_now_ms();
    int64_t minute = now_ms / 60000;
    if (minute != engine->cron_minute || engine->cron_tick_ms > 0) {
        engine->cron_minute = minute;
        struct tp_arena arena;
        tp_arena_init(&arena);
        tp_store_pipeline_list_timed(engine->store, &arena, start_if_due, engine);
        tp_arena_close(&arena);
    }
    uint64_t next =
        engine->cron_tick_ms > 0 ? engine->cron_tick_ms : (uint64_t)(60000 - now_ms % 60000) + 5;
    uv_timer_start(&engine->cron, on_cron, next, 0);
}

/* The timer spec of `script`'s triggers { cron('...') }, in `arena`, or NULL. */
static const char *script_cron(const char *script, struct tp_arena *arena)
{
    struct tp_plan *plan;
    const char *spec = NULL;
    if (tp_plan_compile(script, strlen(script), &plan) == 0) {
        for (size_t i = 0; i < plan->ntriggers && spec == NULL; i++) {
            const struct tp_expr *call = plan->triggers[i].call;
            if (strcmp(plan->triggers[i].name, "cron") == 0 && call->kind == TP_EXPR_CALL &&
                call->args.count == 1 && call->args.items[0]->kind == TP_EXPR_STRING)
                spec = tp_arena_strdup(arena, call->args.items[0]->text);
        }
    }
    tp_plan_free(plan);
    return spec;
}

int tp_engine_pipeline_configure(struct tp_engine *engine, int64_t id,
                                 const struct tp_pipeline_config *config, const char *cron)
{
    int err = tp_store_pipeline_set_config(engine->store, id, config);
    struct tp_arena arena;
    tp_arena_init(&arena);
    if (err == 0 && config->script != NULL)
        err = tp_store_pipeline_set_cron(engine->store, id,
                                         cron != NULL ? cron : script_cron(config->script, &arena));
    tp_arena_close(&arena);
    return err;
}

int tp_engine_replay(struct tp_engine *engine, const char *pipeline, int64_t number,
                     const char *user, struct tp_arena *arena, struct tp_run_rec *queued)
{
    if (engine->shutting_down)
        return TP_ECONFLICT;
    struct tp_pipeline_rec p;
    struct tp_run_rec original;
    int err = tp_store_pipeline_get(engine->store, pipeline, arena, &p);
    if (err == 0)
        err = tp_store_run_get(engine->store, p.id, number, arena, &original);
    if (err < 0)
        return err;
    if (original.state == TP_STATE_QUEUED)
        return TP_EINVAL; /* nothing ran yet: there is no script of its own to replay */
    return queue_run(engine, &p, original.script, original.parameters,
                     tp_arena_printf(arena, "Replayed #%lld", (long long)number), user, NULL, arena,
                     queued);
}

/* Stops run `run_id`: an active one is aborted with `message`, a queued one cancelled. */
static int stop_run(struct tp_engine *engine, int64_t run_id, const char *message)
{
    for (struct run *run = engine->active; run != NULL; run = run->next) {
        if (run->rec.id == run_id) {
            abort_run(run, tp_arena_strdup(&run->arena, message));
            return 0;
        }
    }
    for (struct run **link = &engine->queue_head; *link != NULL; link = &(*link)->next) {
        struct run *run = *link;
        if (run->rec.id != run_id)
            continue;
        *link = run->next;
        if (engine->queue_tail == run) {
            engine->queue_tail = NULL;
            for (struct run *r = engine->queue_head; r != NULL; r = r->next)
                engine->queue_tail = r;
        }
        apply(run, TP_RUN_EV_ABORT);
        run->rec.result = TP_RESULT_ABORTED;
        run->rec.end_ms = tp_time_now_ms();
        run->rec.log_complete = true;
        save_run(run);
        tp_log(TP_LOG_INFO, "engine", "queued run cancelled pipeline=%s number=%lld",
               run->rec.pipeline, (long long)run->rec.number);
        tell_waiter(run);
        run_free(run);
        return 0;
    }
    return TP_ENOTFOUND;
}

/* Whether `plan` lets its runs be restarted from a stage (declarative, and no
 * options { disableRestartFromStage() }). */
static bool plan_restartable(const struct tp_plan *plan)
{
    return plan->nstages > 0 && !has_option(plan, "disableRestartFromStage");
}

int tp_engine_restart_points(const struct tp_run_rec *run, struct tp_arena *arena, int64_t **ids,
                             size_t *n)
{
    *ids = NULL;
    *n = 0;
    if (run->state != TP_STATE_FINISHED || run->script == NULL || run->script[0] == '\0')
        return 0;
    struct tp_plan *plan;
    if (tp_plan_compile(run->script, strlen(run->script), &plan) == 0 && plan_restartable(plan)) {
        *ids = tp_arena_alloc(arena, plan->nstages * sizeof(**ids));
        for (size_t i = 0; i < plan->nstages; i++)
            (*ids)[(*n)++] = plan->stages[i]->id;
    }
    tp_plan_free(plan);
    return 0;
}

int tp_engine_restart_stage(struct tp_engine *engine, const char *pipeline, int64_t number,
                            int64_t node_id, const char *user, struct tp_arena *arena,
                            struct tp_run_rec *queued)
{
    if (engine->shutting_down)
        return TP_ECONFLICT;
    struct tp_pipeline_rec p;
    struct tp_run_rec original;
    int err = tp_store_pipeline_get(engine->store, pipeline, arena, &p);
    if (err == 0)
        err = tp_store_run_get(engine->store, p.id, number, arena, &original);
    if (err < 0)
        return err;
    if (original.state != TP_STATE_FINISHED)
        return TP_EINVAL;
    struct tp_plan *plan;
    const char *stage = NULL;
    if (tp_plan_compile(original.script, strlen(original.script), &plan) == 0 &&
        plan_restartable(plan)) {
        for (size_t i = 0; i < plan->nstages && stage == NULL; i++) {
            if (plan->stages[i]->id == node_id)
                stage = tp_arena_strdup(arena, plan->stages[i]->name);
        }
    }
    tp_plan_free(plan);
    if (stage == NULL)
        return TP_ENOTFOUND;
    return queue_run(
        engine, &p, original.script, original.parameters,
        tp_arena_printf(arena, "%s%lld, stage %s", TP_RESTART_CAUSE, (long long)number, stage),
        user, stage, arena, queued);
}

int tp_engine_stop(struct tp_engine *engine, int64_t run_id, const char *user)
{
    char message[300];
    snprintf(message, sizeof(message), "Aborted by %s", user);
    return stop_run(engine, run_id, message);
}

void tp_engine_shutdown(struct tp_engine *engine, void (*done)(void *ctx), void *ctx)
{
    engine->shutting_down = true;
    uv_timer_stop(&engine->pump);
    uv_timer_stop(&engine->cron);
    engine->shutdown_done = done;
    engine->shutdown_ctx = ctx;
    if (maybe_shut_down(engine))
        return;
    for (struct run *run = engine->active; run != NULL; run = run->next)
        abort_run(run, "Aborted: tidepool is shutting down");
}

void tp_engine_indexing(struct tp_engine *engine, int delta)
{
    engine->indexing += delta;
    if (delta < 0)
        maybe_shut_down(engine);
}

char **tp_engine_base_env(struct tp_engine *engine)
{
    return engine->base_env.items;
}

int tp_engine_start_pipeline(struct tp_engine *engine, const struct tp_pipeline_rec *pipeline,
                             const char *cause, struct tp_arena *arena)
{
    if (engine->shutting_down)
        return TP_ECONFLICT;
    struct tp_run_rec queued;
    struct tp_buf error;
    tp_buf_init(&error);
    cJSON *defaults = cJSON_CreateArray(); /* indexing gives none: the defaults */
    int err = start_pipeline(engine, pipeline, defaults, cause, NULL, arena, &queued, &error);
    cJSON_Delete(defaults);
    tp_buf_close(&error);
    return err;
}

int tp_engine_active(const struct tp_engine *engine)
{
    int n = engine->nactive;
    for (const struct run *run = engine->queue_head; run != NULL; run = run->next)
        n++;
    return n;
}

bool tp_engine_answers_inputs(const struct tp_engine *engine)
{
    return !engine->no_answers;
}
