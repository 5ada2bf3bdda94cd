/* SPDX-License-Identifier: MIT */
/*
 * Evaluation of the Groovy values a declarative pipeline holds outside `script {}`: string
 * literals, GStrings (`${env.X}`, `${params.X}`, `$X`), numbers, booleans and `+` joins.
 * Pure: names are resolved through the callbacks of the context. The Groovy-lite
 * interpreter for script blocks will grow from here.
 */
#ifndef TP_ENGINE_EVAL_H
#define TP_ENGINE_EVAL_H

#include <stdbool.h>

#include "jenkinsfile/ast.h"

struct tp_buf;

struct tp_eval_ctx {
    /* The value of environment variable `name`, or NULL when unset. */
    const char *(*env)(void *ctx, const char *name);
    /* The value of build parameter `name`, or NULL when there is no such parameter. */
    const char *(*param)(void *ctx, const char *name);
    /* Whether parameter `name` is a booleanParam (its value is then a Boolean, not a
     * String: `params.X` is false for "false"). NULL: no boolean parameters. */
    bool (*param_is_boolean)(void *ctx, const char *name);
    void *ctx;
};

/* A Groovy value, as far as tidepool evaluates them. */
enum tp_value_kind {
    TP_VALUE_NULL,
    TP_VALUE_BOOL,
    TP_VALUE_NUMBER,
    TP_VALUE_STRING
};

struct tp_value {
    enum tp_value_kind kind;
    bool flag;
    double number;
    struct tp_buf *text; /* STRING: owned by the caller's value (see tp_value_close) */
};

void tp_value_close(struct tp_value *v);
/* Groovy's == for the kinds tidepool evaluates (values of different kinds are unequal). */
bool tp_value_equals(const struct tp_value *a, const struct tp_value *b);
/* Groovy truth: null, false, 0 and "" are false; everything else (the string "false"
 * included) is true. */
bool tp_value_truth(const struct tp_value *v);

/*
 * Evaluates `e` to a value: literals, GStrings, names (environment, then parameters),
 * env.X / params.X, == != < > <= >= && || ! ?: ?: ==~ =~, and the String methods equals,
 * contains, startsWith, endsWith, isEmpty, trim, toLowerCase, toUpperCase, toBoolean.
 * Returns 0, or TP_EINVAL / TP_EUNSUPPORTED as tp_eval_string() does.
 */
int tp_eval_value(const struct tp_expr *e, const struct tp_eval_ctx *ctx, struct tp_value *out,
                  struct tp_buf *error);
/*
 * Evaluates a closure body as `expression {}` does: the value of its `return`, or of its last
 * expression statement; `*truth` gets its Groovy truth.
 */
int tp_eval_block_truth(const struct tp_block *body, const struct tp_eval_ctx *ctx, bool *truth,
                        struct tp_buf *error);

/*
 * Appends the string value of `e` to `out` (Groovy's toString: null -> "null").
 * Returns 0, or one of: TP_EINVAL — the expression fails as it would in Groovy (e.g. an
 * unknown name: `error` gets Jenkins' message); TP_EUNSUPPORTED — tidepool cannot evaluate
 * this kind of expression yet (`error` says which).
 */
int tp_eval_string(const struct tp_expr *e, const struct tp_eval_ctx *ctx, struct tp_buf *out,
                   struct tp_buf *error);

#endif
