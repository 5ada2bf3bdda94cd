/* SPDX-License-Identifier: MIT */
#include "jenkinsfile/ast.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/mem.h"

void tp_diags_init(struct tp_diags *diags, struct tp_arena *arena)
{
    memset(diags, 0, sizeof(*diags));
    diags->arena = arena;
}

void tp_diags_add(struct tp_diags *diags, int line, int col, const char *fmt, ...)
{
    if (diags->count >= TP_DIAGS_MAX)
        return;
    diags->items =
        tp_arena_grow(diags->arena, diags->items, diags->count, &diags->cap, sizeof(*diags->items));
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    diags->items[diags->count++] = (struct tp_diag){
        .line = line, .col = col, .message = tp_arena_strdup(diags->arena, message)
    };
}

const char *tp_expr_kind_name(enum tp_expr_kind kind)
{
    static const char *const names[] = {
        "null",    "bool",  "int",     "float", "str",  "gstr",      "id",      "prop",
        "index",   "call",  "closure", "list",  "map",  "unary",     "postfix", "binary",
        "ternary", "elvis", "assign",  "new",   "cast", "methodref",
    };
    return (size_t)kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "?";
}

static void dump_string(const char *s, size_t len, struct tp_buf *out)
{
    tp_buf_putc(out, '"');
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '"' || c == '\\')
            tp_buf_printf(out, "\\%c", c);
        else if (c == '\n')
            tp_buf_puts(out, "\\n");
        else
            tp_buf_putc(out, c);
    }
    tp_buf_putc(out, '"');
}

static void dump_closure(const struct tp_closure *c, struct tp_buf *out)
{
    tp_buf_puts(out, "(closure");
    for (size_t i = 0; i < c->nparams; i++)
        tp_buf_printf(out, " %s", c->params[i]);
    tp_buf_putc(out, ' ');
    tp_ast_dump_block(c->body, out);
    tp_buf_putc(out, ')');
}

void tp_ast_dump_expr(const struct tp_expr *e, struct tp_buf *out)
{
    if (e == NULL) {
        tp_buf_puts(out, "nil");
        return;
    }
    switch (e->kind) {
    case TP_EXPR_NULL:
        tp_buf_puts(out, "null");
        return;
    case TP_EXPR_BOOL:
        tp_buf_puts(out, e->flag ? "true" : "false");
        return;
    case TP_EXPR_INT:
    case TP_EXPR_FLOAT:
        tp_buf_puts(out, e->text);
        return;
    case TP_EXPR_STRING:
        dump_string(e->text, e->len, out);
        return;
    case TP_EXPR_IDENT:
        tp_buf_puts(out, e->text);
        return;
    case TP_EXPR_CLOSURE:
        dump_closure(e->closure, out);
        return;
    default:
        break;
    }
    tp_buf_printf(out, "(%s", tp_expr_kind_name(e->kind));
    if (e->kind == TP_EXPR_UNARY || e->kind == TP_EXPR_BINARY || e->kind == TP_EXPR_ASSIGN ||
        e->kind == TP_EXPR_POSTFIX)
        tp_buf_printf(out, " %s", e->text ? e->text : tp_tok_spelling(e->op));
    if (e->kind == TP_EXPR_PROP && e->flag)
        tp_buf_puts(out, "?");
    if (e->kind == TP_EXPR_PROP || e->kind == TP_EXPR_CALL || e->kind == TP_EXPR_NEW ||
        e->kind == TP_EXPR_CAST || e->kind == TP_EXPR_METHOD_REF) {
        if (e->text != NULL)
            tp_buf_printf(out, " %s", e->text);
    }
    const struct tp_expr *sub[3] = { e->a, e->b, e->c };
    for (int i = 0; i < 3; i++) {
        if (sub[i] != NULL) {
            tp_buf_putc(out, ' ');
            tp_ast_dump_expr(sub[i], out);
        }
    }
    for (size_t i = 0; i < e->args.count; i++) {
        tp_buf_putc(out, ' ');
        tp_ast_dump_expr(e->args.items[i], out);
    }
    for (size_t i = 0; i < e->named.count; i++) {
        tp_buf_puts(out, " (: ");
        tp_ast_dump_expr(e->named.items[i].key, out);
        tp_buf_putc(out, ' ');
        tp_ast_dump_expr(e->named.items[i].value, out);
        tp_buf_putc(out, ')');
    }
    if (e->kind == TP_EXPR_CALL && e->closure != NULL) {
        tp_buf_putc(out, ' ');
        dump_closure(e->closure, out);
    }
    tp_buf_putc(out, ')');
}

