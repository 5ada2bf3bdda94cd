/* SPDX-License-Identifier: MIT */
#include "jenkinsfile/parser.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/mem.h"

/*
 * The parser stops at the first syntax error, as Groovy's compiler does: `fail()` records
 * the diagnostic and longjmps back to tp_parse. Everything is allocated in the arena, so
 * nothing leaks on that jump.
 */
struct parser {
    const struct tp_token *toks;
    size_t count;
    size_t pos;
    int nl_skip; /* > 0 inside ( ) and [ ]: newlines are insignificant there */
    int depth;
    struct tp_arena *arena;
    struct tp_diags *diags;
    jmp_buf *bail;
};

static struct tp_block *parse_block_body(struct parser *p, int line, int col);
static struct tp_expr *parse_expression(struct parser *p);
static struct tp_expr *parse_command_expression(struct parser *p);
static struct tp_stmt *parse_statement(struct parser *p);
static struct tp_block *parse_braced_block(struct parser *p);

__attribute__((noreturn)) static void fail(struct parser *p, const struct tp_token *t,
                                           const char *message)
{
    tp_diags_add(p->diags, t->line, t->col, "%s", message);
    longjmp(*p->bail, 1);
}

__attribute__((noreturn)) static void unexpected(struct parser *p, const struct tp_token *t)
{
    if (t->kind == TP_TOK_EOF)
        fail(p, t, "Unexpected input: end of file reached (unbalanced braces or parentheses?)");
    const char *text = t->kind == TP_TOK_STRING || t->kind == TP_TOK_GSTRING ? "string literal"
                       : t->kind == TP_TOK_NEWLINE                           ? "newline"
                                                                             : t->text;
    char message[160];
    snprintf(message, sizeof(message), "unexpected token: %s", text);
    fail(p, t, tp_arena_strdup(p->arena, message));
}

static const struct tp_token *raw(const struct parser *p)
{
    return &p->toks[p->pos < p->count ? p->pos : p->count - 1];
}

static void skip_newlines(struct parser *p)
{
    while (p->pos < p->count - 1 && p->toks[p->pos].kind == TP_TOK_NEWLINE)
        p->pos++;
}

/* The current token; newlines are skipped while inside parentheses or brackets. */
static const struct tp_token *tok(struct parser *p)
{
    if (p->nl_skip > 0)
        skip_newlines(p);
    return raw(p);
}

static const struct tp_token *next(struct parser *p)
{
    const struct tp_token *t = tok(p);
    if (p->pos < p->count - 1)
        p->pos++;
    return t;
}

static bool is(struct parser *p, enum tp_tok_kind kind)
{
    return tok(p)->kind == kind;
}

static bool is_word(struct parser *p, const char *word)
{
    const struct tp_token *t = tok(p);
    return t->kind == TP_TOK_IDENT && strcmp(t->text, word) == 0;
}

static bool accept(struct parser *p, enum tp_tok_kind kind)
{
    if (!is(p, kind))
        return false;
    next(p);
    return true;
}

static const struct tp_token *expect(struct parser *p, enum tp_tok_kind kind)
{
    if (!is(p, kind)) {
        const struct tp_token *t = tok(p);
        if (t->kind == TP_TOK_EOF || t->kind == TP_TOK_NEWLINE) {
            char message[96];
            snprintf(message, sizeof(message), "expecting '%s', found '%s'", tp_tok_spelling(kind),
                     t->kind == TP_TOK_EOF ? "<EOF>" : "\\n");
            fail(p, t, tp_arena_strdup(p->arena, message));
        }
        unexpected(p, t);
    }
    return next(p);
}

static void enter(struct parser *p)
{
    if (++p->depth > TP_PARSE_MAX_DEPTH)
        fail(p, tok(p), "Jenkinsfile nesting is too deep");
}

static struct tp_expr *new_expr(struct parser *p, enum tp_expr_kind kind, const struct tp_token *t)
{
    struct tp_expr *e = tp_arena_alloc(p->arena, sizeof(*e));
    e->kind = kind;
    e->line = t->line;
    e->col = t->col;
    return e;
}

/* Growable arrays live in the arena too: that is what makes longjmp on error leak-free. */
static void *grow(struct parser *p, void *items, size_t count, size_t *cap, size_t size)
{
    return tp_arena_grow(p->arena, items, count, cap, size);
}

static void list_push(struct parser *p, struct tp_expr_list *list, size_t *cap, struct tp_expr *e)
{
    list->items = grow(p, list->items, list->count, cap, sizeof(*list->items));
    list->items[list->count++] = e;
}

static void named_push(struct parser *p, struct tp_named_list *list, size_t *cap,
                       struct tp_expr *key, struct tp_expr *value)
{
    list->items = grow(p, list->items, list->count, cap, sizeof(*list->items));
    list->items[list->count].key = key;
    list->items[list->count].value = value;
    list->count++;
}

static const char *const keywords[] = {
    "as",    "assert",  "break",      "case",   "catch",   "class",      "continue",
    "def",   "default", "do",         "else",   "extends", "false",      "finally",
    "for",   "if",      "implements", "import", "in",      "instanceof", "interface",
    "new",   "null",    "package",    "return", "super",   "switch",     "this",
    "throw", "throws",  "true",       "try",    "while",
};

static bool is_keyword(const char *word)
{
    for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
        if (strcmp(word, keywords[i]) == 0)
            return true;
    }
    return false;
}

/* --- GStrings --- */

static struct tp_expr *parse_gstring(struct parser *p, const struct tp_token *t)
{
    struct tp_expr *e = new_expr(p, TP_EXPR_GSTRING, t);
    size_t cap = 0;
    for (size_t i = 0; i < t->nparts; i++) {
        const struct tp_gstr_part *part = &t->parts[i];
        struct tp_expr *item;
        if (part->text != NULL) {
            item = new_expr(p, TP_EXPR_STRING, t);
            item->line = part->line;
            item->col = part->col;
            item->text = part->text;
            item->len = part->len;
        } else {
            /* Parse the embedded tokens with a sub-parser sharing arena, diags and bail. */
            struct parser sub = { .toks = part->tokens,
                                  .count = part->ntokens,
                                  .nl_skip = 1,
                                  .depth = p->depth,
                                  .arena = p->arena,
                                  .diags = p->diags,
                                  .bail = p->bail };
            if (part->ntokens <= 1) {
                item = new_expr(p, TP_EXPR_NULL, t);
            } else {
                item = parse_expression(&sub);
                if (!is(&sub, TP_TOK_EOF))
                    unexpected(&sub, tok(&sub));
            }
        }
        list_push(p, &e->args, &cap, item);
    }
    return e;
}

