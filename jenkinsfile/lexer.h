/* SPDX-License-Identifier: MIT */
/*
 * The Groovy lexer: text -> tokens, all of them at once. Pure (no I/O, no globals).
 *
 * It knows every Groovy token a Jenkinsfile can hold: identifiers (keywords are identifiers
 * the parser recognises by text, since Groovy lets most of them be map keys and property
 * names), numbers with suffixes, every operator, significant newlines, and all string forms:
 * '...', "...", '''...''', """...""", /slashy/ and $/dollar-slashy/$. Comments and a first
 * `#!` line are skipped. A double-quoted string with `$name`, `$a.b.c` or `${expr}` becomes a
 * GSTRING whose parts are literal text or an embedded token stream (lexed here, recursively,
 * so nested strings and braces inside `${}` work).
 *
 * All memory comes from the arena the caller passes; tokens live as long as it does.
 */
#ifndef TP_JENKINSFILE_LEXER_H
#define TP_JENKINSFILE_LEXER_H

#include <stddef.h>
#include <stdint.h>

struct tp_arena;
struct tp_diags;

/* Punctuation and operators with their spelling; the order is irrelevant (matching is
 * longest-first). */
/* One operator per line; clang-format 14 does not keep a stable layout of this table. */
/* clang-format off */
#define TP_TOK_OPS(XX)       \
    XX(LPAREN, "(")          \
    XX(RPAREN, ")")          \
    XX(LBRACE, "{")          \
    XX(RBRACE, "}")          \
    XX(LBRACKET, "[")        \
    XX(RBRACKET, "]")        \
    XX(COMMA, ",")           \
    XX(SEMI, ";")            \
    XX(DOT, ".")             \
    XX(SAFE_DOT, "?.")       \
    XX(SPREAD_DOT, "*.")     \
    XX(METHOD_REF, ".&")     \
    XX(DCOLON, "::")         \
    XX(COLON, ":")           \
    XX(QUESTION, "?")        \
    XX(ELVIS, "?:")          \
    XX(ASSIGN, "=")          \
    XX(EQ, "==")             \
    XX(NE, "!=")             \
    XX(IDENTICAL, "===")     \
    XX(NOT_IDENTICAL, "!==") \
    XX(LT, "<")              \
    XX(GT, ">")              \
    XX(LE, "<=")             \
    XX(GE, ">=")             \
    XX(SPACESHIP, "<=>")     \
    XX(AND, "&&")            \
    XX(OR, "||")             \
    XX(NOT, "!")             \
    XX(PLUS, "+")            \
    XX(MINUS, "-")           \
    XX(STAR, "*")            \
    XX(SLASH, "/")           \
    XX(PERCENT, "%")         \
    XX(POWER, "**")          \
    XX(INC, "++")            \
    XX(DEC, "--")            \
    XX(PLUS_ASSIGN, "+=")    \
    XX(MINUS_ASSIGN, "-=")   \
    XX(STAR_ASSIGN, "*=")    \
    XX(SLASH_ASSIGN, "/=")   \
    XX(PERCENT_ASSIGN, "%=") \
    XX(POWER_ASSIGN, "**=")  \
    XX(AND_ASSIGN, "&=")     \
    XX(OR_ASSIGN, "|=")      \
    XX(XOR_ASSIGN, "^=")     \
    XX(SHL_ASSIGN, "<<=")    \
    XX(SHR_ASSIGN, ">>=")    \
    XX(USHR_ASSIGN, ">>>=")  \
    XX(ELVIS_ASSIGN, "?=")   \
    XX(BITAND, "&")          \
    XX(BITOR, "|")           \
    XX(XOR, "^")             \
    XX(TILDE, "~")           \
    XX(SHL, "<<")            \
    XX(SHR, ">>")            \
    XX(USHR, ">>>")          \
    XX(FIND, "=~")           \
    XX(MATCH, "==~")         \
    XX(ARROW, "->")          \
    XX(RANGE, "..")          \
    XX(RANGE_EXCL, "..<")    \
    XX(AT, "@")              \
    XX(ELLIPSIS, "...")

/* clang-format on */

enum tp_tok_kind {
    TP_TOK_EOF,
    TP_TOK_NEWLINE,
    TP_TOK_IDENT,
    TP_TOK_INT,
    TP_TOK_FLOAT,
    TP_TOK_STRING,  /* no interpolation; `text` is the decoded value */
    TP_TOK_GSTRING, /* interpolated; see `parts` */
#define XX(name, spelling) TP_TOK_##name,
    TP_TOK_OPS(XX)
#undef XX
    TP_TOK_COUNT
};

struct tp_token;

/* A piece of a GString: literal text, or an embedded expression's tokens (ending in EOF). */
struct tp_gstr_part {
    const char *text; /* decoded literal, NULL for an expression part */
    size_t len;
    const struct tp_token *tokens;
    size_t ntokens;
    int line, col; /* where the part starts */
};

struct tp_token {
    enum tp_tok_kind kind;
    int line, col;  /* 1-based */
    uint32_t start; /* byte offset of the token in the source */
    uint32_t end;
    const char *text; /* identifier name, number text, or decoded string; NUL-terminated */
    size_t len;
    const struct tp_gstr_part *parts; /* GSTRING only */
    size_t nparts;
    unsigned newline_before : 1; /* a newline separates it from the previous token */
};

/* Hard bounds on input that comes from outside. */
enum {
    TP_LEX_MAX_SOURCE = 4 * 1024 * 1024,
    TP_LEX_MAX_DEPTH = 64, /* nesting of ${} inside strings */
};

/*
 * Tokenizes src[0..len). On success `*tokens` is an array of `*count` tokens ending with
 * TP_TOK_EOF. Errors (unterminated string or comment, bad character, too large) are added
 * to `diags` with line and column.
 * Returns 0, or TP_ESYNTAX (see diags), TP_ETOOBIG (source over TP_LEX_MAX_SOURCE).
 */
int tp_lex(const char *src, size_t len, struct tp_arena *arena, struct tp_diags *diags,
           const struct tp_token **tokens, size_t *count);

/* The spelling of an operator kind ("==") or a name for the others ("identifier"). */
const char *tp_tok_spelling(enum tp_tok_kind kind);

#endif
