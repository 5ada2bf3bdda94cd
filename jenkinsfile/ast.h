/* SPDX-License-Identifier: MIT */
/*
 * The Groovy AST of a Jenkinsfile, and the diagnostics list every stage of compilation
 * writes to. Every node carries the line and column where it starts. All memory belongs to
 * the arena of the parse.
 */
#ifndef TP_JENKINSFILE_AST_H
#define TP_JENKINSFILE_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jenkinsfile/lexer.h"

struct tp_arena;

/* --- diagnostics --- */

struct tp_diag {
    int line, col;
    const char *message;
};

struct tp_diags {
    struct tp_diag *items; /* in the arena */
    size_t count;
    size_t cap;
    struct tp_arena *arena;
};

enum {
    TP_DIAGS_MAX = 100
};

void tp_diags_init(struct tp_diags *diags, struct tp_arena *arena);
/* Adds a message (printf-style); beyond TP_DIAGS_MAX messages are dropped. */
void tp_diags_add(struct tp_diags *diags, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* --- expressions --- */

enum tp_expr_kind {
    TP_EXPR_NULL,
    TP_EXPR_BOOL,       /* flag */
    TP_EXPR_INT,        /* ival, text */
    TP_EXPR_FLOAT,      /* fval, text */
    TP_EXPR_STRING,     /* text/len: decoded value */
    TP_EXPR_GSTRING,    /* parts: STRING or any expression, in order */
    TP_EXPR_IDENT,      /* text: name (also `this`) */
    TP_EXPR_PROP,       /* a.name; flag = safe navigation (?.), spread (*.) in `op` */
    TP_EXPR_INDEX,      /* a[b] */
    TP_EXPR_CALL,       /* a.text(args) or text(args); a may be NULL; callee in b if not named */
    TP_EXPR_CLOSURE,    /* closure */
    TP_EXPR_LIST,       /* args */
    TP_EXPR_MAP,        /* named */
    TP_EXPR_UNARY,      /* op a */
    TP_EXPR_POSTFIX,    /* a op (++/--) */
    TP_EXPR_BINARY,     /* a op b */
    TP_EXPR_TERNARY,    /* a ? b : c */
    TP_EXPR_ELVIS,      /* a ?: b */
    TP_EXPR_ASSIGN,     /* a op b, op is ASSIGN or a compound assignment */
    TP_EXPR_NEW,        /* new text(args) */
    TP_EXPR_CAST,       /* a as text */
    TP_EXPR_METHOD_REF, /* a.&text */
};

struct tp_expr;
struct tp_block;

struct tp_expr_list {
    struct tp_expr **items;
    size_t count;
};

/* A named argument or map entry; key is an expression (a STRING for `name:` keys). */
struct tp_named {
    struct tp_expr *key;
    struct tp_expr *value;
};

struct tp_named_list {
    struct tp_named *items;
    size_t count;
};

struct tp_closure {
    const char **params; /* names; implicit `it` when nparams == 0 and !explicit_params */
    size_t nparams;
    bool explicit_params;
    struct tp_block *body;
};

struct tp_expr {
    enum tp_expr_kind kind;
    int line, col;
    enum tp_tok_kind op;
    bool flag;
    const char *text;
    size_t len;
    int64_t ival;
    double fval;
    struct tp_expr *a, *b, *c;
    struct tp_expr_list args;   /* positional arguments, list items, GString parts */
    struct tp_named_list named; /* named arguments, map entries */
    struct tp_closure *closure; /* trailing closure of a call; the closure of CLOSURE */
    bool command_syntax;        /* call written without parentheses: `sh 'x'` */
};

/* --- statements --- */

enum tp_stmt_kind {
    TP_STMT_EXPR,   /* expr */
    TP_STMT_DECL,   /* [def|Type] name [= expr]; text = type or "def" */
    TP_STMT_IF,     /* if (expr) body else else_body */
    TP_STMT_FOR_IN, /* for (name in expr) body */
    TP_STMT_FOR,    /* for (init; expr; update) body */
    TP_STMT_WHILE,  /* while (expr) body */
    TP_STMT_RETURN, /* return [expr] */
    TP_STMT_THROW,  /* throw expr */
    TP_STMT_BREAK,
    TP_STMT_CONTINUE,
    TP_STMT_TRY,    /* try body catches finally_body */
    TP_STMT_SWITCH, /* switch (expr) cases */
    TP_STMT_BLOCK,  /* { body } */
    TP_STMT_METHOD, /* def name(params) body */
    TP_STMT_IMPORT, /* import text */
    TP_STMT_CLASS,  /* class text { ... } (kept as a name only) */
};

struct tp_stmt;

struct tp_block {
    struct tp_stmt **items;
    size_t count;
    int line, col;
};

struct tp_catch {
    const char *type; /* NULL for an untyped catch (e) */
    const char *name;
    struct tp_block *body;
};

struct tp_case {
    struct tp_expr *value; /* NULL for default */
    struct tp_block *body;
};

struct tp_stmt {
    enum tp_stmt_kind kind;
    int line, col;
    const char *name; /* DECL/FOR_IN variable, METHOD name, CLASS name, IMPORT path */
    const char *text; /* DECL type ("def", "String"...) */
    struct tp_expr *expr;
    struct tp_expr *init, *update; /* FOR */
    struct tp_block *body;
    struct tp_block *else_body;
    struct tp_block *finally_body;
    struct tp_catch *catches;
    size_t ncatches;
    struct tp_case *cases;
    size_t ncases;
    const char **params; /* METHOD */
    size_t nparams;
    struct tp_expr *annotation; /* @Name(args) written before the statement */
};

/* The parse of a whole file. */
struct tp_script {
    struct tp_block *body;
};

/* Names for dumps and messages. */
const char *tp_expr_kind_name(enum tp_expr_kind kind);
/*
 * Appends a compact S-expression of the expression to `out`, for tests and `tidepool lint
 * --ast`: (call sh (str "make")). Pure.
 */
struct tp_buf;
void tp_ast_dump_expr(const struct tp_expr *expr, struct tp_buf *out);
void tp_ast_dump_block(const struct tp_block *block, struct tp_buf *out);
/* The value of named argument `name` of a call (`sh script: 'x'`), or of key `name` of a map
 * literal; or NULL. */
const struct tp_expr *tp_ast_named_arg(const struct tp_expr *call, const char *name);
/* True when `expr` is a name, or a chain of `.name` on a name, spelling `path` ("env.X"). */
bool tp_ast_is_path(const struct tp_expr *expr, const char *path);

#endif
