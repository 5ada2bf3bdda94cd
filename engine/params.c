/* SPDX-License-Identifier: MIT */
#include "engine/params.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"
#include "jenkinsfile/parser.h"

/* A literal default as text (parameters are declared with literals; anything else is the
 * expression's source form, as Jenkins would show it unevaluated). */
static const char *literal(const struct tp_expr *e, char *scratch, size_t size)
{
    if (e == NULL)
        return NULL;
    switch (e->kind) {
    case TP_EXPR_STRING:
    case TP_EXPR_INT:
    case TP_EXPR_FLOAT:
        return e->text;
    case TP_EXPR_BOOL:
        return e->flag ? "true" : "false";
    case TP_EXPR_NULL:
        return NULL;
    default: {
        struct tp_buf b;
        tp_buf_init(&b);
        tp_ast_dump_expr(e, &b);
        snprintf(scratch, size, "%s", tp_buf_str(&b));
        tp_buf_close(&b);
        return scratch;
    }
    }
}

static const char *default_value(const struct tp_plan_param *p, char *scratch, size_t size)
{
    const char *value = literal(p->default_value, scratch, size);
    switch (p->type) {
    case TP_PARAM_BOOLEAN:
        return value != NULL && strcmp(value, "true") == 0 ? "true" : "false";
    case TP_PARAM_CHOICE:
        return p->nchoices > 0 ? p->choices[0] : "";
    default:
        return value != NULL ? value : "";
    }
}

static const struct tp_plan_param *find(const struct tp_plan_param *defs, size_t n,
                                        const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (defs[i].name != NULL && strcmp(defs[i].name, name) == 0)
            return &defs[i];
    }
    return NULL;
}

/* A given value as the parameter's text; NULL when it does not fit the type. */
static const char *given_text(const struct tp_plan_param *p, const cJSON *value, char *scratch,
                              size_t size)
{
    if (cJSON_IsBool(value))
        return cJSON_IsTrue(value) ? "true" : "false";
    if (cJSON_IsNumber(value)) {
        snprintf(scratch, size, "%.17g", value->valuedouble);
        return scratch;
    }
    if (cJSON_IsString(value)) {
        if (p->type == TP_PARAM_BOOLEAN)
            return strcmp(value->valuestring, "true") == 0 ? "true" : "false";
        return value->valuestring;
    }
    return NULL;
}

int tp_params_resolve(const struct tp_plan *plan, const cJSON *given, cJSON **values,
                      struct tp_buf *error)
{
    return tp_params_resolve_defs(plan->params, plan->nparams, given, values, error);
}

int tp_params_resolve_defs(const struct tp_plan_param *defs, size_t ndefs, const cJSON *given,
                           cJSON **values, struct tp_buf *error)
{
    *values = cJSON_CreateArray();
    if (ndefs == 0)
        return 0; /* Jenkins ignores what a job without parameters is given */
    if (given != NULL && !cJSON_IsArray(given)) {
        tp_buf_puts(error, "parameters must be an array");
        goto invalid;
    }
    if (given == NULL) {
        tp_buf_puts(error, "This is parameterized job, requires parameters");
        goto invalid;
    }
    const cJSON *item;
    cJSON_ArrayForEach(item, given)
    {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "name"));
        if (name == NULL) {
            tp_buf_puts(error, "parameters.name is required element");
            goto invalid;
        }
        if (find(defs, ndefs, name) == NULL) {
            tp_buf_printf(error, "No such parameter definition: %s", name);
            goto invalid;
        }
    }
    for (size_t i = 0; i < ndefs; i++) {
        const struct tp_plan_param *p = &defs[i];
        if (p->name == NULL)
            continue;
        char scratch[256];
        const char *text = NULL;
        cJSON_ArrayForEach(item, given)
        {
            const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "name"));
            if (strcmp(name, p->name) == 0) {
                const cJSON *value = cJSON_GetObjectItemCaseSensitive(item, "value");
                text = given_text(p, value, scratch, sizeof(scratch));
                if (text == NULL) {
                    tp_buf_printf(error, "Invalid value for parameter: %s", p->name);
                    goto invalid;
                }
            }
        }
        if (text == NULL)
            text = default_value(p, scratch, sizeof(scratch));
        if (p->type == TP_PARAM_CHOICE && p->nchoices > 0) {
            bool known = false;
            for (size_t c = 0; c < p->nchoices; c++)
                known = known || strcmp(p->choices[c], text) == 0;
            if (!known) {
                tp_buf_printf(error, "Illegal choice for parameter %s: %s", p->name, text);
                goto invalid;
            }
        }
        if (p->trim) {
            while (*text == ' ' || *text == '\t' || *text == '\n')
                text++;
        }
        cJSON *entry = cJSON_CreateObject();
        cJSON_AddStringToObject(entry, "name", p->name);
        if (p->type == TP_PARAM_BOOLEAN) {
            cJSON_AddBoolToObject(entry, "value", strcmp(text, "true") == 0);
        } else {
            char *copy = tp_xstrdup(text);
            if (p->trim) {
                size_t n = strlen(copy);
                while (n > 0 && (copy[n - 1] == ' ' || copy[n - 1] == '\t' || copy[n - 1] == '\n'))
                    copy[--n] = '\0';
            }
            cJSON_AddStringToObject(entry, "value", copy);
            free(copy);
        }
        cJSON_AddItemToArray(*values, entry);
    }
    return 0;
