/* SPDX-License-Identifier: MIT */
/*
 * The build step (pipeline-build-step): `build job: 'name', parameters: [...], wait: true,
 * propagate: true` queues a run of another pipeline, caused by this one ("Started by upstream
 * project"). With wait, the step ends when that run does: its value is the run (number,
 * result, absoluteUrl...), and with propagate a result other than SUCCESS interrupts this
 * run with that result. Stopping this run stops the one it waits for.
 */
#include <string.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/str.h"
#include "engine/engine_int.h"
#include "store/store.h"

/* The value of a named boolean argument, `fallback` when absent; false on a bad value (the
 * frame has failed then). */
static bool flag_arg(struct frame *f, const struct tp_plan_step *step, const char *name,
                     bool fallback, bool *ok)
{
    const struct tp_expr *e = tp_ast_named_arg(step->call, name);
    if (e == NULL)
        return fallback;
    if (e->kind == TP_EXPR_BOOL)
        return e->flag;
    const char *text = NULL;
    if (tp_frame_eval_text(f, e, &text) < 0) {
        *ok = false;
        return false;
    }
    return text != NULL && strcmp(text, "true") == 0;
}

/* parameters: [string(name: 'X', value: 'y'), booleanParam(name: 'B', value: true), ...] as
 * the [{"name":..,"value":..}] a run is started with. Returns NULL (the frame failed) on a bad
 * list. */
static cJSON *parameters_of(struct frame *f, const struct tp_expr *list)
{
    cJSON *out = cJSON_CreateArray();
    if (list == NULL)
        return out;
    if (list->kind != TP_EXPR_LIST) {
        tp_frame_fail(f, TP_RESULT_FAILURE, true, "build's parameters must be a list");
        cJSON_Delete(out);
        return NULL;
    }
    for (size_t i = 0; i < list->args.count; i++) {
        const struct tp_expr *p = list->args.items[i];
        const char *name = NULL, *value = NULL;
        if (p->kind != TP_EXPR_CALL || p->text == NULL ||
            tp_frame_eval_text(f, tp_ast_named_arg(p, "name"), &name) < 0 ||
            tp_frame_eval_text(f, tp_ast_named_arg(p, "value"), &value) < 0 || name == NULL) {
            if (!f->failed)
                tp_frame_fail(f, TP_RESULT_FAILURE, true,
                              "build's parameters are written string(name: 'X', value: 'y')");
            cJSON_Delete(out);
            return NULL;
        }
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "name", name);
        if (strcmp(p->text, "booleanParam") == 0)
            cJSON_AddBoolToObject(item, "value", value != NULL && strcmp(value, "true") == 0);
        else
            cJSON_AddStringToObject(item, "value", value != NULL ? value : "");
        cJSON_AddItemToArray(out, item);
    }
    return out;
}

enum tp_step_status tp_step_build(struct frame *f, const struct tp_plan_step *step)
{
    const char *job = NULL;
    if (tp_frame_eval_text(f, tp_step_arg(step->call, "job"), &job) < 0 || job == NULL) {
        if (!f->failed)
            tp_frame_fail(f, TP_RESULT_FAILURE, true, "build requires a job");
        f->step.result = TP_RESULT_FAILURE;
        return TP_STEP_DONE;
    }
    f->step.description = job;
    bool ok = true;
    f->build_wait = flag_arg(f, step, "wait", true, &ok);
    f->build_propagate = flag_arg(f, step, "propagate", true, &ok);
    cJSON *parameters = ok ? parameters_of(f, tp_ast_named_arg(step->call, "parameters")) : NULL;
    if (parameters == NULL) {
        f->step.result = TP_RESULT_FAILURE;
        return TP_STEP_DONE;
    }
    struct tp_buf error;
    tp_buf_init(&error);
    struct tp_run_rec queued;
    int err = tp_engine_trigger(f, job, parameters, &queued, &error);
    cJSON_Delete(parameters);
    if (err < 0) {
        tp_frame_fail(f, TP_RESULT_FAILURE, true, tp_buf_str(&error));
        tp_buf_close(&error);
        f->step.result = TP_RESULT_FAILURE;
        return TP_STEP_DONE;
    }
    tp_buf_close(&error);
    if (!f->build_wait) {
        f->step.result = TP_RESULT_SUCCESS;
        return TP_STEP_DONE;
    }
    f->downstream = queued.id;
    return TP_STEP_PENDING;
}

