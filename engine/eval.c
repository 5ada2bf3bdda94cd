/* SPDX-License-Identifier: MIT */
#include "engine/eval.h"

#include <ctype.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"

static int unsupported(const struct tp_expr *e, struct tp_buf *error)
{
    tp_buf_printf(error,
                  "tidepool cannot evaluate this %s expression outside script {} yet "
                  "(line %d, column %d)",
                  tp_expr_kind_name(e->kind), e->line, e->col);
    return TP_EUNSUPPORTED;
}

/* Resolves a bare name as Jenkins does outside script blocks: environment, then params. */
static int eval_name(const char *name, const struct tp_eval_ctx *ctx, struct tp_buf *out,
                     struct tp_buf *error)
{
    const char *value = ctx->env(ctx->ctx, name);
    if (value == NULL)
        value = ctx->param(ctx->ctx, name);
    if (value == NULL) {
        tp_buf_printf(error,
                      "groovy.lang.MissingPropertyException: No such property: %s for class: "
                      "groovy.lang.Binding",
                      name);
        return TP_EINVAL;
    }
    tp_buf_puts(out, value);
    return 0;
}

int tp_eval_string(const struct tp_expr *e, const struct tp_eval_ctx *ctx, struct tp_buf *out,
                   struct tp_buf *error)
{
    int err;
    switch (e->kind) {
    case TP_EXPR_NULL:
        tp_buf_puts(out, "null");
        return 0;
    case TP_EXPR_BOOL:
        tp_buf_puts(out, e->flag ? "true" : "false");
        return 0;
    case TP_EXPR_INT:
    case TP_EXPR_FLOAT:
        tp_buf_append(out, e->text, e->len);
        return 0;
    case TP_EXPR_STRING:
        tp_buf_append(out, e->text, e->len);
        return 0;
    case TP_EXPR_GSTRING:
        for (size_t i = 0; i < e->args.count; i++) {
            err = tp_eval_string(e->args.items[i], ctx, out, error);
            if (err < 0)
                return err;
        }
        return 0;
    case TP_EXPR_IDENT:
        return eval_name(e->text, ctx, out, error);
    case TP_EXPR_PROP:
        if (e->a->kind == TP_EXPR_IDENT && e->b == NULL) {
            const char *base = e->a->text;
            if (strcmp(base, "env") == 0) {
                /* env.UNSET is null, and "${env.UNSET}" is the text "null". */
                const char *value = ctx->env(ctx->ctx, e->text);
                tp_buf_puts(out, value != NULL ? value : "null");
                return 0;
            }
            if (strcmp(base, "params") == 0) {
                const char *value = ctx->param(ctx->ctx, e->text);
                tp_buf_puts(out, value != NULL ? value : "null");
                return 0;
            }
        }
        return unsupported(e, error);
    case TP_EXPR_INDEX:
        if (e->a->kind == TP_EXPR_IDENT && e->b->kind == TP_EXPR_STRING &&
            (strcmp(e->a->text, "env") == 0 || strcmp(e->a->text, "params") == 0)) {
            const char *value = e->a->text[0] == 'e' ? ctx->env(ctx->ctx, e->b->text)
                                                     : ctx->param(ctx->ctx, e->b->text);
            tp_buf_puts(out, value != NULL ? value : "null");
            return 0;
        }
        return unsupported(e, error);
    case TP_EXPR_BINARY:
        if (e->op == TP_TOK_PLUS) {
            err = tp_eval_string(e->a, ctx, out, error);
            return err < 0 ? err : tp_eval_string(e->b, ctx, out, error);
        }
        return unsupported(e, error);
    default:
        return unsupported(e, error);
    }
}

/* --- values --- */

static void value_string(struct tp_value *v, const char *text, size_t len)
{
    v->kind = TP_VALUE_STRING;
    v->text = tp_xcalloc(1, sizeof(*v->text));
    tp_buf_init(v->text);
    tp_buf_append(v->text, text, len);
}

void tp_value_close(struct tp_value *v)
{
    if (v->text != NULL) {
        tp_buf_close(v->text);
        free(v->text);
    }
    memset(v, 0, sizeof(*v));
}

