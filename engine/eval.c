/* SPDX-License-Identifier: MIT */
#include "engine/eval.h"

#include <string.h>

#include "common/buf.h"
#include "common/err.h"

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