/* --- closures --- */

/* Looks ahead from just after '{' for `a, b ->` / `->` / `Type a ->`: explicit parameters. */
static bool closure_has_params(struct parser *p)
{
    size_t i = p->pos;
    while (i < p->count && p->toks[i].kind == TP_TOK_NEWLINE)
        i++;
    for (; i < p->count; i++) {
        enum tp_tok_kind k = p->toks[i].kind;
        if (k == TP_TOK_ARROW)
            return true;
        if (k != TP_TOK_IDENT && k != TP_TOK_COMMA && k != TP_TOK_LT && k != TP_TOK_GT &&
            k != TP_TOK_DOT && k != TP_TOK_LBRACKET && k != TP_TOK_RBRACKET)
            return false;
    }
    return false;
}

static struct tp_expr *parse_closure(struct parser *p)
{
    const struct tp_token *open = expect(p, TP_TOK_LBRACE);
    struct tp_expr *e = new_expr(p, TP_EXPR_CLOSURE, open);
    struct tp_closure *c = tp_arena_alloc(p->arena, sizeof(*c));
    e->closure = c;
    int saved = p->nl_skip;
    p->nl_skip = 0;
    if (closure_has_params(p)) {
        size_t cap = 0;
        c->explicit_params = true;
        skip_newlines(p);
        while (!is(p, TP_TOK_ARROW)) {
            /* The last identifier before ',' or '->' is the name; earlier ones are a type. */
            const char *name = NULL;
            while (is(p, TP_TOK_IDENT) || is(p, TP_TOK_DOT) || is(p, TP_TOK_LT) ||
                   is(p, TP_TOK_GT) || is(p, TP_TOK_LBRACKET) || is(p, TP_TOK_RBRACKET)) {
                const struct tp_token *t = next(p);
                if (t->kind == TP_TOK_IDENT)
                    name = t->text;
            }
            if (name == NULL)
                unexpected(p, tok(p));
            c->params = grow(p, (void *)c->params, c->nparams, &cap, sizeof(*c->params));
            c->params[c->nparams++] = name;
            if (!accept(p, TP_TOK_COMMA))
                break;
        }
        expect(p, TP_TOK_ARROW);
    }
    c->body = parse_block_body(p, open->line, open->col);
    expect(p, TP_TOK_RBRACE);
    p->nl_skip = saved;
    return e;
}

/* --- arguments --- */

/* True when the current token begins `name:` (a named argument or map key). */
static bool at_named_key(struct parser *p)
{
    const struct tp_token *t = tok(p);
    if (t->kind == TP_TOK_LPAREN) { /* [(expression): value] */
        int depth = 0;
        for (size_t i = p->pos; i < p->count; i++) {
            enum tp_tok_kind k = p->toks[i].kind;
            depth += k == TP_TOK_LPAREN;
            depth -= k == TP_TOK_RPAREN;
            if (depth == 0)
                return i + 1 < p->count && p->toks[i + 1].kind == TP_TOK_COLON;
            if (k == TP_TOK_EOF)
                return false;
        }
        return false;
    }
    if (t->kind != TP_TOK_IDENT && t->kind != TP_TOK_STRING && t->kind != TP_TOK_INT &&
        t->kind != TP_TOK_GSTRING)
        return false;
    size_t i = p->pos + 1;
    while (p->nl_skip > 0 && i < p->count && p->toks[i].kind == TP_TOK_NEWLINE)
        i++;
    return i < p->count && p->toks[i].kind == TP_TOK_COLON;
}

static struct tp_expr *parse_key(struct parser *p)
{
    if (is(p, TP_TOK_LPAREN)) {
        next(p);
        p->nl_skip++;
        struct tp_expr *key = parse_expression(p);
        expect(p, TP_TOK_RPAREN);
        p->nl_skip--;
        return key;
    }
    const struct tp_token *t = next(p);
    if (t->kind == TP_TOK_GSTRING)
        return parse_gstring(p, t);
    struct tp_expr *key = new_expr(p, TP_EXPR_STRING, t);
    key->text = t->text;
    key->len = t->len;
    return key;
}

/* Parses one argument (named or positional) into `call`. */
static void parse_argument(struct parser *p, struct tp_expr *call, size_t *pos_cap,
                           size_t *named_cap)
{
    if (at_named_key(p)) {
        struct tp_expr *key = parse_key(p);
        expect(p, TP_TOK_COLON);
        named_push(p, &call->named, named_cap, key, parse_expression(p));
    } else {
        list_push(p, &call->args, pos_cap, parse_expression(p));
    }
}

/* Parses `( args )` after the callee; the '(' is the current token. */
static void parse_paren_args(struct parser *p, struct tp_expr *call)
{
    size_t pos_cap = 0, named_cap = 0;
    expect(p, TP_TOK_LPAREN);
    p->nl_skip++;
    while (!is(p, TP_TOK_RPAREN)) {
        parse_argument(p, call, &pos_cap, &named_cap);
        /* Leniency seen in real files Jenkins accepts: `a, , b` and named arguments
         * separated by a line break alone. */
        bool separated = false;
        while (accept(p, TP_TOK_COMMA))
            separated = true;
        if (!separated && !(raw(p)->newline_before && at_named_key(p)))
            break;
    }
    expect(p, TP_TOK_RPAREN);
    p->nl_skip--;
}

static struct tp_expr *make_call(struct parser *p, struct tp_expr *callee)
{
    struct tp_expr *call =
        new_expr(p, TP_EXPR_CALL, &(struct tp_token){ .line = callee->line, .col = callee->col });
    if (callee->kind == TP_EXPR_IDENT) {
        call->text = callee->text;
        call->len = callee->len;
    } else if (callee->kind == TP_EXPR_PROP) {
        call->a = callee->a;
        call->text = callee->text;
        call->len = callee->len;
        call->flag = callee->flag;
    } else {
        call->b = callee;
    }
    return call;
}

/* --- primary and postfix --- */