bool tp_value_truth(const struct tp_value *v)
{
    switch (v->kind) {
    case TP_VALUE_NULL:
        return false;
    case TP_VALUE_BOOL:
        return v->flag;
    case TP_VALUE_NUMBER:
        return v->number != 0;
    case TP_VALUE_STRING:
        return v->text->len > 0;
    }
    return false;
}

/* The text of a value, as Groovy's toString (null -> "null"). */
static void value_text(const struct tp_value *v, struct tp_buf *out)
{
    switch (v->kind) {
    case TP_VALUE_NULL:
        tp_buf_puts(out, "null");
        break;
    case TP_VALUE_BOOL:
        tp_buf_puts(out, v->flag ? "true" : "false");
        break;
    case TP_VALUE_NUMBER:
        if (v->number == floor(v->number) && fabs(v->number) < 1e15)
            tp_buf_printf(out, "%lld", (long long)v->number);
        else
            tp_buf_printf(out, "%g", v->number);
        break;
    case TP_VALUE_STRING:
        tp_buf_append(out, v->text->data ? v->text->data : "", v->text->len);
        break;
    }
}

bool tp_value_equals(const struct tp_value *a, const struct tp_value *b)
{
    if (a->kind != b->kind)
        return false;
    switch (a->kind) {
    case TP_VALUE_NULL:
        return true;
    case TP_VALUE_BOOL:
        return a->flag == b->flag;
    case TP_VALUE_NUMBER:
        return a->number == b->number;
    case TP_VALUE_STRING:
        return a->text->len == b->text->len &&
               memcmp(tp_buf_str(a->text), tp_buf_str(b->text), a->text->len) == 0;
    }
    return false;
}

static void value_bool(struct tp_value *v, bool flag)
{
    tp_value_close(v);
    v->kind = TP_VALUE_BOOL;
    v->flag = flag;
}

/* `text ==~ pattern` (whole match) or `=~` (find), with POSIX extended regular expressions
 * standing in for Java's (the patterns Jenkinsfiles use read the same in both). */
static int regex_match(const char *text, const char *pattern, bool whole, bool *matched,
                       struct tp_buf *error)
{
    regex_t re;
    char anchored[1024];
    if (whole)
        snprintf(anchored, sizeof(anchored), "^(%s)$", pattern);
    if (regcomp(&re, whole ? anchored : pattern, REG_EXTENDED | REG_NOSUB) != 0) {
        tp_buf_printf(error, "java.util.regex.PatternSyntaxException: %s", pattern);
        return TP_EINVAL;
    }
    *matched = regexec(&re, text, 0, NULL, 0) == 0;
    regfree(&re);
    return 0;
}

static int call_method(const struct tp_expr *e, const struct tp_eval_ctx *ctx, struct tp_value *out,
                       struct tp_buf *error)
{
    struct tp_value self = { 0 }, arg = { 0 };
    int err = tp_eval_value(e->a, ctx, &self, error);
    if (err < 0)
        return err;
    if (e->args.count == 1)
        err = tp_eval_value(e->args.items[0], ctx, &arg, error);
    if (err == 0 && self.kind == TP_VALUE_NULL && !e->flag) {
        tp_buf_printf(error,
                      "java.lang.NullPointerException: Cannot invoke method %s() on null "
                      "object",
                      e->text);
        err = TP_EINVAL;
    }
    struct tp_buf s, a;
    tp_buf_init(&s);
    tp_buf_init(&a);
    if (err == 0 && self.kind != TP_VALUE_NULL) {
        value_text(&self, &s);
        value_text(&arg, &a);
        const char *m = e->text;
        size_t n = e->args.count;
        if (strcmp(m, "equals") == 0 && n == 1) {
            value_bool(out, tp_value_equals(&self, &arg));
        } else if (strcmp(m, "contains") == 0 && n == 1) {
            value_bool(out, strstr(tp_buf_str(&s), tp_buf_str(&a)) != NULL);
        } else if (strcmp(m, "startsWith") == 0 && n == 1) {
            value_bool(out, strncmp(tp_buf_str(&s), tp_buf_str(&a), a.len) == 0);
        } else if (strcmp(m, "endsWith") == 0 && n == 1) {
            value_bool(out, s.len >= a.len &&
                                memcmp(tp_buf_str(&s) + s.len - a.len, tp_buf_str(&a), a.len) == 0);
        } else if (strcmp(m, "isEmpty") == 0 && n == 0) {
            value_bool(out, s.len == 0);
        } else if (strcmp(m, "toBoolean") == 0 && n == 0) {
            value_bool(out, strcmp(tp_buf_str(&s), "true") == 0);
        } else if ((strcmp(m, "trim") == 0 || strcmp(m, "toLowerCase") == 0 ||
                    strcmp(m, "toUpperCase") == 0 || strcmp(m, "toString") == 0) &&
                   n == 0) {
            const char *p = tp_buf_str(&s);
            size_t len = s.len;
            if (m[1] == 'r') {
                while (len > 0 && strchr(" \t\r\n", *p) != NULL)
                    p++, len--;
                while (len > 0 && strchr(" \t\r\n", p[len - 1]) != NULL)
                    len--;
            }
            value_string(out, p, len);
            for (size_t i = 0; i < len && (m[2] == 'L' || m[2] == 'U'); i++) {
                char c = out->text->data[i];
                out->text->data[i] =
                    m[2] == 'L' ? (char)tolower((unsigned char)c) : (char)toupper((unsigned char)c);
            }
        } else {
            err = unsupported(e, error);
        }
    } else if (err == 0) {
        out->kind = TP_VALUE_NULL; /* safe navigation on null */
    }
    tp_buf_close(&s);
    tp_buf_close(&a);
    tp_value_close(&self);
    tp_value_close(&arg);
    return err;
}

