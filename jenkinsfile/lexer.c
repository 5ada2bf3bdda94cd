/* SPDX-License-Identifier: MIT */
#include "jenkinsfile/lexer.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"
#include "jenkinsfile/ast.h"

struct op_spelling {
    const char *text;
    enum tp_tok_kind kind;
};

static const struct op_spelling ops[] = {
#define XX(name, spelling) { spelling, TP_TOK_##name },
    TP_TOK_OPS(XX)
#undef XX
};

const char *tp_tok_spelling(enum tp_tok_kind kind)
{
    switch (kind) {
    case TP_TOK_EOF:
        return "end of file";
    case TP_TOK_NEWLINE:
        return "newline";
    case TP_TOK_IDENT:
        return "identifier";
    case TP_TOK_INT:
    case TP_TOK_FLOAT:
        return "number";
    case TP_TOK_STRING:
    case TP_TOK_GSTRING:
        return "string";
    default:
        break;
    }
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        if (ops[i].kind == kind)
            return ops[i].text;
    }
    return "?";
}

struct tokvec {
    struct tp_token *items;
    size_t count, cap;
};

struct lexer {
    const char *src;
    size_t len;
    size_t pos;
    int line, col;
    int depth;
    struct tp_arena *arena;
    struct tp_diags *diags;
    bool failed;
};

static void vec_push(struct tokvec *v, const struct tp_token *t)
{
    if (v->count == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 256;
        v->items = tp_xrealloc(v->items, v->cap * sizeof(*v->items));
    }
    v->items[v->count++] = *t;
}

/* Copies the vector into the arena and frees it. */
static const struct tp_token *vec_finish(struct tokvec *v, struct tp_arena *arena, size_t *count)
{
    struct tp_token *out = tp_arena_alloc(arena, v->count * sizeof(*out));
    memcpy(out, v->items, v->count * sizeof(*out));
    *count = v->count;
    free(v->items);
    memset(v, 0, sizeof(*v));
    return out;
}

static int peek_at(const struct lexer *lx, size_t ahead)
{
    size_t i = lx->pos + ahead;
    return i < lx->len ? (unsigned char)lx->src[i] : -1;
}

/* Advances one byte, keeping line and column (columns count characters, not UTF-8 bytes). */
static void advance(struct lexer *lx)
{
    unsigned char c = (unsigned char)lx->src[lx->pos++];
    if (c == '\n') {
        lx->line++;
        lx->col = 1;
    } else if ((c & 0xC0) != 0x80) {
        lx->col++;
    }
}

static void error_at(struct lexer *lx, int line, int col, const char *message)
{
    tp_diags_add(lx->diags, line, col, "%s", message);
    lx->failed = true;
}

static bool is_ident_start(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$' || c >= 0x80;
}

static bool is_ident_char(int c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9');
}

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* Whether a '/' after token `prev` divides (prev ends an operand) or opens a slashy string. */
static bool ends_operand(const struct tp_token *prev)
{
    if (prev == NULL)
        return false;
    switch (prev->kind) {
    case TP_TOK_IDENT: {
        static const char *const words[] = { "return", "in", "case", "assert", "throw", "new" };
        for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
            if (strcmp(prev->text, words[i]) == 0)
                return false;
        }
        return true;
    }
    case TP_TOK_INT:
    case TP_TOK_FLOAT:
    case TP_TOK_STRING:
    case TP_TOK_GSTRING:
    case TP_TOK_RPAREN:
    case TP_TOK_RBRACKET:
    case TP_TOK_RBRACE:
    case TP_TOK_INC:
    case TP_TOK_DEC:
        return true;
    default:
        return false;
    }
}