static struct tp_expr *parse_list_or_map(struct parser *p)
{
    const struct tp_token *open = expect(p, TP_TOK_LBRACKET);
    p->nl_skip++;
    struct tp_expr *e;
    if (is(p, TP_TOK_COLON)) {
        next(p);
        expect(p, TP_TOK_RBRACKET);
        p->nl_skip--;
        return new_expr(p, TP_EXPR_MAP, open);
    }
    size_t cap = 0;
    if (at_named_key(p)) {
        e = new_expr(p, TP_EXPR_MAP, open);
        while (!is(p, TP_TOK_RBRACKET)) {
            struct tp_expr *key = parse_key(p);
            expect(p, TP_TOK_COLON);
            named_push(p, &e->named, &cap, key, parse_expression(p));
            if (!accept(p, TP_TOK_COMMA))
                break;
        }
        expect(p, TP_TOK_RBRACKET);
        p->nl_skip--;
        return e;
    }
    e = new_expr(p, TP_EXPR_LIST, open);
    while (!is(p, TP_TOK_RBRACKET)) {
        list_push(p, &e->args, &cap, parse_expression(p));
        if (!accept(p, TP_TOK_COMMA))
            break;
    }
    expect(p, TP_TOK_RBRACKET);
    p->nl_skip--;
    return e;
}

/* A dotted type name such as java.util.Date or List<String>; returns its text. */
static const char *parse_type_name(struct parser *p)
{
    const struct tp_token *t = expect(p, TP_TOK_IDENT);
    const char *name = t->text;
    while (is(p, TP_TOK_DOT) && p->pos + 1 < p->count && p->toks[p->pos + 1].kind == TP_TOK_IDENT) {
        next(p);
        name = tp_arena_printf(p->arena, "%s.%s", name, next(p)->text);
    }
    if (is(p, TP_TOK_LT)) {
        int angle = 0;
        do {
            if (is(p, TP_TOK_LT))
                angle++;
            else if (is(p, TP_TOK_GT))
                angle--;
            else if (is(p, TP_TOK_SHR))
                angle -= 2;
            else if (is(p, TP_TOK_EOF))
                unexpected(p, tok(p));
            next(p);
        } while (angle > 0);
    }
    while (is(p, TP_TOK_LBRACKET) && p->pos + 1 < p->count &&
           p->toks[p->pos + 1].kind == TP_TOK_RBRACKET) {
        next(p);
        next(p);
        name = tp_arena_printf(p->arena, "%s[]", name);
    }
    return name;
}

static struct tp_expr *parse_unary(struct parser *p);

/* `(String) x`: a parenthesised type name followed by an operand is a cast. */
static bool at_cast(struct parser *p)
{
    size_t i = p->pos + 1;
    if (i >= p->count || p->toks[i].kind != TP_TOK_IDENT)
        return false;
    const char *name = p->toks[i].text;
    static const char *const primitives[] = { "int", "long", "boolean", "double", "float" };
    bool type_like = name[0] >= 'A' && name[0] <= 'Z';
    for (size_t k = 0; k < sizeof(primitives) / sizeof(primitives[0]); k++)
        type_like = type_like || strcmp(name, primitives[k]) == 0;
    if (!type_like)
        return false;
    i++;
    while (i + 1 < p->count && p->toks[i].kind == TP_TOK_DOT && p->toks[i + 1].kind == TP_TOK_IDENT)
        i += 2;
    if (i + 1 >= p->count || p->toks[i].kind != TP_TOK_RPAREN)
        return false;
    switch (p->toks[i + 1].kind) {
    case TP_TOK_IDENT:
    case TP_TOK_STRING:
    case TP_TOK_GSTRING:
    case TP_TOK_INT:
    case TP_TOK_FLOAT:
    case TP_TOK_LPAREN:
    case TP_TOK_LBRACKET:
    case TP_TOK_NOT:
        return !p->toks[i + 1].newline_before;
    default:
        return false;
    }
}

static struct tp_expr *parse_primary(struct parser *p)
{
    const struct tp_token *t = tok(p);
    struct tp_expr *e;
    switch (t->kind) {
    case TP_TOK_INT:
        next(p);
        e = new_expr(p, TP_EXPR_INT, t);
        e->text = t->text;
        e->len = t->len;
        e->ival = strtoll(t->text, NULL, 0);
        return e;
    case TP_TOK_FLOAT:
        next(p);
        e = new_expr(p, TP_EXPR_FLOAT, t);
        e->text = t->text;
        e->len = t->len;
        e->fval = strtod(t->text, NULL);
        return e;
    case TP_TOK_STRING:
        next(p);
        e = new_expr(p, TP_EXPR_STRING, t);
        e->text = t->text;
        e->len = t->len;
        return e;
    case TP_TOK_GSTRING:
        next(p);
        return parse_gstring(p, t);
    case TP_TOK_LPAREN:
        if (at_cast(p)) {
            next(p);
            e = new_expr(p, TP_EXPR_CAST, t);
            e->text = parse_type_name(p);
            expect(p, TP_TOK_RPAREN);
            e->a = parse_unary(p);
            return e;
        }
        next(p);
        p->nl_skip++;
        e = parse_expression(p);
        expect(p, TP_TOK_RPAREN);
        p->nl_skip--;
        return e;
    case TP_TOK_LBRACKET:
        return parse_list_or_map(p);
    case TP_TOK_LBRACE:
        return parse_closure(p);
    case TP_TOK_IDENT:
        if (strcmp(t->text, "true") == 0 || strcmp(t->text, "false") == 0) {
            next(p);
            e = new_expr(p, TP_EXPR_BOOL, t);
            e->flag = t->text[0] == 't';
            return e;
        }
        if (strcmp(t->text, "null") == 0) {
            next(p);
            return new_expr(p, TP_EXPR_NULL, t);
        }
        if (strcmp(t->text, "new") == 0) {
            next(p);
            e = new_expr(p, TP_EXPR_NEW, t);
            e->text = parse_type_name(p);
            if (is(p, TP_TOK_LPAREN))
                parse_paren_args(p, e);
            else if (is(p, TP_TOK_LBRACKET))
                list_push(p, &e->args, &(size_t){ 0 }, parse_list_or_map(p));
            return e;
        }
        if (is_keyword(t->text) && strcmp(t->text, "this") != 0 && strcmp(t->text, "super") != 0)
            unexpected(p, t);
        next(p);
        e = new_expr(p, TP_EXPR_IDENT, t);
        e->text = t->text;
        e->len = t->len;
        return e;
    default:
        unexpected(p, t);
    }
}