static int eval_binary(const struct tp_expr *e, const struct tp_eval_ctx *ctx, struct tp_value *out,
                       struct tp_buf *error)
{
    struct tp_value a = { 0 }, b = { 0 };
    int err = tp_eval_value(e->a, ctx, &a, error);
    if (err < 0)
        return err;
    /* && and || short-circuit. */
    if ((e->op == TP_TOK_AND && !tp_value_truth(&a)) ||
        (e->op == TP_TOK_OR && tp_value_truth(&a))) {
        bool result = e->op == TP_TOK_OR;
        tp_value_close(&a);
        value_bool(out, result);
        return 0;
    }
    err = tp_eval_value(e->b, ctx, &b, error);
    if (err < 0) {
        tp_value_close(&a);
        return err;
    }
    struct tp_buf x, y;
    tp_buf_init(&x);
    tp_buf_init(&y);
    switch (e->op) {
    case TP_TOK_AND:
    case TP_TOK_OR:
        value_bool(out, tp_value_truth(&b));
        break;
    case TP_TOK_EQ:
    case TP_TOK_NE:
        value_bool(out, tp_value_equals(&a, &b) == (e->op == TP_TOK_EQ));
        break;
    case TP_TOK_LT:
    case TP_TOK_GT:
    case TP_TOK_LE:
    case TP_TOK_GE:
        if (a.kind != TP_VALUE_NUMBER || b.kind != TP_VALUE_NUMBER) {
            err = unsupported(e, error);
            break;
        }
        value_bool(out, e->op == TP_TOK_LT   ? a.number < b.number
                        : e->op == TP_TOK_GT ? a.number > b.number
                        : e->op == TP_TOK_LE ? a.number <= b.number
                                             : a.number >= b.number);
        break;
    case TP_TOK_MATCH:
    case TP_TOK_FIND: {
        bool matched = false;
        value_text(&a, &x);
        value_text(&b, &y);
        err = regex_match(tp_buf_str(&x), tp_buf_str(&y), e->op == TP_TOK_MATCH, &matched, error);
        if (err == 0)
            value_bool(out, matched);
        break;
    }
    case TP_TOK_PLUS:
        value_text(&a, &x);
        value_text(&b, &x);
        value_string(out, tp_buf_str(&x), x.len);
        break;
    default:
        err = unsupported(e, error);
        break;
    }
    tp_buf_close(&x);
    tp_buf_close(&y);
    tp_value_close(&a);
    tp_value_close(&b);
    return err;
}