static void skip_comment_or_space(struct lexer *lx, bool *saw_newline, struct tokvec *out)
{
    for (;;) {
        int c = peek_at(lx, 0);
        if (c == ' ' || c == '\t' || c == '\r' || c == '\f') {
            advance(lx);
        } else if (c == '\\' &&
                   (peek_at(lx, 1) == '\n' || (peek_at(lx, 1) == '\r' && peek_at(lx, 2) == '\n'))) {
            /* Line continuation outside strings. */
            advance(lx);
            while (peek_at(lx, 0) != '\n')
                advance(lx);
            advance(lx);
        } else if (c == '\n') {
            struct tp_token t = { .kind = TP_TOK_NEWLINE,
                                  .line = lx->line,
                                  .col = lx->col,
                                  .start = (uint32_t)lx->pos,
                                  .end = (uint32_t)lx->pos + 1,
                                  .text = "\n",
                                  .len = 1 };
            advance(lx);
            if (out->count > 0 && out->items[out->count - 1].kind != TP_TOK_NEWLINE)
                vec_push(out, &t);
            *saw_newline = true;
        } else if (c == '/' && peek_at(lx, 1) == '/') {
            while (peek_at(lx, 0) != -1 && peek_at(lx, 0) != '\n')
                advance(lx);
        } else if (c == '/' && peek_at(lx, 1) == '*') {
            int line = lx->line, col = lx->col;
            advance(lx);
            advance(lx);
            while (!(peek_at(lx, 0) == '*' && peek_at(lx, 1) == '/')) {
                if (peek_at(lx, 0) == -1) {
                    error_at(lx, line, col, "Unterminated comment");
                    return;
                }
                advance(lx);
            }
            advance(lx);
            advance(lx);
        } else {
            return;
        }
    }
}

static void append_utf8(struct tp_buf *b, unsigned code)
{
    char out[4];
    size_t n;
    if (code < 0x80) {
        out[0] = (char)code;
        n = 1;
    } else if (code < 0x800) {
        out[0] = (char)(0xC0 | (code >> 6));
        out[1] = (char)(0x80 | (code & 0x3F));
        n = 2;
    } else {
        out[0] = (char)(0xE0 | (code >> 12));
        out[1] = (char)(0x80 | ((code >> 6) & 0x3F));
        out[2] = (char)(0x80 | (code & 0x3F));
        n = 3;
    }
    tp_buf_append(b, out, n);
}

/* Decodes one backslash escape of a quoted string (the backslash is at pos). */
static void read_escape(struct lexer *lx, struct tp_buf *b)
{
    advance(lx); /* backslash */
    int c = peek_at(lx, 0);
    switch (c) {
    case 'n':
        tp_buf_putc(b, '\n');
        break;
    case 't':
        tp_buf_putc(b, '\t');
        break;
    case 'r':
        tp_buf_putc(b, '\r');
        break;
    case 'b':
        tp_buf_putc(b, '\b');
        break;
    case 'f':
        tp_buf_putc(b, '\f');
        break;
    case '0':
        tp_buf_putc(b, '\0');
        break;
    case '\n':
        /* A backslash at the end of a line joins the lines. */
        break;
    case 'u': {
        unsigned code = 0;
        int digits = 0;
        advance(lx);
        while (digits < 4) {
            int h = peek_at(lx, 0);
            int v = (h >= '0' && h <= '9')   ? h - '0'
                    : (h >= 'a' && h <= 'f') ? h - 'a' + 10
                    : (h >= 'A' && h <= 'F') ? h - 'A' + 10
                                             : -1;
            if (v < 0)
                break;
            code = code * 16 + (unsigned)v;
            advance(lx);
            digits++;
        }
        append_utf8(b, code);
        return;
    }
    case -1:
        return;
    default:
        /* \\ \' \" \$ and, leniently, anything else stand for the character itself. */
        tp_buf_putc(b, (char)c);
        break;
    }
    advance(lx);
}

static int lex_tokens(struct lexer *lx, struct tokvec *out, bool stop_at_rbrace);

/* Adds a literal part holding `b`'s bytes (if any) and empties `b`. */
static void flush_literal(struct lexer *lx, struct tp_buf *b, struct tp_gstr_part **parts,
                          size_t *nparts, size_t *cap, int line, int col)
{
    if (b->len == 0)
        return;
    if (*nparts == *cap) {
        *cap = *cap ? *cap * 2 : 4;
        *parts = tp_xrealloc(*parts, *cap * sizeof(**parts));
    }
    (*parts)[(*nparts)++] =
        (struct tp_gstr_part){ .text = tp_arena_strndup(lx->arena, b->data, b->len),
                               .len = b->len,
                               .line = line,
                               .col = col };
    tp_buf_reset(b);
}

/*
 * Reads `$name.path` or `${expr}` at pos (which holds '$') into an expression part.
 */