/* Whether a '{' may be a trailing closure of `e` (a call, or a name that becomes one). */
static bool takes_closure(const struct tp_expr *e)
{
    return e->kind == TP_EXPR_CALL || e->kind == TP_EXPR_IDENT || e->kind == TP_EXPR_PROP;
}

static struct tp_expr *parse_postfix(struct parser *p, struct tp_expr *e)
{
    for (;;) {
        const struct tp_token *t = tok(p);
        /* A line that starts with '.' or '?.' continues the expression. */
        if (t->kind == TP_TOK_NEWLINE) {
            size_t i = p->pos;
            while (i < p->count && p->toks[i].kind == TP_TOK_NEWLINE)
                i++;
            if (i < p->count &&
                (p->toks[i].kind == TP_TOK_DOT || p->toks[i].kind == TP_TOK_SAFE_DOT)) {
                p->pos = i;
                continue;
            }
            return e;
        }
        switch (t->kind) {
        case TP_TOK_DOT:
        case TP_TOK_SAFE_DOT:
        case TP_TOK_SPREAD_DOT:
        case TP_TOK_METHOD_REF: {
            next(p);
            skip_newlines(p);
            const struct tp_token *name = tok(p);
            struct tp_expr *prop =
                new_expr(p, t->kind == TP_TOK_METHOD_REF ? TP_EXPR_METHOD_REF : TP_EXPR_PROP, name);
            prop->a = e;
            prop->op = t->kind;
            prop->flag = t->kind == TP_TOK_SAFE_DOT;
            if (name->kind == TP_TOK_IDENT || name->kind == TP_TOK_STRING) {
                next(p);
                prop->text = name->text;
                prop->len = name->len;
            } else if (name->kind == TP_TOK_GSTRING) {
                next(p);
                prop->b = parse_gstring(p, name);
                prop->text = "";
            } else {
                unexpected(p, name);
            }
            e = prop;
            break;
        }
        case TP_TOK_LBRACKET: {
            if (t->newline_before && p->nl_skip == 0)
                return e;
            next(p);
            p->nl_skip++;
            struct tp_expr *index = new_expr(p, TP_EXPR_INDEX, t);
            index->a = e;
            index->b = parse_expression(p);
            expect(p, TP_TOK_RBRACKET);
            p->nl_skip--;
            e = index;
            break;
        }
        case TP_TOK_LPAREN: {
            if (t->newline_before && p->nl_skip == 0)
                return e;
            struct tp_expr *call = make_call(p, e);
            parse_paren_args(p, call);
            e = call;
            break;
        }
        case TP_TOK_LBRACE: {
            if (!takes_closure(e) || (e->kind == TP_EXPR_CALL && e->closure != NULL))
                return e;
            struct tp_expr *call = e->kind == TP_EXPR_CALL ? e : make_call(p, e);
            call->closure = parse_closure(p)->closure;
            e = call;
            break;
        }
        case TP_TOK_INC:
        case TP_TOK_DEC: {
            next(p);
            struct tp_expr *post = new_expr(p, TP_EXPR_POSTFIX, t);
            post->op = t->kind;
            post->a = e;
            e = post;
            break;
        }
        default:
            return e;
        }
    }
}

static struct tp_expr *parse_unary(struct parser *p)
{
    const struct tp_token *t = tok(p);
    switch (t->kind) {
    case TP_TOK_NOT:
    case TP_TOK_MINUS:
    case TP_TOK_PLUS:
    case TP_TOK_TILDE:
    case TP_TOK_INC:
    case TP_TOK_DEC: {
        next(p);
        enter(p);
        struct tp_expr *e = new_expr(p, TP_EXPR_UNARY, t);
        e->op = t->kind;
        e->a = parse_unary(p);
        p->depth--;
        return e;
    }
    default:
        return parse_postfix(p, parse_primary(p));
    }
}

/* Binding power of a binary operator at the current token, or 0. */
static int binary_prec(struct parser *p, enum tp_tok_kind *op)
{
    const struct tp_token *t = tok(p);
    *op = t->kind;
    switch (t->kind) {
    case TP_TOK_OR:
        return 3;
    case TP_TOK_AND:
        return 4;
    case TP_TOK_BITOR:
        return 5;
    case TP_TOK_XOR:
        return 6;
    case TP_TOK_BITAND:
        return 7;
    case TP_TOK_EQ:
    case TP_TOK_NE:
    case TP_TOK_IDENTICAL:
    case TP_TOK_NOT_IDENTICAL:
    case TP_TOK_SPACESHIP:
    case TP_TOK_FIND:
    case TP_TOK_MATCH:
        return 8;
    case TP_TOK_LT:
    case TP_TOK_LE:
    case TP_TOK_GT:
    case TP_TOK_GE:
        return 9;
    case TP_TOK_IDENT:
        if (strcmp(t->text, "in") == 0 || strcmp(t->text, "instanceof") == 0 ||
            strcmp(t->text, "as") == 0)
            return 9;
        return 0;
    case TP_TOK_SHL:
    case TP_TOK_SHR:
    case TP_TOK_USHR:
    case TP_TOK_RANGE:
    case TP_TOK_RANGE_EXCL:
        return 10;
    case TP_TOK_PLUS:
    case TP_TOK_MINUS:
        return 11;
    case TP_TOK_STAR:
    case TP_TOK_SLASH:
    case TP_TOK_PERCENT:
        return 12;
    case TP_TOK_POWER:
        return 13;
    default:
        return 0;
    }
}

