/* SPDX-License-Identifier: MIT */
#include "engine/engine.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/err.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "engine/engine_int.h"
#include "engine/eval.h"
#include "engine/runstate.h"

extern char **environ;

enum {
    PENDING_FLUSH = 64 * 1024, /* a log chunk is written once it holds this much */
    KILL_GRACE_MS = 2000,
};

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
    bool shutting_down;
    void (*shutdown_done)(void *ctx);
    void *shutdown_ctx;
    struct tp_envlist base_env; /* the server's own environment */
};

static void run_walk(struct run *run);
static void schedule_pump(struct tp_engine *engine);

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
    struct tp_log_chunk chunk = {
        .offset = run->rec.log_size,
        .step_id = run->pending_step,
        .step_offset = run->pending_step ? run->step_log_size : 0,
        .data = run->pending.data,
        .len = run->pending.len,
    };
    if (tp_store_log_append(engine->store, run->rec.id, &chunk) == 0) {
        run->rec.log_size += (int64_t)chunk.len;
        if (run->pending_step)
            run->step_log_size += (int64_t)chunk.len;
        if (engine->events.on_log != NULL)
            engine->events.on_log(engine->events.ctx, run->rec.id, chunk.data, chunk.len);
    }
    tp_buf_reset(&run->pending);
}

void tp_run_log(struct run *run, int64_t step_id, const char *data, size_t len)
{
    if (len == 0)
        return;
    if (run->pending.len > 0 && run->pending_step != step_id)
        flush_pending(run);
    run->pending_step = step_id;
    tp_buf_append(&run->pending, data, len);
    if (run->pending.len >= PENDING_FLUSH)
        flush_pending(run);
}

void tp_run_puts(struct run *run, const char *text)
{
    tp_run_log(run, 0, text, strlen(text));
}

