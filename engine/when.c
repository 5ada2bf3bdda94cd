/* SPDX-License-Identifier: MIT */
#include "engine/when.h"
#include "common/str.h"

#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/err.h"

/* The text of a condition argument: positional `index`, or named `name`. */
static int arg_text(const struct tp_plan_when *w, const struct tp_when_ctx *ctx, const char *name,
                    size_t index, struct tp_buf *out, bool *present, struct tp_buf *error)
{
    const struct tp_expr *e = tp_ast_named_arg(w->call, name);
    if (e == NULL && w->call->kind == TP_EXPR_CALL && index < w->call->args.count)
        e = w->call->args.items[index];
    *present = e != NULL;
    return e != NULL ? tp_eval_string(e, &ctx->eval, out, error) : 0;
}

/* Compares `value` with `pattern` by a comparator: GLOB (Ant), REGEXP (whole match), EQUALS. */
static bool compare(const char *comparator, const char *pattern, const char *value)
{
    if (strcmp(comparator, "EQUALS") == 0)
        return strcmp(pattern, value) == 0;
    if (strcmp(comparator, "REGEXP") == 0) {
        char anchored[1024];
        regex_t re;
        snprintf(anchored, sizeof(anchored), "^(%s)$", pattern);
        if (regcomp(&re, anchored, REG_EXTENDED | REG_NOSUB) != 0)
            return false;
        bool matched = regexec(&re, value, 0, NULL, 0) == 0;
        regfree(&re);
        return matched;
    }
    return tp_str_glob(pattern, value, true);
}

static const char *env(const struct tp_when_ctx *ctx, const char *name)
{
    const char *value = ctx->eval.env(ctx->eval.ctx, name);
    return value != NULL ? value : "";
}

/* branch / tag: the pattern against BRANCH_NAME (or GIT_LOCAL_BRANCH) / TAG_NAME. */
static int pattern_condition(const struct tp_plan_when *w, const struct tp_when_ctx *ctx,
                             const char *value, bool *holds, struct tp_buf *error)
{
    struct tp_buf pattern, comparator;
    bool has_pattern, has_comparator;
    tp_buf_init(&pattern);
    tp_buf_init(&comparator);
    int err = arg_text(w, ctx, "pattern", 0, &pattern, &has_pattern, error);
    if (err == 0)
        err = arg_text(w, ctx, "comparator", 99, &comparator, &has_comparator, error);
    if (err == 0) {
        const char *p = tp_buf_str(&pattern);
        if (w->kind == TP_WHEN_TAG)
            *holds = *value != '\0' &&
                     (*p == '\0' || compare(has_comparator ? comparator.data : "GLOB", p, value));
        else if (*p == '\0' && *value == '\0')
            *holds = true;
        else
            *holds = *p != '\0' && *value != '\0' &&
                     compare(has_comparator ? comparator.data : "GLOB", p, value);
    }
    tp_buf_close(&pattern);
    tp_buf_close(&comparator);
    return err;
}

static int change_request(const struct tp_plan_when *w, const struct tp_when_ctx *ctx, bool *holds,
                          struct tp_buf *error)
{
    static const char *const attributes[][2] = {
        { "id", "CHANGE_ID" },
        { "target", "CHANGE_TARGET" },
        { "branch", "CHANGE_BRANCH" },
        { "fork", "CHANGE_FORK" },
        { "url", "CHANGE_URL" },
        { "title", "CHANGE_TITLE" },
        { "author", "CHANGE_AUTHOR" },
        { "authorDisplayName", "CHANGE_AUTHOR_DISPLAY_NAME" },
        { "authorEmail", "CHANGE_AUTHOR_EMAIL" },
    };
    *holds = *env(ctx, "CHANGE_ID") != '\0';
    struct tp_buf comparator, want;
    bool present;
    tp_buf_init(&comparator);
    tp_buf_init(&want);
    int err = arg_text(w, ctx, "comparator", 99, &comparator, &present, error);
    const char *how = present ? tp_buf_str(&comparator) : "EQUALS";
    for (size_t i = 0; err == 0 && *holds && i < sizeof(attributes) / sizeof(attributes[0]); i++) {
        tp_buf_reset(&want);
        err = arg_text(w, ctx, attributes[i][0], 99, &want, &present, error);
        if (err == 0 && present)
            *holds = compare(how, tp_buf_str(&want), env(ctx, attributes[i][1]));
    }
    tp_buf_close(&comparator);
    tp_buf_close(&want);
    return err;
}