invalid:
    cJSON_Delete(*values);
    *values = NULL;
    return TP_EINVAL;
}

const char *tp_params_get(const cJSON *values, const char *name)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, values)
    {
        const char *n = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "name"));
        if (n == NULL || strcmp(n, name) != 0)
            continue;
        const cJSON *value = cJSON_GetObjectItemCaseSensitive(item, "value");
        if (cJSON_IsBool(value))
            return cJSON_IsTrue(value) ? "true" : "false";
        return cJSON_GetStringValue(value);
    }
    return NULL;
}

cJSON *tp_params_definitions_json(const struct tp_plan *plan)
{
    return plan != NULL ? tp_params_definitions_defs(plan->params, plan->nparams)
                        : cJSON_CreateArray();
}

cJSON *tp_params_definitions_defs(const struct tp_plan_param *defs, size_t ndefs)
{
    static const struct {
        const char *definition, *value, *type;
    } classes[] = {
        [TP_PARAM_STRING] = { "hudson.model.StringParameterDefinition",
                              "hudson.model.StringParameterValue", "StringParameterDefinition" },
        [TP_PARAM_TEXT] = { "hudson.model.TextParameterDefinition",
                            "hudson.model.TextParameterValue", "TextParameterDefinition" },
        [TP_PARAM_BOOLEAN] = { "hudson.model.BooleanParameterDefinition",
                               "hudson.model.BooleanParameterValue", "BooleanParameterDefinition" },
        [TP_PARAM_CHOICE] = { "hudson.model.ChoiceParameterDefinition",
                              "hudson.model.StringParameterValue", "ChoiceParameterDefinition" },
        [TP_PARAM_PASSWORD] = { "hudson.model.PasswordParameterDefinition",
                                "hudson.model.PasswordParameterValue",
                                "PasswordParameterDefinition" },
    };

    cJSON *list = cJSON_CreateArray();
    for (size_t i = 0; i < ndefs; i++) {
        const struct tp_plan_param *p = &defs[i];
        if (p->type == TP_PARAM_OTHER || p->name == NULL)
            continue; /* a plugin's type: Jenkins without that plugin would not show it */
        char scratch[256];
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "_class", classes[p->type].definition);
        cJSON *dv = cJSON_AddObjectToObject(d, "defaultParameterValue");
        cJSON_AddStringToObject(dv, "_class", classes[p->type].value);
        cJSON_AddStringToObject(dv, "name", p->name);
        const char *value = default_value(p, scratch, sizeof(scratch));
        if (p->type == TP_PARAM_BOOLEAN)
            cJSON_AddBoolToObject(dv, "value", strcmp(value, "true") == 0);
        else if (p->type == TP_PARAM_PASSWORD)
            cJSON_AddNullToObject(dv, "value"); /* Jenkins never exports a secret */
        else
            cJSON_AddStringToObject(dv, "value", value);
        const char *description = literal(p->description, scratch, sizeof(scratch));
        if (description != NULL)
            cJSON_AddStringToObject(d, "description", description);
        else
            cJSON_AddNullToObject(d, "description");
        cJSON_AddStringToObject(d, "name", p->name);
        cJSON_AddStringToObject(d, "type", classes[p->type].type);
        if (p->type == TP_PARAM_CHOICE) {
            cJSON *choices = cJSON_AddArrayToObject(d, "choices");
            for (size_t c = 0; c < p->nchoices; c++)
                cJSON_AddItemToArray(choices, cJSON_CreateString(p->choices[c]));
        }
        cJSON_AddItemToArray(list, d);
    }
    return list;
}

void tp_params_of_job(const struct tp_plan *plan, const char *xml_defs, struct tp_arena *arena,
                      const struct tp_plan_param **defs, size_t *n)
{
    *defs = NULL;
    *n = 0;
    if (plan != NULL && plan->nparams > 0) {
        *defs = plan->params;
        *n = plan->nparams;
        return;
    }
    if (xml_defs == NULL)
        return;
    char *text = tp_arena_printf(arena, "x = %s\n", xml_defs);
    struct tp_diags diags;
    struct tp_script script;
    tp_diags_init(&diags, arena);
    if (tp_parse(text, strlen(text), arena, &diags, &script) < 0 || script.body->count != 1 ||
        script.body->items[0]->kind != TP_STMT_EXPR ||
        script.body->items[0]->expr->kind != TP_EXPR_ASSIGN)
        return;
    struct tp_plan_param *params;
    if (tp_plan_read_params(script.body->items[0]->expr->b, arena, &diags, &params, n) < 0) {
        *n = 0;
        return;
    }
    *defs = params;
}
