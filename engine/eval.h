/* SPDX-License-Identifier: MIT */
/*
 * Evaluation of the Groovy values a declarative pipeline holds outside `script {}`: string
 * literals, GStrings (`${env.X}`, `${params.X}`, `$X`), numbers, booleans and `+` joins.
 * Pure: names are resolved through the callbacks of the context. The Groovy-lite
 * interpreter for script blocks will grow from here.
 */
#ifndef TP_ENGINE_EVAL_H
#define TP_ENGINE_EVAL_H

#include "jenkinsfile/ast.h"

struct tp_buf;

struct tp_eval_ctx {
    /* The value of environment variable `name`, or NULL when unset. */
    const char *(*env)(void *ctx, const char *name);
    /* The value of build parameter `name`, or NULL when there is no such parameter. */
    const char *(*param)(void *ctx, const char *name);
    void *ctx;
};

/*
 * Appends the string value of `e` to `out` (Groovy's toString: null -> "null").
 * Returns 0, or one of: TP_EINVAL — the expression fails as it would in Groovy (e.g. an
 * unknown name: `error` gets Jenkins' message); TP_EUNSUPPORTED — tidepool cannot evaluate
 * this kind of expression yet (`error` says which).
 */
int tp_eval_string(const struct tp_expr *e, const struct tp_eval_ctx *ctx, struct tp_buf *out,
                   struct tp_buf *error);

#endif