static int environment_condition(const struct tp_plan_when *w, const struct tp_when_ctx *ctx,
                                 bool *holds, struct tp_buf *error)
{
    struct tp_buf name, value;
    bool has_name, has_value;
    tp_buf_init(&name);
    tp_buf_init(&value);
    int err = arg_text(w, ctx, "name", 99, &name, &has_name, error);
    if (err == 0)
        err = arg_text(w, ctx, "value", 99, &value, &has_value, error);
    if (err == 0) {
        const struct tp_expr *ignore = tp_ast_named_arg(w->call, "ignoreCase");
        bool ignore_case = ignore != NULL && ignore->kind == TP_EXPR_BOOL && ignore->flag;
        const char *actual = env(ctx, tp_buf_str(&name));
        *holds = ignore_case ? strcasecmp(actual, tp_buf_str(&value)) == 0
                             : strcmp(actual, tp_buf_str(&value)) == 0;
    }
    tp_buf_close(&name);
    tp_buf_close(&value);
    return err;
}

static int equals_condition(const struct tp_plan_when *w, const struct tp_when_ctx *ctx,
                            bool *holds, struct tp_buf *error)
{
    const struct tp_expr *expected = tp_ast_named_arg(w->call, "expected");
    const struct tp_expr *actual = tp_ast_named_arg(w->call, "actual");
    if (expected == NULL || actual == NULL) {
        tp_buf_puts(error, "equals needs expected: and actual:");
        return TP_EINVAL;
    }
    struct tp_value a = { 0 }, b = { 0 };
    int err = tp_eval_value(expected, &ctx->eval, &a, error);
    if (err == 0)
        err = tp_eval_value(actual, &ctx->eval, &b, error);
    if (err == 0)
        *holds = tp_value_equals(&a, &b);
    tp_value_close(&a);
    tp_value_close(&b);
    return err;
}

static int triggered_by(const struct tp_plan_when *w, const struct tp_when_ctx *ctx, bool *holds,
                        struct tp_buf *error)
{
    struct tp_buf cause, detail;
    bool has_cause, has_detail;
    tp_buf_init(&cause);
    tp_buf_init(&detail);
    int err = arg_text(w, ctx, "cause", 0, &cause, &has_cause, error);
    if (err == 0)
        err = arg_text(w, ctx, "detail", 99, &detail, &has_detail, error);
    if (err == 0) {
        /* The cause's class name is matched case-insensitively, as a substring. */
        regex_t re;
        *holds = false;
        if (regcomp(&re, tp_buf_str(&cause), REG_EXTENDED | REG_NOSUB | REG_ICASE) == 0) {
            *holds = regexec(&re, ctx->cause_class, 0, NULL, 0) == 0;
            regfree(&re);
        }
        if (*holds && has_detail)
            *holds = ctx->cause_user != NULL && strcmp(ctx->cause_user, tp_buf_str(&detail)) == 0;
    }
    tp_buf_close(&cause);
    tp_buf_close(&detail);
    return err;
}

int tp_when_holds(const struct tp_plan_when *w, const struct tp_when_ctx *ctx, bool *holds,
                  struct tp_buf *error)
{
    int err = 0;
    switch (w->kind) {
    case TP_WHEN_ALL_OF:
    case TP_WHEN_ANY_OF: {
        bool any = w->kind == TP_WHEN_ANY_OF;
        *holds = !any;
        for (size_t i = 0; i < w->nchildren && err == 0 && *holds != any; i++)
            err = tp_when_holds(w->children[i], ctx, holds, error);
        return err;
    }
    case TP_WHEN_NOT:
        err = tp_when_holds(w->children[0], ctx, holds, error);
        *holds = !*holds;
        return err;
    case TP_WHEN_BRANCH: {
        const char *branch = env(ctx, "BRANCH_NAME");
        return pattern_condition(w, ctx, *branch ? branch : env(ctx, "GIT_LOCAL_BRANCH"), holds,
                                 error);
    }
    case TP_WHEN_TAG:
        return pattern_condition(w, ctx, env(ctx, "TAG_NAME"), holds, error);
    case TP_WHEN_BUILDING_TAG:
        *holds = *env(ctx, "TAG_NAME") != '\0';
        return 0;
    case TP_WHEN_CHANGE_REQUEST:
        return change_request(w, ctx, holds, error);
    case TP_WHEN_ENVIRONMENT:
        return environment_condition(w, ctx, holds, error);
    case TP_WHEN_EQUALS:
        return equals_condition(w, ctx, holds, error);
    case TP_WHEN_EXPRESSION:
        if (ctx->truth != NULL)
            return ctx->truth(ctx->truth_ctx, w->expression, holds, error);
        return tp_eval_block_truth(w->expression, &ctx->eval, holds, error);
    case TP_WHEN_TRIGGERED_BY:
        return triggered_by(w, ctx, holds, error);
    case TP_WHEN_CHANGELOG:
    case TP_WHEN_CHANGESET:
        /* A run without SCM changes: no commit message or path can match. */
        *holds = false;
        return 0;
    case TP_WHEN_IS_RESTARTED_RUN:
        *holds = ctx->restarted;
        return 0;
    }
    return 0;
}