static void read_interpolation(struct lexer *lx, struct tp_gstr_part *part)
{
    struct tokvec inner = { 0 };
    part->line = lx->line;
    part->col = lx->col;
    advance(lx); /* $ */
    if (peek_at(lx, 0) == '{') {
        int line = lx->line, col = lx->col;
        advance(lx);
        if (++lx->depth > TP_LEX_MAX_DEPTH) {
            error_at(lx, line, col, "Strings nested too deeply");
        } else if (lex_tokens(lx, &inner, true) != 1) {
            error_at(lx, line, col, "Unterminated ${ } in string");
        }
        lx->depth--;
    } else {
        /* $a.b.c: a dotted path of identifiers. */
        for (;;) {
            struct tp_token t = {
                .kind = TP_TOK_IDENT, .line = lx->line, .col = lx->col, .start = (uint32_t)lx->pos
            };
            size_t begin = lx->pos;
            while (is_ident_char(peek_at(lx, 0)) && peek_at(lx, 0) != '$')
                advance(lx);
            t.end = (uint32_t)lx->pos;
            t.text = tp_arena_strndup(lx->arena, lx->src + begin, lx->pos - begin);
            t.len = lx->pos - begin;
            vec_push(&inner, &t);
            if (peek_at(lx, 0) == '.' && is_ident_start(peek_at(lx, 1)) && peek_at(lx, 1) != '$') {
                struct tp_token dot = { .kind = TP_TOK_DOT,
                                        .line = lx->line,
                                        .col = lx->col,
                                        .start = (uint32_t)lx->pos,
                                        .end = (uint32_t)lx->pos + 1,
                                        .text = ".",
                                        .len = 1 };
                advance(lx);
                vec_push(&inner, &dot);
                continue;
            }
            break;
        }
    }
    struct tp_token eof = { .kind = TP_TOK_EOF,
                            .line = lx->line,
                            .col = lx->col,
                            .start = (uint32_t)lx->pos,
                            .end = (uint32_t)lx->pos,
                            .text = "" };
    vec_push(&inner, &eof);
    part->tokens = vec_finish(&inner, lx->arena, &part->ntokens);
}

enum quote_style {
    Q_SINGLE,        /* '...'   */
    Q_DOUBLE,        /* "..."   */
    Q_TRIPLE_SINGLE, /* '''...''' */
    Q_TRIPLE_DOUBLE, /* """...""" */
    Q_SLASHY,        /* /.../   */
    Q_DOLLAR_SLASHY  /* $/.../$ */
};

static bool at_close(const struct lexer *lx, enum quote_style style)
{
    switch (style) {
    case Q_SINGLE:
        return peek_at(lx, 0) == '\'';
    case Q_DOUBLE:
        return peek_at(lx, 0) == '"';
    case Q_TRIPLE_SINGLE:
        return peek_at(lx, 0) == '\'' && peek_at(lx, 1) == '\'' && peek_at(lx, 2) == '\'';
    case Q_TRIPLE_DOUBLE:
        return peek_at(lx, 0) == '"' && peek_at(lx, 1) == '"' && peek_at(lx, 2) == '"';
    case Q_SLASHY:
        return peek_at(lx, 0) == '/';
    case Q_DOLLAR_SLASHY:
        return peek_at(lx, 0) == '/' && peek_at(lx, 1) == '$';
    }
    return false;
}

