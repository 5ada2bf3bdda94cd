/* SPDX-License-Identifier: MIT */
/*
 * The input step (and the stage `input` directive): what the run waits for, and the id
 * Blue Ocean knows it by. Waiting and answering are the walker's (engine.c).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <md5.h>

#include "engine/engine_int.h"

void tp_input_id(const char *message, const char *given, struct tp_buf *out)
{
    size_t start = out->len;
    if (given != NULL && given[0] != '\0') {
        tp_buf_puts(out, given);
    } else {
        char hex[MD5_DIGEST_STRING_LENGTH];
        tp_buf_puts(out, MD5Data((const uint8_t *)message, strlen(message), hex));
    }
    /* Jenkins upper-cases the first letter (a-z only) of either. */
    if (out->len > start && out->data[start] >= 'a' && out->data[start] <= 'z')
        out->data[start] = (char)toupper((unsigned char)out->data[start]);
}

enum tp_step_status tp_frame_input(struct frame *f, const struct tp_expr *message,
                                   const struct tp_expr *id, const struct tp_expr *ok,
                                   const struct tp_expr *submitter,
                                   const struct tp_plan_param *params, size_t nparams,
                                   bool unsupported_params)
{
    const char *text, *given, *caption, *who;
    if (message == NULL) {
        tp_frame_fail(f, TP_RESULT_FAILURE, true, "input requires a message");
        f->step.result = TP_RESULT_FAILURE;
        return TP_STEP_DONE;
    }
    if (!tp_engine_answers_inputs(f->run->engine)) {
        tp_frame_fail(f, TP_RESULT_FAILURE, true,
                      "nobody can answer an input here: run this pipeline with tidepool serve "
                      "and answer it through the API");
        f->step.result = TP_RESULT_FAILURE;
        return TP_STEP_DONE;
    }
    if (unsupported_params) {
        tp_frame_fail(f, TP_RESULT_FAILURE, true, "tidepool does not support input parameters yet");
        f->step.result = TP_RESULT_FAILURE;
        return TP_STEP_DONE;
    }
    if (tp_frame_eval_text(f, message, &text) < 0 || tp_frame_eval_text(f, id, &given) < 0 ||
        tp_frame_eval_text(f, ok, &caption) < 0 || tp_frame_eval_text(f, submitter, &who) < 0) {
        f->step.result = TP_RESULT_FAILURE;
        return TP_STEP_DONE;
    }
    struct tp_buf input_id;
    tp_buf_init(&input_id);
    tp_input_id(text, given, &input_id);
    f->step.description = text;
    tp_frame_wait_input(f, text, tp_buf_str(&input_id), caption != NULL ? caption : "Proceed", who,
                        params, nparams);
    tp_buf_close(&input_id);
    return TP_STEP_PENDING;
}

enum tp_step_status tp_step_input(struct frame *f, const struct tp_plan_step *step)
{
    const struct tp_expr *list = tp_ast_named_arg(step->call, "parameters");
    struct tp_plan_param *params = NULL;
    size_t nparams = 0;
    if (list != NULL) {
        /* string(name: ...), choice(...): literal calls in steps, symbol values from Groovy */
        struct tp_diags diags;
        tp_diags_init(&diags, &f->run->arena);
        if (tp_plan_read_params(list, &f->run->arena, &diags, &params, &nparams) < 0) {
            tp_frame_fail(f, TP_RESULT_FAILURE, true,
                          tp_arena_printf(&f->run->arena, "input parameters: %s",
                                          diags.count ? diags.items[0].message : "invalid"));
            f->step.result = TP_RESULT_FAILURE;
            return TP_STEP_DONE;
        }
    }
    const char *submitter_parameter = NULL;
    if (tp_frame_eval_text(f, tp_ast_named_arg(step->call, "submitterParameter"),
                           &submitter_parameter) < 0) {
        f->step.result = TP_RESULT_FAILURE;
        return TP_STEP_DONE;
    }
    f->input_submitter_parameter = submitter_parameter;
    return tp_frame_input(f, tp_step_arg(step->call, "message"), tp_ast_named_arg(step->call, "id"),
                          tp_ast_named_arg(step->call, "ok"),
                          tp_ast_named_arg(step->call, "submitter"), params, nparams, false);
}