static struct tp_expr *parse_binary(struct parser *p, int min_prec, struct tp_expr *lhs)
{
    if (lhs == NULL)
        lhs = parse_unary(p);
    for (;;) {
        enum tp_tok_kind op;
        /* `&&` or `||` starting the next line continue the expression. */
        if (raw(p)->kind == TP_TOK_NEWLINE && p->nl_skip == 0) {
            size_t i = p->pos;
            while (i < p->count && p->toks[i].kind == TP_TOK_NEWLINE)
                i++;
            if (i < p->count && (p->toks[i].kind == TP_TOK_AND || p->toks[i].kind == TP_TOK_OR))
                p->pos = i;
        }
        int prec = binary_prec(p, &op);
        if (prec == 0 || prec < min_prec)
            return lhs;
        const struct tp_token *t = next(p);
        struct tp_expr *e;
        if (op == TP_TOK_IDENT && strcmp(t->text, "as") == 0) {
            e = new_expr(p, TP_EXPR_CAST, t);
            e->a = lhs;
            e->text = parse_type_name(p);
            lhs = e;
            continue;
        }
        if (op == TP_TOK_IDENT && strcmp(t->text, "instanceof") == 0) {
            e = new_expr(p, TP_EXPR_BINARY, t);
            e->op = op;
            e->text = "instanceof";
            e->a = lhs;
            e->b = new_expr(p, TP_EXPR_STRING, t);
            e->b->text = parse_type_name(p);
            lhs = e;
            continue;
        }
        skip_newlines(p);
        enter(p);
        e = new_expr(p, TP_EXPR_BINARY, t);
        e->op = op;
        e->text = op == TP_TOK_IDENT ? t->text : NULL;
        e->a = lhs;
        e->b = parse_binary(p, prec + (op == TP_TOK_POWER ? 0 : 1), NULL);
        p->depth--;
        lhs = e;
    }
}

static bool is_assign_op(enum tp_tok_kind kind)
{
    switch (kind) {
    case TP_TOK_ASSIGN:
    case TP_TOK_PLUS_ASSIGN:
    case TP_TOK_MINUS_ASSIGN:
    case TP_TOK_STAR_ASSIGN:
    case TP_TOK_SLASH_ASSIGN:
    case TP_TOK_PERCENT_ASSIGN:
    case TP_TOK_POWER_ASSIGN:
    case TP_TOK_AND_ASSIGN:
    case TP_TOK_OR_ASSIGN:
    case TP_TOK_XOR_ASSIGN:
    case TP_TOK_SHL_ASSIGN:
    case TP_TOK_SHR_ASSIGN:
    case TP_TOK_USHR_ASSIGN:
    case TP_TOK_ELVIS_ASSIGN:
        return true;
    default:
        return false;
    }
}

/* Ternary, elvis and assignment, on top of an optional already-parsed left operand. */
static struct tp_expr *parse_rest(struct parser *p, struct tp_expr *lhs)
{
    enter(p);
    struct tp_expr *cond = parse_binary(p, 1, lhs);
    const struct tp_token *t = tok(p);
    if (t->kind == TP_TOK_NEWLINE && p->nl_skip == 0) {
        size_t i = p->pos;
        while (i < p->count && p->toks[i].kind == TP_TOK_NEWLINE)
            i++;
        if (i < p->count &&
            (p->toks[i].kind == TP_TOK_QUESTION || p->toks[i].kind == TP_TOK_ELVIS)) {
            p->pos = i;
            t = tok(p);
        }
    }
    struct tp_expr *e = cond;
    if (t->kind == TP_TOK_QUESTION) {
        next(p);
        skip_newlines(p);
        e = new_expr(p, TP_EXPR_TERNARY, t);
        e->a = cond;
        p->nl_skip++;
        e->b = parse_expression(p);
        expect(p, TP_TOK_COLON);
        p->nl_skip--;
        skip_newlines(p);
        e->c = parse_expression(p);
    } else if (t->kind == TP_TOK_ELVIS) {
        next(p);
        skip_newlines(p);
        e = new_expr(p, TP_EXPR_ELVIS, t);
        e->a = cond;
        e->b = parse_expression(p);
    } else if (is_assign_op(t->kind)) {
        if (cond->kind != TP_EXPR_IDENT && cond->kind != TP_EXPR_PROP &&
            cond->kind != TP_EXPR_INDEX && cond->kind != TP_EXPR_LIST)
            fail(p, t, "Invalid assignment target");
        next(p);
        skip_newlines(p);
        e = new_expr(p, TP_EXPR_ASSIGN, t);
        e->op = t->kind;
        e->a = cond;
        e->b = parse_command_expression(p);
    }
    p->depth--;
    return e;
}

static struct tp_expr *parse_expression(struct parser *p)
{
    return parse_rest(p, NULL);
}

/* --- statements --- */

/* Whether the current token can begin an argument of a parenthesis-free command call. */
static bool starts_command_arg(struct parser *p)
{
    const struct tp_token *t = raw(p);
    if (t->newline_before)
        return false;
    switch (t->kind) {
    case TP_TOK_IDENT:
        return strcmp(t->text, "in") != 0 && strcmp(t->text, "instanceof") != 0 &&
               strcmp(t->text, "as") != 0;
    case TP_TOK_STRING:
    case TP_TOK_GSTRING:
    case TP_TOK_INT:
    case TP_TOK_FLOAT:
    case TP_TOK_NOT:
        return true;
    default:
        return false;
    }
}

/*
 * An expression that may be a parenthesis-free command call: a statement, or the right-hand
 * side of an assignment or declaration (`def r = readCSV file: 'x.csv'`).
 */
static struct tp_expr *parse_command_expression(struct parser *p)
{
    const struct tp_token *t = tok(p);
    if (t->kind != TP_TOK_IDENT || (is_keyword(t->text) && strcmp(t->text, "this") != 0))
        return parse_expression(p);
    struct tp_expr *e = parse_postfix(p, parse_primary(p));
    if ((e->kind == TP_EXPR_IDENT || e->kind == TP_EXPR_PROP) && starts_command_arg(p)) {
        /* Command syntax: `sh 'make'`, `junit testResults: 'x', allowEmptyResults: true`. */
        struct tp_expr *call = make_call(p, e);
        size_t pos_cap = 0, named_cap = 0;
        call->command_syntax = true;
        do {
            skip_newlines(p);
            parse_argument(p, call, &pos_cap, &named_cap);
        } while (accept(p, TP_TOK_COMMA));
        return parse_postfix(p, call);
    }
    return parse_rest(p, e);
}

static bool at_terminator(struct parser *p)
{
    enum tp_tok_kind k = raw(p)->kind;
    return k == TP_TOK_NEWLINE || k == TP_TOK_SEMI || k == TP_TOK_RBRACE || k == TP_TOK_EOF;
}

static struct tp_stmt *new_stmt(struct parser *p, enum tp_stmt_kind kind, const struct tp_token *t)
{
    struct tp_stmt *s = tp_arena_alloc(p->arena, sizeof(*s));
    s->kind = kind;
    s->line = t->line;
    s->col = t->col;
    return s;
}