/* Reads a string of any style; the opening delimiter has been consumed. */
static void read_string(struct lexer *lx, enum quote_style style, struct tp_token *t)
{
    const bool interpolates = style != Q_SINGLE && style != Q_TRIPLE_SINGLE;
    const bool multiline = style != Q_SINGLE && style != Q_DOUBLE;
    struct tp_buf b;
    struct tp_gstr_part *parts = NULL;
    size_t nparts = 0, cap = 0;
    int part_line = lx->line, part_col = lx->col;
    tp_buf_init(&b);
    for (;;) {
        int c = peek_at(lx, 0);
        if (c == -1 || (c == '\n' && !multiline)) {
            error_at(lx, t->line, t->col, "Unterminated string literal");
            break;
        }
        if (at_close(lx, style)) {
            size_t n = (style == Q_TRIPLE_SINGLE || style == Q_TRIPLE_DOUBLE) ? 3
                       : style == Q_DOLLAR_SLASHY                             ? 2
                                                                              : 1;
            while (n--)
                advance(lx);
            break;
        }
        if (style == Q_SLASHY && c == '\\' && peek_at(lx, 1) == '/') {
            advance(lx);
            tp_buf_putc(&b, '/');
            advance(lx);
        } else if (style == Q_DOLLAR_SLASHY && c == '$' &&
                   (peek_at(lx, 1) == '$' || peek_at(lx, 1) == '/')) {
            advance(lx);
            tp_buf_putc(&b, (char)peek_at(lx, 0));
            advance(lx);
        } else if (c == '\\' && style != Q_SLASHY && style != Q_DOLLAR_SLASHY) {
            read_escape(lx, &b);
        } else if (c == '$' && interpolates &&
                   (peek_at(lx, 1) == '{' ||
                    (is_ident_start(peek_at(lx, 1)) && peek_at(lx, 1) != '$'))) {
            flush_literal(lx, &b, &parts, &nparts, &cap, part_line, part_col);
            if (nparts == cap) {
                cap = cap ? cap * 2 : 4;
                parts = tp_xrealloc(parts, cap * sizeof(*parts));
            }
            memset(&parts[nparts], 0, sizeof(parts[nparts]));
            read_interpolation(lx, &parts[nparts++]);
            part_line = lx->line;
            part_col = lx->col;
        } else {
            tp_buf_putc(&b, (char)c);
            advance(lx);
        }
    }
    if (nparts == 0) {
        t->kind = TP_TOK_STRING;
        t->text = tp_arena_strndup(lx->arena, b.data ? b.data : "", b.len);
        t->len = b.len;
    } else {
        flush_literal(lx, &b, &parts, &nparts, &cap, part_line, part_col);
        t->kind = TP_TOK_GSTRING;
        struct tp_gstr_part *copy = tp_arena_alloc(lx->arena, nparts * sizeof(*copy));
        memcpy(copy, parts, nparts * sizeof(*copy));
        t->parts = copy;
        t->nparts = nparts;
        t->text = "";
    }
    free(parts);
    tp_buf_close(&b);
}

static void read_number(struct lexer *lx, struct tp_token *t)
{
    size_t begin = lx->pos;
    bool is_float = false;
    if (peek_at(lx, 0) == '0' && (peek_at(lx, 1) == 'x' || peek_at(lx, 1) == 'X' ||
                                  peek_at(lx, 1) == 'b' || peek_at(lx, 1) == 'B')) {
        advance(lx);
        advance(lx);
        while (is_ident_char(peek_at(lx, 0)))
            advance(lx);
    } else {
        while (is_digit(peek_at(lx, 0)) || peek_at(lx, 0) == '_')
            advance(lx);
        if (peek_at(lx, 0) == '.' && is_digit(peek_at(lx, 1))) {
            is_float = true;
            advance(lx);
            while (is_digit(peek_at(lx, 0)) || peek_at(lx, 0) == '_')
                advance(lx);
        }
        if (peek_at(lx, 0) == 'e' || peek_at(lx, 0) == 'E') {
            int next = peek_at(lx, 1);
            if (is_digit(next) || ((next == '+' || next == '-') && is_digit(peek_at(lx, 2)))) {
                is_float = true;
                advance(lx);
                advance(lx);
                while (is_digit(peek_at(lx, 0)))
                    advance(lx);
            }
        }
        int suffix = peek_at(lx, 0);
        if (suffix != -1 && strchr("gGlLiIdDfF", suffix) != NULL &&
            !is_ident_char(peek_at(lx, 1))) {
            if (strchr("dDfF", suffix) != NULL)
                is_float = true;
            advance(lx);
        }
    }
    t->kind = is_float ? TP_TOK_FLOAT : TP_TOK_INT;
    t->text = tp_arena_strndup(lx->arena, lx->src + begin, lx->pos - begin);
    t->len = lx->pos - begin;
}

static bool read_operator(struct lexer *lx, struct tp_token *t)
{
    size_t best = 0;
    enum tp_tok_kind kind = TP_TOK_EOF;
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        size_t n = strlen(ops[i].text);
        if (n > best && lx->pos + n <= lx->len && memcmp(lx->src + lx->pos, ops[i].text, n) == 0) {
            best = n;
            kind = ops[i].kind;
        }
    }
    if (best == 0)
        return false;
    t->kind = kind;
    t->text = tp_tok_spelling(kind);
    t->len = best;
    while (best--)
        advance(lx);
    return true;
}