void tp_run_logf(struct run *run, int64_t step_id, const char *fmt, ...)
{
    char text[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    tp_run_log(run, step_id, text, (size_t)n < sizeof(text) ? (size_t)n : sizeof(text) - 1);
}

static void save_run(struct run *run)
{
    flush_pending(run);
    tp_store_run_update(run->engine->store, &run->rec);
    if (run->engine->events.on_run != NULL)
        run->engine->events.on_run(run->engine->events.ctx, &run->rec);
}

static void save_node(struct run *run)
{
    flush_pending(run);
    tp_store_node_put(run->engine->store, &run->node);
}

static void save_step(struct run *run)
{
    flush_pending(run);
    run->step.log_size = run->step_log_size;
    tp_store_step_put(run->engine->store, &run->step);
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
    run->executor = -1;
    run->result = TP_RESULT_SUCCESS;
    tp_buf_init(&run->error);
    tp_buf_init(&run->pending);
    tp_env_init(&run->env);
    tp_env_init(&run->stage_env);
    tp_linebuf_init(&run->lines);
    return run;
}

static void run_free(struct run *run)
{
    tp_plan_free(run->plan);
    tp_buf_close(&run->error);
    tp_buf_close(&run->pending);
    tp_env_close(&run->env);
    tp_env_close(&run->stage_env);
    tp_linebuf_close(&run->lines);
    free(run->workspace);
    free(run->script_dir);
    tp_arena_close(&run->arena);
    free(run);
}

void tp_run_fail(struct run *run, enum tp_result result, bool abort_style, const char *message)
{
    if (!run->failed) {
        run->failed = true;
        run->abort_style = abort_style;
        tp_buf_puts(&run->error, message);
    }
    run->result = tp_result_worse(run->result, result);
}

static const char *eval_env(void *ctx, const char *name)
{
    struct run *run = ctx;
    const struct tp_envlist *env = run->in_stage ? &run->stage_env : &run->env;
    const char *value = tp_env_get(env, name);
    return value != NULL ? value : tp_env_get(&run->engine->base_env, name);
}

static const char *eval_param(void *ctx, const char *name)
{
    (void)ctx;
    (void)name;
    return NULL; /* parameters {} arrive with the engine issue */
}

int tp_run_eval(struct run *run, const struct tp_expr *e, struct tp_buf *out)
{
    struct tp_eval_ctx ctx = { .env = eval_env, .param = eval_param, .ctx = run };
    struct tp_buf error;
    tp_buf_init(&error);
    int err = tp_eval_string(e, &ctx, out, &error);
    if (err < 0)
        tp_run_fail(run, TP_RESULT_FAILURE, false, tp_buf_str(&error));
    tp_buf_close(&error);
    return err;
}

uv_loop_t *tp_engine_loop(struct tp_engine *engine)
{
    return engine->loop;
}

void tp_run_child_env(struct run *run, struct tp_envlist *out)
{
    tp_env_init(out);
    tp_env_merge(out, &run->engine->base_env);
    tp_env_merge(out, run->in_stage ? &run->stage_env : &run->env);
}

/* --- the walk --- */

/* Evaluates an environment block into `env` (in order: a self-reference sees the outer
 * value). Returns 0, or an error already recorded with tp_run_fail. */
static int apply_environment(struct run *run, const struct tp_plan_env *items, size_t n,
                             struct tp_envlist *env)
{
    struct tp_buf value;
    tp_buf_init(&value);
    int err = 0;
    for (size_t i = 0; i < n && err == 0; i++) {
        tp_buf_reset(&value);
        err = tp_run_eval(run, items[i].value, &value);
        if (err == 0)
            tp_env_set(env, items[i].key, tp_buf_str(&value));
    }
    tp_buf_close(&value);
    return err;
}

static int prepare_workspace(struct run *run)
{
    struct tp_engine *engine = run->engine;
    /* Jenkins gives a concurrent run of the same job <job>@2, @3, ... */
    for (int n = 1;; n++) {
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
    char *tmp = tp_arena_printf(&run->arena, "%s@tmp", run->workspace);
    uv_fs_t req;
    int r = uv_fs_mkdir(NULL, &req, run->workspace, 0755, NULL);
    uv_fs_req_cleanup(&req);
    if (r < 0 && r != UV_EEXIST)
        return r;
    r = uv_fs_mkdir(NULL, &req, tmp, 0755, NULL);
    uv_fs_req_cleanup(&req);
    return r < 0 && r != UV_EEXIST ? r : 0;
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
    tp_env_set(env, "BUILD_TAG",
               tp_arena_printf(&run->arena, "jenkins-%s-%s", rec->pipeline, number));
    tp_env_set(env, "JOB_NAME", rec->pipeline);
    const char *slash = strrchr(rec->pipeline, '/');
    tp_env_set(env, "JOB_BASE_NAME", slash ? slash + 1 : rec->pipeline);
    tp_env_set(env, "JENKINS_URL", engine->root_url);
    tp_env_set(env, "HUDSON_URL", engine->root_url);
    tp_env_set(env, "JOB_URL",
               tp_arena_printf(&run->arena, "%sjob/%s/", engine->root_url, rec->pipeline));
    tp_env_set(
        env, "BUILD_URL",
        tp_arena_printf(&run->arena, "%sjob/%s/%s/", engine->root_url, rec->pipeline, number));
    tp_env_set(env, "JENKINS_HOME", engine->data_dir);
    tp_env_set(env, "CI", "true");
    tp_env_set(env, "NODE_NAME", "built-in");
    tp_env_set(env, "NODE_LABELS", "built-in");
    tp_env_set(env, "EXECUTOR_NUMBER", executor);
    tp_env_set(env, "WORKSPACE", run->workspace);
    tp_env_set(env, "WORKSPACE_TMP", tp_arena_printf(&run->arena, "%s@tmp", run->workspace));
    tp_env_set(env, "JENKINS_SERVER_COOKIE", "durable-tidepool");
}

static void run_end(struct run *run)
{
    struct tp_engine *engine = run->engine;
    if (run->pipeline_started) {
        if (run->plan->nenv > 0)
            tp_run_puts(run, "[Pipeline] }\n[Pipeline] // withEnv\n");
        if (run->plan->agent.kind != TP_AGENT_NONE)
            tp_run_puts(run, "[Pipeline] }\n[Pipeline] // node\n");
        tp_run_puts(run, "[Pipeline] End of Pipeline\n");
        if (run->failed) {
            if (run->abort_style)
                tp_run_logf(run, 0, "ERROR: %s\n", tp_buf_str(&run->error));
            else
                tp_run_logf(run, 0, "%s\n", tp_buf_str(&run->error));
        }
    }
    run->rec.result = run->result;
    tp_run_logf(run, 0, "Finished: %s\n", tp_result_name(run->result));
    apply(run, run->result == TP_RESULT_ABORTED ? TP_RUN_EV_ABORT : TP_RUN_EV_FINISH);
    run->rec.end_ms = tp_time_now_ms();
    run->rec.log_complete = true;
    save_run(run);
    tp_log(TP_LOG_INFO, "engine", "run finished pipeline=%s number=%lld result=%s ms=%lld",
           run->rec.pipeline, (long long)run->rec.number, tp_result_name(run->result),
           (long long)(run->rec.end_ms - run->rec.start_ms));

    struct run **link = &engine->active;
    while (*link != run)
        link = &(*link)->next;
    *link = run->next;
    engine->nactive--;
    engine->slot_busy[run->executor] = false;
    run_free(run);
    if (engine->shutting_down && engine->nactive == 0 && engine->shutdown_done != NULL) {
        void (*done)(void *) = engine->shutdown_done;
        engine->shutdown_done = NULL;
        done(engine->shutdown_ctx);
        return;
    }
    schedule_pump(engine);
}

/* Writes the current stage's node row, as the stage starts or is skipped. */
static void begin_node(struct run *run, const struct tp_plan_stage *stage, enum tp_state state,
                       enum tp_result result)
{
    int64_t now = tp_time_now_ms();
    run->node = (struct tp_node_rec){ .run_id = run->rec.id,
                                      .node_id = stage->id,
                                      .seq = stage->seq,
                                      .type = TP_NODE_STAGE,
                                      .name = stage->name,
                                      .first_parent = stage->first_parent,
                                      .edges = stage->edges,
                                      .state = state,
                                      .result = result,
                                      .start_ms = now,
                                      .end_ms = state == TP_STATE_SKIPPED ? now : 0 };
    save_node(run);
}

/* A stage with an agent of its own enters a `node` block (the local executor's). */
static bool has_own_node(const struct tp_plan_stage *stage)
{
    return stage->agent.kind == TP_AGENT_ANY || stage->agent.kind == TP_AGENT_LABEL ||
           stage->agent.kind == TP_AGENT_NODE;
}

static void enter_stage(struct run *run, const struct tp_plan_stage *stage)
{
    run->in_stage = true;
    begin_node(run, stage, TP_STATE_RUNNING, TP_RESULT_UNKNOWN);
    tp_run_logf(run, 0, "[Pipeline] stage\n[Pipeline] { (%s)\n", stage->name);
    if (has_own_node(stage))
        tp_run_logf(run, 0, "[Pipeline] node\nRunning on Jenkins in %s\n[Pipeline] {\n",
                    run->workspace);
    tp_env_close(&run->stage_env);
    tp_env_init(&run->stage_env);
    tp_env_merge(&run->stage_env, &run->env);
    tp_env_set(&run->stage_env, "STAGE_NAME", stage->name);
    if (stage->nenv > 0) {
        tp_run_puts(run, "[Pipeline] withEnv\n[Pipeline] {\n");
        apply_environment(run, stage->env, stage->nenv, &run->stage_env);
    }
}

static void leave_stage(struct run *run, const struct tp_plan_stage *stage, enum tp_result result)
{
    if (stage->nenv > 0)
        tp_run_puts(run, "[Pipeline] }\n[Pipeline] // withEnv\n");
    if (has_own_node(stage))
        tp_run_puts(run, "[Pipeline] }\n[Pipeline] // node\n");
    tp_run_puts(run, "[Pipeline] }\n[Pipeline] // stage\n");
    run->node.state = TP_STATE_FINISHED;
    run->node.result = result;
    run->node.end_ms = tp_time_now_ms();
    save_node(run);
    run->in_stage = false;
}

static void skip_stage(struct run *run, const struct tp_plan_stage *stage)
{
    begin_node(run, stage, TP_STATE_SKIPPED, TP_RESULT_NOT_BUILT);
    tp_run_logf(run, 0,
                "[Pipeline] stage\n[Pipeline] { (%s)\nStage \"%s\" skipped due to earlier "
                "failure(s)\n[Pipeline] }\n[Pipeline] // stage\n",
                stage->name, stage->name);
}

/* Ends the current step row with `result`; a failure also fails the run. */
static void complete_step(struct run *run, enum tp_result result, const char *error)
{
    if (error != NULL)
        tp_run_fail(run, result, true, error);
    if (!run->step_active)
        return;
    run->step.state = TP_STATE_FINISHED;
    run->step.result = result;
    run->step.end_ms = tp_time_now_ms();
    run->step.error = error != NULL ? tp_arena_strdup(&run->arena, error) : NULL;
    save_step(run);
    run->step_active = false;
}

void tp_run_step_finished(struct run *run, enum tp_result result, const char *error)
{
    complete_step(run, result, error);
    run->step_index++;
    run_walk(run);
}

/* Starts one step; returns whether the walk may go on at once. */
static bool start_step(struct run *run, const struct tp_plan_stage *stage,
                       const struct tp_plan_step *step)
{
    const struct tp_step_def *def = tp_steps_find(step->name);
    if (def != NULL && def->needs_node && run->plan->agent.kind == TP_AGENT_NONE &&
        stage->agent.kind == TP_AGENT_UNSET) {
        /* Under `agent none` a stage without its own agent has no node and no workspace. */
        tp_run_fail(run, TP_RESULT_FAILURE, false,
                    "Attempted to execute a step that requires a node context while ‘agent "
                    "none’ was specified. Be sure to specify your own ‘node { ... }’ blocks when "
                    "using ‘agent none’.");
        return true;
    }
    if (def == NULL) {
        /* Jenkins fails before creating any flow node for an unknown method. */
        struct tp_buf message;
        tp_buf_init(&message);
        bool later = tp_steps_is_jenkins(step->name);
        if (later) {
            tp_buf_printf(&message, "tidepool does not support the '%s' step yet (line %d)",
                          step->name, step->line);
        } else {
            tp_buf_printf(&message,
                          "java.lang.NoSuchMethodError: No such DSL method '%s' found among "
                          "steps ",
                          step->name);
            tp_steps_list(&message);
        }
        tp_run_fail(run, TP_RESULT_FAILURE, later, tp_buf_str(&message));
        tp_buf_close(&message);
        return true;
    }
    run->step = (struct tp_step_rec){ .run_id = run->rec.id,
                                      .step_id = step->id,
                                      .node_id = stage->id,
                                      .name = def->name,
                                      .display_name = def->display_name,
                                      .state = TP_STATE_RUNNING,
                                      .result = TP_RESULT_UNKNOWN,
                                      .start_ms = tp_time_now_ms() };
    run->step_active = true;
    run->step_log_size = 0;
    tp_run_logf(run, 0, "[Pipeline] %s\n", def->name);
    enum tp_step_status status = def->start(run, step);
    if (status == TP_STEP_PENDING) {
        save_step(run);
        return false;
    }
    complete_step(run, run->step.result, run->failed ? tp_buf_str(&run->error) : NULL);
    return true;
}

static void run_walk(struct run *run)
{
    const struct tp_plan *plan = run->plan;
    while (run->stage_index < plan->nstages) {
        const struct tp_plan_stage *stage = plan->stages[run->stage_index];
        if (!run->in_stage) {
            if (run->failed || run->aborting) {
                skip_stage(run, stage);
                run->stage_index++;
                continue;
            }
            enter_stage(run, stage);
            run->step_index = 0;
        }
        if (!run->failed && !run->aborting && run->step_index < stage->steps.count) {
            if (!start_step(run, stage, &stage->steps.items[run->step_index]))
                return; /* resumed by tp_run_step_finished */
            run->step_index++;
            continue;
        }
        leave_stage(run, stage, run->failed ? run->result : TP_RESULT_SUCCESS);
        run->stage_index++;
    }
    run_end(run);
}

/* Options that change what a run does: refused until the engine applies them. Every other
 * option is bookkeeping a local sandbox can do without; it is named in the log. */
static const char *const refused_options[] = { "timeout",
                                               "retry",
                                               "lock",
                                               "throttle",
                                               "withCredentials",
                                               "withEnv",
                                               "parallelsAlwaysFailFast",
                                               "skipStagesAfterUnstable",
                                               NULL };

static void why_not(struct tp_buf *out, const char *what, int line)
{
    tp_buf_printf(out, "%s%s (line %d)", out->len ? "; " : "", what, line);
}

static void check_stage(const struct tp_plan_stage *st, struct tp_buf *out)
{
    static const char *const bodies[] = { NULL, "nested stages", "parallel", "matrix" };
    if (bodies[st->kind] != NULL)
        why_not(out, bodies[st->kind], st->line);
    if (st->agent.kind > TP_AGENT_NODE)
        why_not(out, "a docker or kubernetes agent", st->agent.line);
    if (st->when != NULL)
        why_not(out, "when", st->when->all.line);
    if (st->input != NULL)
        why_not(out, "input", st->input->line);
    if (st->post != NULL)
        why_not(out, "post", st->post->line);
    if (st->ntools > 0)
        why_not(out, "tools", st->tools[0].line);
    if (st->noptions > 0)
        why_not(out, "stage options", st->options[0].line);
}

bool tp_engine_can_run(const struct tp_plan *plan, struct tp_buf *why)
{
    if (plan->nparams > 0)
        why_not(why, "parameters", plan->params[0].line);
    if (plan->post != NULL)
        why_not(why, "post", plan->post->line);
    if (plan->ntools > 0)
        why_not(why, "tools", plan->tools[0].line);
    if (plan->nlibraries > 0)
        why_not(why, "libraries", plan->libraries[0].line);
    if (plan->agent.kind > TP_AGENT_NODE)
        why_not(why, "a docker or kubernetes agent", plan->agent.line);
    for (size_t i = 0; i < plan->noptions; i++) {
        const struct tp_plan_call *option = &plan->options[i];
        bool refused = false;
        for (const char *const *r = refused_options; *r != NULL; r++)
            refused = refused || strcmp(option->name, *r) == 0;
        if (refused) {
            char what[96];
            snprintf(what, sizeof(what), "option %s", option->name);
            why_not(why, what, option->line);
        }
    }
    for (size_t i = 0; i < plan->nstages; i++)
        check_stage(plan->stages[i], why);
    return why->len == 0;
}

static void run_begin(struct run *run)
{
    struct tp_engine *engine = run->engine;
    apply(run, TP_RUN_EV_START);
    run->rec.start_ms = tp_time_now_ms();
    save_run(run);
    tp_log(TP_LOG_INFO, "engine", "run started pipeline=%s number=%lld executor=%d",
           run->rec.pipeline, (long long)run->rec.number, run->executor);
    tp_run_logf(run, 0, "%s\n", run->rec.cause ? run->rec.cause : "Started");

    int err = tp_plan_compile(run->rec.script, strlen(run->rec.script), &run->plan);
    if (err < 0) {
        struct tp_buf text;
        tp_buf_init(&text);
        tp_plan_format_errors(run->plan, &text);
        tp_run_log(run, 0, text.data, text.len);
        tp_buf_close(&text);
        run->result = TP_RESULT_FAILURE;
        run_end(run);
        return;
    }
    struct tp_buf unsupported;
    tp_buf_init(&unsupported);
    if (!tp_engine_can_run(run->plan, &unsupported)) {
        tp_run_logf(run, 0, "ERROR: tidepool cannot run this pipeline yet: %s\n",
                    tp_buf_str(&unsupported));
        tp_buf_close(&unsupported);
        run->result = TP_RESULT_FAILURE;
        run_end(run);
        return;
    }
    tp_buf_close(&unsupported);
    err = prepare_workspace(run);
    if (err < 0) {
        tp_run_logf(run, 0, "ERROR: cannot create workspace %s: %s\n", run->workspace,
                    tp_strerror(err));
        run->result = TP_RESULT_FAILURE;
        run_end(run);
        return;
    }
    set_core_env(run);
    run->pipeline_started = true;
    tp_run_puts(run, "[Pipeline] Start of Pipeline\n");
    for (size_t i = 0; i < run->plan->noptions; i++)
        tp_run_logf(run, 0, "tidepool: option %s is not applied by tidepool yet\n",
                    run->plan->options[i].name);
    if (run->plan->ntriggers > 0)
        tp_run_puts(run, "tidepool: triggers are kept but not scheduled by tidepool yet\n");
    if (run->plan->agent.kind != TP_AGENT_NONE)
        tp_run_logf(run, 0, "[Pipeline] node\nRunning on Jenkins in %s\n[Pipeline] {\n",
                    run->workspace);
    if (run->plan->nenv > 0) {
        tp_run_puts(run, "[Pipeline] withEnv\n[Pipeline] {\n");
        apply_environment(run, run->plan->env, run->plan->nenv, &run->env);
    }
    (void)engine;
    run_walk(run);
}

/* --- queue and slots --- */

static void on_pump(uv_timer_t *timer)
{
    struct tp_engine *engine = timer->data;
    while (engine->queue_head != NULL && !engine->shutting_down) {
        int slot = -1;
        for (int i = 0; i < engine->executors && slot < 0; i++) {
            if (!engine->slot_busy[i])
                slot = i;
        }
        if (slot < 0)
            return;
        struct run *run = engine->queue_head;
        engine->queue_head = run->next;
        if (engine->queue_head == NULL)
            engine->queue_tail = NULL;
        engine->slot_busy[slot] = true;
        run->executor = slot;
        run->next = engine->active;
        engine->active = run;
        engine->nactive++;
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

static void on_flush(uv_prepare_t *prepare)
{
    struct tp_engine *engine = prepare->data;
    for (struct run *run = engine->active; run != NULL; run = run->next)
        flush_pending(run);
    tp_store_flush(engine->store);
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
    *out = engine;
    return 0;
}

static void on_handle_closed(uv_handle_t *handle)
{
    (void)handle;
}

void tp_engine_free(struct tp_engine *engine)
{
    if (engine == NULL)
        return;
    if (engine->flusher.loop != NULL) {
        on_flush(&engine->flusher);
        uv_close((uv_handle_t *)&engine->flusher, on_handle_closed);
        uv_close((uv_handle_t *)&engine->pump, on_handle_closed);
        /* Let the close callbacks run before the memory goes. */
        uv_run(engine->loop, UV_RUN_NOWAIT);
    }
    while (engine->queue_head != NULL) {
        struct run *run = engine->queue_head;
        engine->queue_head = run->next;
        run_free(run);
    }
    tp_env_close(&engine->base_env);
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
    return tp_store_pipeline_put(engine->store, name, script, source, &id);
}

static int recover_one(void *ctx, const struct tp_run_rec *rec)
{
    struct tp_engine *engine = ctx;
    if (rec->state == TP_STATE_QUEUED) {
        /* Queued runs never started: they simply wait in the queue again. */
        enqueue(engine, run_new(engine, rec));
        return 0;
    }
    struct run *run = run_new(engine, rec);
    const char *line = "tidepool stopped while this run was in progress; it cannot be resumed\n";
    /* The stored size lags behind the chunks (it is written with state changes): the
     * chunks themselves say where the log ends. */
    int64_t raw = 0, lf = 0;
    tp_store_log_measure(engine->store, rec->id, 0, 0, &raw, &lf);
    run->rec.log_size = raw;
    run->executor = 0;
    tp_run_puts(run, line);
    run->rec.result = TP_RESULT_ABORTED;
    run->rec.state = TP_STATE_FINISHED;
    run->rec.end_ms = tp_time_now_ms();
    tp_run_puts(run, "Finished: ABORTED\n");
    run->rec.log_complete = true;
    flush_pending(run);
    tp_store_run_update(engine->store, &run->rec);
    tp_store_run_close_open_nodes(engine->store, run->rec.id, TP_RESULT_ABORTED, run->rec.end_ms);
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
    return err;
}

int tp_engine_start(struct tp_engine *engine, const char *pipeline, const char *user,
                    struct tp_arena *arena, struct tp_run_rec *queued)
{
    if (engine->shutting_down)
        return TP_ECONFLICT;
    struct tp_pipeline_rec p;
    int err = tp_store_pipeline_get(engine->store, pipeline, arena, &p);
    if (err < 0)
        return err;
    struct tp_run_rec rec = {
        .pipeline_id = p.id,
        .pipeline = p.name,
        .state = TP_STATE_QUEUED,
        .result = TP_RESULT_UNKNOWN,
        .enqueue_ms = tp_time_now_ms(),
        .cause = tp_arena_printf(arena, "Started by user %s", user),
        .cause_user = user,
        .script = p.script,
    };
    err = tp_store_run_insert(engine->store, &rec);
    if (err < 0)
        return err;
    *queued = rec;
    tp_log(TP_LOG_INFO, "engine", "run queued pipeline=%s number=%lld queue_id=%lld", pipeline,
           (long long)rec.number, (long long)rec.queue_id);
    enqueue(engine, run_new(engine, &rec));
    if (engine->events.on_run != NULL)
        engine->events.on_run(engine->events.ctx, &rec);
    return 0;
}

void tp_engine_shutdown(struct tp_engine *engine, void (*done)(void *ctx), void *ctx)
{
    engine->shutting_down = true;
    uv_timer_stop(&engine->pump);
    if (engine->nactive == 0) {
        done(ctx);
        return;
    }
    engine->shutdown_done = done;
    engine->shutdown_ctx = ctx;
    for (struct run *run = engine->active; run != NULL; run = run->next) {
        run->aborting = true;
        if (run->child != NULL)
            tp_exec_kill(run->child, KILL_GRACE_MS);
    }
}

int tp_engine_active(const struct tp_engine *engine)
{
    int n = engine->nactive;
    for (const struct run *run = engine->queue_head; run != NULL; run = run->next)
        n++;
    return n;
}