/* Body of if/for/while: a braced block, or a single statement. */
static struct tp_block *parse_body(struct parser *p)
{
    skip_newlines(p);
    if (is(p, TP_TOK_LBRACE))
        return parse_braced_block(p);
    const struct tp_token *t = tok(p);
    struct tp_block *b = tp_arena_alloc(p->arena, sizeof(*b));
    b->line = t->line;
    b->col = t->col;
    b->items = tp_arena_alloc(p->arena, sizeof(*b->items));
    b->items[0] = parse_statement(p);
    b->count = 1;
    return b;
}

static struct tp_expr *parse_condition(struct parser *p)
{
    expect(p, TP_TOK_LPAREN);
    p->nl_skip++;
    struct tp_expr *e = parse_expression(p);
    expect(p, TP_TOK_RPAREN);
    p->nl_skip--;
    return e;
}

/* After `Type`: is this `Type name` (a declaration)? Looks ahead without consuming. */
static bool at_typed_declaration(struct parser *p)
{
    const struct tp_token *t = tok(p);
    if (t->kind != TP_TOK_IDENT || is_keyword(t->text))
        return false;
    static const char *const primitives[] = { "int",  "long", "boolean", "double", "float",
                                              "char", "byte", "short",   "void",   "var" };
    bool type_like = t->text[0] >= 'A' && t->text[0] <= 'Z';
    for (size_t i = 0; i < sizeof(primitives) / sizeof(primitives[0]); i++)
        type_like = type_like || strcmp(t->text, primitives[i]) == 0;
    if (!type_like)
        return false;
    size_t i = p->pos + 1;
    /* Skip a dotted name, generics and array brackets. */
    int angle = 0;
    while (i < p->count) {
        enum tp_tok_kind k = p->toks[i].kind;
        if (k == TP_TOK_LT)
            angle++;
        else if (k == TP_TOK_GT)
            angle--;
        else if (k == TP_TOK_SHR)
            angle -= 2;
        else if (angle == 0 &&
                 !(k == TP_TOK_DOT && i + 1 < p->count && p->toks[i + 1].kind == TP_TOK_IDENT &&
                   p->toks[i - 1].kind == TP_TOK_IDENT) &&
                 !(k == TP_TOK_IDENT && p->toks[i - 1].kind == TP_TOK_DOT) &&
                 !(k == TP_TOK_LBRACKET && i + 1 < p->count &&
                   p->toks[i + 1].kind == TP_TOK_RBRACKET) &&
                 !(k == TP_TOK_RBRACKET && p->toks[i - 1].kind == TP_TOK_LBRACKET))
            break;
        else if (k != TP_TOK_IDENT && k != TP_TOK_COMMA && k != TP_TOK_QUESTION && angle > 0)
            return false;
        i++;
    }
    if (i + 1 >= p->count || p->toks[i].kind != TP_TOK_IDENT || is_keyword(p->toks[i].text))
        return false;
    enum tp_tok_kind after = p->toks[i + 1].kind;
    return after == TP_TOK_ASSIGN || after == TP_TOK_NEWLINE || after == TP_TOK_SEMI ||
           after == TP_TOK_EOF || after == TP_TOK_RBRACE || after == TP_TOK_LPAREN;
}

static void parse_params(struct parser *p, struct tp_stmt *s)
{
    size_t cap = 0;
    expect(p, TP_TOK_LPAREN);
    p->nl_skip++;
    while (!is(p, TP_TOK_RPAREN)) {
        const char *name = NULL;
        while (is(p, TP_TOK_IDENT) || is(p, TP_TOK_DOT) || is(p, TP_TOK_LT) || is(p, TP_TOK_GT) ||
               is(p, TP_TOK_LBRACKET) || is(p, TP_TOK_RBRACKET) || is(p, TP_TOK_ELLIPSIS)) {
            const struct tp_token *t = next(p);
            if (t->kind == TP_TOK_IDENT)
                name = t->text;
        }
        if (name == NULL)
            unexpected(p, tok(p));
        if (accept(p, TP_TOK_ASSIGN))
            (void)parse_expression(p); /* default values are parsed, then ignored */
        s->params = grow(p, (void *)s->params, s->nparams, &cap, sizeof(*s->params));
        s->params[s->nparams++] = name;
        if (!accept(p, TP_TOK_COMMA))
            break;
    }
    expect(p, TP_TOK_RPAREN);
    p->nl_skip--;
}

/* `def x = 1`, `String x`, `def f(a) { }`, `void f() { }`; the type word is current. */
static struct tp_stmt *parse_declaration(struct parser *p, const char *type)
{
    const struct tp_token *t = tok(p);
    const char *name = expect(p, TP_TOK_IDENT)->text;
    if (is(p, TP_TOK_LPAREN)) {
        struct tp_stmt *s = new_stmt(p, TP_STMT_METHOD, t);
        s->name = name;
        s->text = type;
        parse_params(p, s);
        skip_newlines(p);
        s->body = parse_braced_block(p);
        return s;
    }
    struct tp_stmt *s = new_stmt(p, TP_STMT_DECL, t);
    s->name = name;
    s->text = type;
    if (accept(p, TP_TOK_ASSIGN)) {
        skip_newlines(p);
        s->expr = parse_command_expression(p);
    }
    return s;
}

static struct tp_stmt *parse_if(struct parser *p, const struct tp_token *t)
{
    struct tp_stmt *s = new_stmt(p, TP_STMT_IF, t);
    s->expr = parse_condition(p);
    s->body = parse_body(p);
    size_t save = p->pos;
    skip_newlines(p);
    if (is_word(p, "else")) {
        next(p);
        s->else_body = parse_body(p);
    } else {
        p->pos = save;
    }
    return s;
}

