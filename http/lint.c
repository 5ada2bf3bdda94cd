/* SPDX-License-Identifier: MIT */
#include "http/lint.h"

#include <llhttp.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/json.h"
#include "http/form.h"
#include "jenkinsfile/plan.h"

static int post_validate(struct tp_req *req, struct tp_resp *resp)
{
    const char *text;
    size_t len;
    resp->content_type = "text/plain;charset=UTF-8";
    if (!tp_form_field(req, "jenkinsfile", &text, &len)) {
        tp_buf_puts(&resp->body, "No Jenkinsfile specified");
        return 0;
    }
    struct tp_plan *plan;
    int err = tp_plan_compile(text, len, &plan);
    if (err == 0) {
        tp_buf_puts(&resp->body, "Jenkinsfile successfully validated.");
    } else if (!plan->has_pipeline && plan->diags.count == 1) {
        tp_buf_printf(&resp->body, "Jenkinsfile content '%s' did not contain the 'pipeline' step",
                      plan->source);
    } else {
        tp_buf_puts(&resp->body, "Errors encountered validating Jenkinsfile:");
        for (size_t i = 0; i < plan->diags.count; i++) {
            tp_buf_putc(&resp->body, '\n');
            tp_plan_format_error(plan, &plan->diags.items[i], &resp->body);
        }
    }
    tp_plan_free(plan);
    return 0;
}

static cJSON *failure(cJSON *data)
{
    cJSON_AddStringToObject(data, "result", "failure");
    return cJSON_AddArrayToObject(data, "errors");
}

static int post_validate_jenkinsfile(struct tp_req *req, struct tp_resp *resp)
{
    const char *text;
    size_t len;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "status", "ok");
    cJSON *data = cJSON_AddObjectToObject(root, "data");
    if (!tp_form_field(req, "jenkinsfile", &text, &len) || len == 0) {
        cJSON *error = cJSON_CreateObject();
        cJSON_AddStringToObject(error, "error", "No content found for 'jenkinsfile' parameter");
        cJSON_AddItemToArray(failure(data), error);
    } else {
        struct tp_plan *plan;
        if (tp_plan_compile(text, len, &plan) == 0) {
            cJSON_AddStringToObject(data, "result", "success");
        } else {
            /* Jenkins gathers every message under one "error" key: a string for one, an
             * array for several. */
            cJSON *error = cJSON_CreateObject();
            struct tp_buf message;
            tp_buf_init(&message);
            cJSON *many = plan->diags.count > 1 ? cJSON_AddArrayToObject(error, "error") : NULL;
            for (size_t i = 0; i < plan->diags.count; i++) {
                const struct tp_diag *d = &plan->diags.items[i];
                tp_buf_reset(&message);
                if (!plan->has_pipeline && plan->diags.count == 1)
                    tp_buf_printf(&message,
                                  "Jenkinsfile content '%s' did not contain the 'pipeline' step",
                                  plan->source);
                else
                    tp_buf_printf(&message, "%s @ line %d, column %d.", d->message, d->line,
                                  d->col);
                if (many != NULL)
                    cJSON_AddItemToArray(many, cJSON_CreateString(message.data));
                else
                    cJSON_AddStringToObject(error, "error", message.data);
            }
            tp_buf_close(&message);
            cJSON_AddItemToArray(failure(data), error);
        }
        tp_plan_free(plan);
    }
    resp->content_type = "application/json;charset=UTF-8";
    tp_json_print(root, &resp->body);
    cJSON_Delete(root);
    return 0;
}

static const struct tp_route lint_routes[] = {
    { HTTP_POST, "/pipeline-model-converter/validate", post_validate },
    { HTTP_POST, "/pipeline-model-converter/validateJenkinsfile", post_validate_jenkinsfile },
};

const struct tp_route_table tp_lint_table = {
    .prefix = "/pipeline-model-converter",
    .routes = lint_routes,
    .count = sizeof(lint_routes) / sizeof(lint_routes[0]),
};
