/* SPDX-License-Identifier: MIT */
/*
 * Jenkins' `tree=` query language for `api/json`: `jobs[name,url,builds[number]{0,5}],*`.
 * A field list; each field a name (or `*`, every field), optionally a sub-list in `[...]`
 * and a range `{M,N}`, `{M,}`, `{,N}` or `{N}` that slices an array (harmless on a scalar).
 * Applying a tree to a JSON value keeps only the named fields (and `_class`, always); a named
 * field without a sub-list keeps a scalar as it is and reduces an object to its `_class`, as
 * Jenkins renders it. Unknown fields are simply absent. Pure.
 */
#ifndef TP_HTTP_TREE_H
#define TP_HTTP_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct tp_arena;
struct tp_tree;

struct tp_tree_field {
    const char *name;    /* "*" for every field */
    struct tp_tree *sub; /* NULL when none */
    bool ranged;
    int64_t from, to; /* the range: [from, to), to -1 for open */
};

struct tp_tree {
    struct tp_tree_field *fields;
    size_t count;
};

enum {
    TP_TREE_MAX_LEN = 4096, /* characters of a tree expression */
    TP_TREE_MAX_DEPTH = 16  /* nested brackets */
};

/*
 * Parses a tree expression (already percent-decoded) into `*out`, in `arena`.
 * Returns 0, or TP_EINVAL for a malformed or over-long expression (Jenkins answers 400).
 */
int tp_tree_parse(const char *text, struct tp_arena *arena, struct tp_tree **out);
/* The field of `tree` that selects `name` (by name, or `*`), or NULL. */
const struct tp_tree_field *tp_tree_find(const struct tp_tree *tree, const char *name);
/* Whether `tree` names `name` itself (not through `*`): fields shown only when asked for. */
bool tp_tree_names(const struct tp_tree *tree, const char *name);
/* Prunes `value` (an object, or an array of them) in place to what `tree` selects. */
void tp_tree_apply(cJSON *value, const struct tp_tree *tree);

#endif