static struct tp_stmt *parse_for(struct parser *p, const struct tp_token *t)
{
    expect(p, TP_TOK_LPAREN);
    p->nl_skip++;
    /* for (x in list) / for (def x in list) / for (Type x : list) / for (init; cond; step) */
    size_t save = p->pos;
    const char *name = NULL;
    if (is(p, TP_TOK_IDENT)) {
        name = next(p)->text;
        if (is(p, TP_TOK_IDENT) && strcmp(tok(p)->text, "in") != 0)
            name = next(p)->text; /* it was a type */
        if (is_word(p, "in") || is(p, TP_TOK_COLON)) {
            next(p);
            struct tp_stmt *s = new_stmt(p, TP_STMT_FOR_IN, t);
            s->name = name;
            s->expr = parse_expression(p);
            expect(p, TP_TOK_RPAREN);
            p->nl_skip--;
            s->body = parse_body(p);
            return s;
        }
    }
    p->pos = save;
    struct tp_stmt *s = new_stmt(p, TP_STMT_FOR, t);
    if (!is(p, TP_TOK_SEMI)) {
        if (is_word(p, "def") || at_typed_declaration(p)) {
            const char *type = next(p)->text;
            struct tp_stmt *decl = parse_declaration(p, type);
            struct tp_expr *assign = new_expr(p, TP_EXPR_ASSIGN, t);
            assign->op = TP_TOK_ASSIGN;
            assign->a = new_expr(p, TP_EXPR_IDENT, t);
            assign->a->text = decl->name;
            assign->b = decl->expr;
            s->init = assign;
        } else {
            s->init = parse_expression(p);
        }
    }
    expect(p, TP_TOK_SEMI);
    if (!is(p, TP_TOK_SEMI))
        s->expr = parse_expression(p);
    expect(p, TP_TOK_SEMI);
    if (!is(p, TP_TOK_RPAREN))
        s->update = parse_expression(p);
    expect(p, TP_TOK_RPAREN);
    p->nl_skip--;
    s->body = parse_body(p);
    return s;
}

static struct tp_stmt *parse_try(struct parser *p, const struct tp_token *t)
{
    struct tp_stmt *s = new_stmt(p, TP_STMT_TRY, t);
    size_t cap = 0;
    skip_newlines(p);
    s->body = parse_braced_block(p);
    for (;;) {
        size_t save = p->pos;
        skip_newlines(p);
        if (is_word(p, "catch")) {
            next(p);
            expect(p, TP_TOK_LPAREN);
            p->nl_skip++;
            const char *type = NULL, *name = NULL;
            while (is(p, TP_TOK_IDENT) || is(p, TP_TOK_DOT) || is(p, TP_TOK_BITOR)) {
                const struct tp_token *w = next(p);
                if (w->kind == TP_TOK_IDENT) {
                    if (name != NULL)
                        type = type ? tp_arena_printf(p->arena, "%s %s", type, name) : name;
                    name = w->text;
                }
            }
            if (name == NULL)
                unexpected(p, tok(p));
            expect(p, TP_TOK_RPAREN);
            p->nl_skip--;
            skip_newlines(p);
            s->catches = grow(p, s->catches, s->ncatches, &cap, sizeof(*s->catches));
            s->catches[s->ncatches++] =
                (struct tp_catch){ .type = type, .name = name, .body = parse_braced_block(p) };
        } else if (is_word(p, "finally")) {
            next(p);
            skip_newlines(p);
            s->finally_body = parse_braced_block(p);
            break;
        } else {
            p->pos = save;
            break;
        }
    }
    if (s->ncatches == 0 && s->finally_body == NULL)
        fail(p, tok(p), "You defined a try statement without catch or finally");
    return s;
}

static struct tp_stmt *parse_switch(struct parser *p, const struct tp_token *t)
{
    struct tp_stmt *s = new_stmt(p, TP_STMT_SWITCH, t);
    size_t cap = 0;
    s->expr = parse_condition(p);
    skip_newlines(p);
    expect(p, TP_TOK_LBRACE);
    int saved = p->nl_skip;
    p->nl_skip = 0;
    for (;;) {
        while (accept(p, TP_TOK_NEWLINE) || accept(p, TP_TOK_SEMI))
            ;
        if (accept(p, TP_TOK_RBRACE))
            break;
        const struct tp_token *label = tok(p);
        struct tp_expr *value = NULL;
        if (is_word(p, "case")) {
            next(p);
            value = parse_expression(p);
        } else if (is_word(p, "default")) {
            next(p);
        } else {
            unexpected(p, label);
        }
        expect(p, TP_TOK_COLON);
        struct tp_block *body = tp_arena_alloc(p->arena, sizeof(*body));
        size_t body_cap = 0;
        body->line = label->line;
        body->col = label->col;
        for (;;) {
            while (accept(p, TP_TOK_NEWLINE) || accept(p, TP_TOK_SEMI))
                ;
            if (is(p, TP_TOK_RBRACE) || is_word(p, "case") || is_word(p, "default"))
                break;
            body->items = grow(p, body->items, body->count, &body_cap, sizeof(*body->items));
            body->items[body->count++] = parse_statement(p);
        }
        s->cases = grow(p, s->cases, s->ncases, &cap, sizeof(*s->cases));
        s->cases[s->ncases++] = (struct tp_case){ .value = value, .body = body };
    }
    p->nl_skip = saved;
    return s;
}

/* Skips a class or interface body: kept as a name only (tier 3 in the grammar spec). */
static struct tp_stmt *parse_class(struct parser *p, const struct tp_token *t)
{
    struct tp_stmt *s = new_stmt(p, TP_STMT_CLASS, t);
    s->name = expect(p, TP_TOK_IDENT)->text;
    while (!is(p, TP_TOK_LBRACE)) {
        if (is(p, TP_TOK_EOF))
            unexpected(p, tok(p));
        next(p);
    }
    int depth = 0;
    do {
        const struct tp_token *w = next(p);
        if (w->kind == TP_TOK_LBRACE)
            depth++;
        else if (w->kind == TP_TOK_RBRACE)
            depth--;
        else if (w->kind == TP_TOK_EOF)
            unexpected(p, w);
    } while (depth > 0);
    return s;
}