/* "team » app #3" */
static const char *run_display(struct frame *f, const struct tp_run_rec *run)
{
    struct tp_buf name;
    tp_buf_init(&name);
    tp_str_job_display(run->pipeline, &name);
    const char *text =
        tp_arena_printf(&f->run->arena, "%s #%lld", tp_buf_str(&name), (long long)run->number);
    tp_buf_close(&name);
    return text;
}

void tp_build_started(struct frame *f, const struct tp_run_rec *run)
{
    tp_run_logf(f->run, "Starting building: %s\n", run_display(f, run));
}

/* The RunWrapper the step returns, as a map of its properties. */
static cJSON *run_value(struct frame *f, const struct tp_run_rec *run)
{
    cJSON *v = cJSON_CreateObject();
    struct tp_buf url, name;
    tp_buf_init(&url);
    tp_buf_init(&name);
    tp_buf_puts(&url, tp_engine_root_url(f->run->engine));
    tp_str_job_path(run->pipeline, &url);
    tp_buf_printf(&url, "%lld/", (long long)run->number);
    tp_str_job_display(run->pipeline, &name);
    const char *result = tp_result_name(run->result);
    cJSON_AddNumberToObject(v, "number", (double)run->number);
    cJSON_AddStringToObject(v, "id",
                            tp_arena_printf(&f->run->arena, "%lld", (long long)run->number));
    cJSON_AddStringToObject(v, "result", result);
    cJSON_AddStringToObject(v, "currentResult", result);
    cJSON_AddStringToObject(v, "displayName",
                            run->display_name != NULL
                                ? run->display_name
                                : tp_arena_printf(&f->run->arena, "#%lld", (long long)run->number));
    cJSON_AddStringToObject(v, "fullDisplayName", run_display(f, run));
    cJSON_AddStringToObject(v, "projectName",
                            strrchr(run->pipeline, '/') != NULL ? strrchr(run->pipeline, '/') + 1
                                                                : run->pipeline);
    cJSON_AddStringToObject(v, "fullProjectName", run->pipeline);
    cJSON_AddStringToObject(v, "absoluteUrl", tp_buf_str(&url));
    cJSON_AddNumberToObject(v, "duration", (double)(run->end_ms - run->start_ms));
    cJSON_AddNumberToObject(v, "startTimeInMillis", (double)run->start_ms);
    if (run->description != NULL)
        cJSON_AddStringToObject(v, "description", run->description);
    else
        cJSON_AddNullToObject(v, "description");
    cJSON_AddItemToObject(v, "buildVariables", cJSON_CreateObject());
    tp_buf_close(&url);
    tp_buf_close(&name);
    return v;
}

void tp_build_ended(struct frame *f, const struct tp_run_rec *run)
{
    f->downstream = 0;
    const char *display = run_display(f, run);
    enum tp_result result = run->result;
    tp_run_logf(f->run, "Build %s completed: %s\n", display, tp_result_name(result));
    if (f->kill_sent) { /* this run is being stopped: the step is aborted with it */
        tp_frame_step_finished(f, TP_RESULT_ABORTED, NULL);
        return;
    }
    if (!f->build_propagate || result == TP_RESULT_SUCCESS) {
        f->step_value = run_value(f, run);
        tp_frame_step_finished(f, TP_RESULT_SUCCESS, NULL);
        return;
    }
    /* a FlowInterruptedException with the downstream's result: the run ends with it */
    const char *why =
        tp_arena_printf(&f->run->arena, "%s completed with status %s (propagate: false to ignore)",
                        display, tp_result_name(result));
    if (f->script != NULL) {
        tp_frame_step_finished(f, result, why); /* thrown into the script */
        return;
    }
    tp_frame_fail(f, result, false, why);
    tp_frame_step_finished(f, result, NULL);
}