/* A name or env.X / params.X as a value (parameters keep their type). */
static int eval_lookup(const char *base, const char *name, const struct tp_eval_ctx *ctx,
                       struct tp_value *out, struct tp_buf *error)
{
    const char *value = NULL;
    bool param = false;
    if (base == NULL || strcmp(base, "env") == 0)
        value = ctx->env(ctx->ctx, name);
    if (value == NULL && (base == NULL || strcmp(base, "params") == 0)) {
        value = ctx->param(ctx->ctx, name);
        param = value != NULL;
    }
    if (value == NULL) {
        if (base == NULL) {
            tp_buf_printf(error,
                          "groovy.lang.MissingPropertyException: No such property: %s for "
                          "class: groovy.lang.Binding",
                          name);
            return TP_EINVAL;
        }
        out->kind = TP_VALUE_NULL;
        return 0;
    }
    if (param && ctx->param_is_boolean != NULL && ctx->param_is_boolean(ctx->ctx, name)) {
        value_bool(out, strcmp(value, "true") == 0);
        return 0;
    }
    value_string(out, value, strlen(value));
    return 0;
}

int tp_eval_value(const struct tp_expr *e, const struct tp_eval_ctx *ctx, struct tp_value *out,
                  struct tp_buf *error)
{
    memset(out, 0, sizeof(*out));
    switch (e->kind) {
    case TP_EXPR_NULL:
        return 0;
    case TP_EXPR_BOOL:
        value_bool(out, e->flag);
        return 0;
    case TP_EXPR_INT:
    case TP_EXPR_FLOAT:
        out->kind = TP_VALUE_NUMBER;
        out->number = e->kind == TP_EXPR_INT ? (double)e->ival : e->fval;
        return 0;
    case TP_EXPR_STRING:
        value_string(out, e->text, e->len);
        return 0;
    case TP_EXPR_GSTRING: {
        struct tp_buf text;
        tp_buf_init(&text);
        int err = tp_eval_string(e, ctx, &text, error);
        if (err == 0)
            value_string(out, tp_buf_str(&text), text.len);
        tp_buf_close(&text);
        return err;
    }
    case TP_EXPR_IDENT:
        return eval_lookup(NULL, e->text, ctx, out, error);
    case TP_EXPR_PROP:
        if (e->a->kind == TP_EXPR_IDENT && e->b == NULL &&
            (strcmp(e->a->text, "env") == 0 || strcmp(e->a->text, "params") == 0))
            return eval_lookup(e->a->text, e->text, ctx, out, error);
        return unsupported(e, error);
    case TP_EXPR_UNARY:
        if (e->op == TP_TOK_NOT) {
            struct tp_value inner;
            int err = tp_eval_value(e->a, ctx, &inner, error);
            if (err == 0)
                value_bool(out, !tp_value_truth(&inner));
            tp_value_close(&inner);
            return err;
        }
        return unsupported(e, error);
    case TP_EXPR_BINARY:
        return eval_binary(e, ctx, out, error);
    case TP_EXPR_TERNARY:
    case TP_EXPR_ELVIS: {
        struct tp_value cond;
        int err = tp_eval_value(e->a, ctx, &cond, error);
        if (err < 0)
            return err;
        bool truth = tp_value_truth(&cond);
        if (e->kind == TP_EXPR_ELVIS && truth) {
            *out = cond;
            return 0;
        }
        tp_value_close(&cond);
        const struct tp_expr *pick = e->kind == TP_EXPR_ELVIS ? e->b : truth ? e->b : e->c;
        return tp_eval_value(pick, ctx, out, error);
    }
    case TP_EXPR_CALL:
        if (e->a != NULL && e->text != NULL && e->closure == NULL && e->named.count == 0)
            return call_method(e, ctx, out, error);
        return unsupported(e, error);
    default:
        return unsupported(e, error);
    }
}

int tp_eval_block_truth(const struct tp_block *body, const struct tp_eval_ctx *ctx, bool *truth,
                        struct tp_buf *error)
{
    struct tp_value value = { 0 };
    for (size_t i = 0; i < body->count; i++) {
        const struct tp_stmt *s = body->items[i];
        if (s->kind != TP_STMT_EXPR && s->kind != TP_STMT_RETURN) {
            tp_buf_printf(error,
                          "tidepool cannot run this Groovy statement in expression {} yet "
                          "(line %d, column %d)",
                          s->line, s->col);
            tp_value_close(&value);
            return TP_EUNSUPPORTED;
        }
        tp_value_close(&value);
        if (s->expr != NULL) {
            int err = tp_eval_value(s->expr, ctx, &value, error);
            if (err < 0)
                return err;
        }
        if (s->kind == TP_STMT_RETURN)
            break;
    }
    *truth = tp_value_truth(&value);
    tp_value_close(&value);
    return 0;
}