static void dump_stmt(const struct tp_stmt *s, struct tp_buf *out)
{
    static const char *const names[] = { "expr",   "decl",   "if",     "for-in",   "for", "while",
                                         "return", "throw",  "break",  "continue", "try", "switch",
                                         "block",  "method", "import", "class" };
    if (s->kind == TP_STMT_EXPR) {
        tp_ast_dump_expr(s->expr, out);
        return;
    }
    tp_buf_printf(out, "(%s", names[s->kind]);
    if (s->name != NULL)
        tp_buf_printf(out, " %s", s->name);
    for (size_t i = 0; i < s->nparams; i++)
        tp_buf_printf(out, " %s", s->params[i]);
    const struct tp_expr *exprs[3] = { s->init, s->expr, s->update };
    for (int i = 0; i < 3; i++) {
        if (exprs[i] != NULL) {
            tp_buf_putc(out, ' ');
            tp_ast_dump_expr(exprs[i], out);
        }
    }
    if (s->body != NULL) {
        tp_buf_putc(out, ' ');
        tp_ast_dump_block(s->body, out);
    }
    for (size_t i = 0; i < s->ncatches; i++) {
        tp_buf_printf(out, " (catch %s ", s->catches[i].name);
        tp_ast_dump_block(s->catches[i].body, out);
        tp_buf_putc(out, ')');
    }
    for (size_t i = 0; i < s->ncases; i++) {
        tp_buf_puts(out, " (case ");
        tp_ast_dump_expr(s->cases[i].value, out);
        tp_buf_putc(out, ' ');
        tp_ast_dump_block(s->cases[i].body, out);
        tp_buf_putc(out, ')');
    }
    if (s->else_body != NULL) {
        tp_buf_puts(out, " else ");
        tp_ast_dump_block(s->else_body, out);
    }
    if (s->finally_body != NULL) {
        tp_buf_puts(out, " finally ");
        tp_ast_dump_block(s->finally_body, out);
    }
    tp_buf_putc(out, ')');
}

void tp_ast_dump_block(const struct tp_block *block, struct tp_buf *out)
{
    tp_buf_putc(out, '{');
    for (size_t i = 0; block != NULL && i < block->count; i++) {
        if (i > 0)
            tp_buf_putc(out, ' ');
        dump_stmt(block->items[i], out);
    }
    tp_buf_putc(out, '}');
}

const struct tp_expr *tp_ast_named_arg(const struct tp_expr *call, const char *name)
{
    if (call == NULL || (call->kind != TP_EXPR_CALL && call->kind != TP_EXPR_MAP))
        return NULL;
    for (size_t i = 0; i < call->named.count; i++) {
        const struct tp_expr *key = call->named.items[i].key;
        if (key->kind == TP_EXPR_STRING && strcmp(key->text, name) == 0)
            return call->named.items[i].value;
    }
    return NULL;
}

bool tp_ast_is_path(const struct tp_expr *e, const char *path)
{
    const char *dot = strrchr(path, '.');
    if (dot == NULL)
        return e != NULL && e->kind == TP_EXPR_IDENT && strcmp(e->text, path) == 0;
    if (e == NULL || e->kind != TP_EXPR_PROP || e->flag || strcmp(e->text, dot + 1) != 0)
        return false;
    char prefix[128];
    size_t n = (size_t)(dot - path);
    if (n >= sizeof(prefix))
        return false;
    memcpy(prefix, path, n);
    prefix[n] = '\0';
    return tp_ast_is_path(e->a, prefix);
}