static struct tp_stmt *parse_keyword_statement(struct parser *p, const struct tp_token *t)
{
    const char *w = t->text;
    struct tp_stmt *s;
    if (strcmp(w, "if") == 0) {
        next(p);
        return parse_if(p, t);
    }
    if (strcmp(w, "for") == 0) {
        next(p);
        return parse_for(p, t);
    }
    if (strcmp(w, "while") == 0) {
        next(p);
        s = new_stmt(p, TP_STMT_WHILE, t);
        s->expr = parse_condition(p);
        s->body = parse_body(p);
        return s;
    }
    if (strcmp(w, "return") == 0 || strcmp(w, "throw") == 0) {
        next(p);
        s = new_stmt(p, w[0] == 'r' ? TP_STMT_RETURN : TP_STMT_THROW, t);
        if (!at_terminator(p))
            s->expr = parse_expression(p);
        else if (w[0] == 't')
            unexpected(p, tok(p));
        return s;
    }
    if (strcmp(w, "break") == 0 || strcmp(w, "continue") == 0) {
        next(p);
        return new_stmt(p, w[0] == 'b' ? TP_STMT_BREAK : TP_STMT_CONTINUE, t);
    }
    if (strcmp(w, "try") == 0) {
        next(p);
        return parse_try(p, t);
    }
    if (strcmp(w, "switch") == 0) {
        next(p);
        return parse_switch(p, t);
    }
    if (strcmp(w, "import") == 0 || strcmp(w, "package") == 0) {
        next(p);
        s = new_stmt(p, TP_STMT_IMPORT, t);
        size_t begin = p->pos;
        while (!at_terminator(p))
            next(p);
        s->name = "";
        for (size_t i = begin; i < p->pos; i++)
            s->name = tp_arena_printf(p->arena, "%s%s", s->name, p->toks[i].text);
        return s;
    }
    if (strcmp(w, "class") == 0 || strcmp(w, "interface") == 0 || strcmp(w, "enum") == 0) {
        next(p);
        return parse_class(p, t);
    }
    return NULL;
}

static bool is_modifier(const char *w)
{
    static const char *const mods[] = { "final",     "static",       "private", "public",
                                        "protected", "synchronized", "abstract" };
    for (size_t i = 0; i < sizeof(mods) / sizeof(mods[0]); i++) {
        if (strcmp(w, mods[i]) == 0)
            return true;
    }
    return false;
}

static struct tp_stmt *parse_statement(struct parser *p)
{
    enter(p);
    struct tp_expr *annotation = NULL;
    while (is(p, TP_TOK_AT)) {
        const struct tp_token *at = next(p);
        annotation = new_expr(p, TP_EXPR_CALL, at);
        annotation->text = parse_type_name(p);
        if (is(p, TP_TOK_LPAREN))
            parse_paren_args(p, annotation);
        skip_newlines(p);
    }
    const struct tp_token *t = tok(p);
    struct tp_stmt *s = NULL;
    /* A label (`retry: for (...)`, or a mistaken `echo: 'x'`) names the next statement. */
    while (t->kind == TP_TOK_IDENT && !is_keyword(t->text) && p->pos + 1 < p->count &&
           p->toks[p->pos + 1].kind == TP_TOK_COLON) {
        next(p);
        next(p);
        skip_newlines(p);
        t = tok(p);
        if (t->kind == TP_TOK_LBRACE) {
            s = new_stmt(p, TP_STMT_BLOCK, t);
            s->body = parse_braced_block(p);
            s->annotation = annotation;
            p->depth--;
            return s;
        }
    }
    while (t->kind == TP_TOK_IDENT && is_modifier(t->text) && p->pos + 1 < p->count &&
           p->toks[p->pos + 1].kind == TP_TOK_IDENT) {
        next(p);
        t = tok(p);
    }
    if (t->kind == TP_TOK_IDENT)
        s = parse_keyword_statement(p, t);
    if (s == NULL && t->kind == TP_TOK_IDENT && strcmp(t->text, "def") == 0) {
        next(p);
        if (is(p, TP_TOK_IDENT) && at_typed_declaration(p))
            next(p); /* def String x: the type word after def */
        s = parse_declaration(p, "def");
    } else if (s == NULL && at_typed_declaration(p)) {
        const char *type = parse_type_name(p);
        s = parse_declaration(p, type);
    } else if (s == NULL && t->kind == TP_TOK_LBRACE) {
        /* Groovy has no bare blocks: a '{' opening a statement is this error (the usual
         * cause is `pipeline` with its '{' on the next line). */
        fail(p, t,
             "Ambiguous expression could be a parameterless closure expression, an isolated "
             "open code block, or it may continue a previous statement; solution: Add an "
             "explicit parameter list, e.g. {it -> ...}, or force it to be treated as an open "
             "block by giving it a label, e.g. L:{...}, and also either remove the previous "
             "newline, or add an explicit semicolon ';'");
    } else if (s == NULL) {
        s = new_stmt(p, TP_STMT_EXPR, t);
        s->expr = parse_command_expression(p);
    }
    s->annotation = annotation;
    if (!at_terminator(p))
        unexpected(p, raw(p));
    p->depth--;
    return s;
}

/* Statements up to (not including) the closing '}' or EOF. */
static struct tp_block *parse_block_body(struct parser *p, int line, int col)
{
    struct tp_block *b = tp_arena_alloc(p->arena, sizeof(*b));
    size_t cap = 0;
    b->line = line;
    b->col = col;
    int saved = p->nl_skip;
    p->nl_skip = 0;
    for (;;) {
        while (raw(p)->kind == TP_TOK_NEWLINE || raw(p)->kind == TP_TOK_SEMI)
            p->pos++;
        enum tp_tok_kind k = raw(p)->kind;
        if (k == TP_TOK_RBRACE || k == TP_TOK_EOF)
            break;
        b->items = grow(p, b->items, b->count, &cap, sizeof(*b->items));
        b->items[b->count++] = parse_statement(p);
    }
    p->nl_skip = saved;
    return b;
}

static struct tp_block *parse_braced_block(struct parser *p)
{
    const struct tp_token *open = expect(p, TP_TOK_LBRACE);
    struct tp_block *b = parse_block_body(p, open->line, open->col);
    expect(p, TP_TOK_RBRACE);
    return b;
}

int tp_parse(const char *src, size_t len, struct tp_arena *arena, struct tp_diags *diags,
             struct tp_script *out)
{
    const struct tp_token *toks;
    size_t count;
    int err = tp_lex(src, len, arena, diags, &toks, &count);
    if (err < 0)
        return err;
    jmp_buf bail;
    struct parser p = {
        .toks = toks, .count = count, .arena = arena, .diags = diags, .bail = &bail
    };
    if (setjmp(bail) != 0)
        return TP_ESYNTAX;
    out->body = parse_block_body(&p, 1, 1);
    if (raw(&p)->kind != TP_TOK_EOF)
        unexpected(&p, raw(&p));
    return 0;
}