/*
 * Lexes tokens into `out` until EOF, or (stop_at_rbrace) until the '}' closing the current
 * `${`. Returns 1 when it stopped at that brace, 0 at EOF.
 */
static int lex_tokens(struct lexer *lx, struct tokvec *out, bool stop_at_rbrace)
{
    int braces = 0;
    for (;;) {
        bool saw_newline = false;
        skip_comment_or_space(lx, &saw_newline, out);
        int c = peek_at(lx, 0);
        struct tp_token t = { .line = lx->line,
                              .col = lx->col,
                              .start = (uint32_t)lx->pos,
                              .newline_before = saw_newline };
        const struct tp_token *prev = out->count ? &out->items[out->count - 1] : NULL;
        if (prev != NULL && prev->kind == TP_TOK_NEWLINE)
            t.newline_before = 1;
        if (c == -1)
            return 0;
        if (stop_at_rbrace && c == '}' && braces == 0) {
            advance(lx);
            return 1;
        }
        if (c == '\'' || c == '"') {
            bool triple = peek_at(lx, 1) == c && peek_at(lx, 2) == c;
            int n = triple ? 3 : 1;
            while (n--)
                advance(lx);
            enum quote_style style = c == '\'' ? (triple ? Q_TRIPLE_SINGLE : Q_SINGLE)
                                               : (triple ? Q_TRIPLE_DOUBLE : Q_DOUBLE);
            read_string(lx, style, &t);
        } else if (c == '$' && peek_at(lx, 1) == '/') {
            advance(lx);
            advance(lx);
            read_string(lx, Q_DOLLAR_SLASHY, &t);
        } else if (c == '/' && !ends_operand(prev) && peek_at(lx, 1) != '=') {
            advance(lx);
            read_string(lx, Q_SLASHY, &t);
        } else if (is_digit(c) || (c == '.' && is_digit(peek_at(lx, 1)) && !ends_operand(prev))) {
            read_number(lx, &t);
        } else if (is_ident_start(c)) {
            size_t begin = lx->pos;
            while (is_ident_char(peek_at(lx, 0)))
                advance(lx);
            t.kind = TP_TOK_IDENT;
            t.text = tp_arena_strndup(lx->arena, lx->src + begin, lx->pos - begin);
            t.len = lx->pos - begin;
        } else if (c == '#' && lx->pos == 0 && peek_at(lx, 1) == '!') {
            while (peek_at(lx, 0) != -1 && peek_at(lx, 0) != '\n')
                advance(lx);
            continue;
        } else if (read_operator(lx, &t)) {
            if (t.kind == TP_TOK_LBRACE)
                braces++;
            else if (t.kind == TP_TOK_RBRACE)
                braces--;
        } else {
            error_at(lx, t.line, t.col, "Unexpected character");
            advance(lx);
            continue;
        }
        t.end = (uint32_t)lx->pos;
        vec_push(out, &t);
    }
}

int tp_lex(const char *src, size_t len, struct tp_arena *arena, struct tp_diags *diags,
           const struct tp_token **tokens, size_t *count)
{
    if (len > TP_LEX_MAX_SOURCE) {
        tp_diags_add(diags, 1, 1, "Jenkinsfile is larger than %d bytes", TP_LEX_MAX_SOURCE);
        return TP_ETOOBIG;
    }
    struct lexer lx = {
        .src = src, .len = len, .line = 1, .col = 1, .arena = arena, .diags = diags
    };
    struct tokvec out = { 0 };
    /* A byte-order mark is not part of the script. */
    if (len >= 3 && memcmp(src, "\xEF\xBB\xBF", 3) == 0)
        lx.pos = 3;
    lex_tokens(&lx, &out, false);
    struct tp_token eof = { .kind = TP_TOK_EOF,
                            .line = lx.line,
                            .col = lx.col,
                            .start = (uint32_t)lx.pos,
                            .end = (uint32_t)lx.pos,
                            .text = "",
                            .newline_before = 1 };
    vec_push(&out, &eof);
    *tokens = vec_finish(&out, arena, count);
    return lx.failed ? TP_ESYNTAX : 0;
}
