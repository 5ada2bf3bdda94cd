/* SPDX-License-Identifier: MIT */
#include "http/tree.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/mem.h"

struct parser {
    const char *p;
    struct tp_arena *arena;
    int depth;
};

static bool name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '$' || c == '*' || c == '-' || c == '.';
}

static bool parse_number(struct parser *ps, int64_t *out)
{
    if (!isdigit((unsigned char)*ps->p))
        return false;
    int64_t v = 0;
    while (isdigit((unsigned char)*ps->p)) {
        if (v < 100000000)
            v = v * 10 + (*ps->p - '0');
        ps->p++;
    }
    *out = v;
    return true;
}

/* {M,N} {M,} {,N} {N} */
static int parse_range(struct parser *ps, struct tp_tree_field *f)
{
    ps->p++; /* '{' */
    f->ranged = true;
    f->from = 0;
    f->to = -1;
    bool has_from = parse_number(ps, &f->from);
    if (*ps->p == ',') {
        ps->p++;
        parse_number(ps, &f->to);
    } else if (has_from) {
        f->to = f->from + 1;
    } else {
        return TP_EINVAL;
    }
    if (*ps->p != '}')
        return TP_EINVAL;
    ps->p++;
    return 0;
}

static int parse_list(struct parser *ps, struct tp_tree **out, char close)
{
    if (++ps->depth > TP_TREE_MAX_DEPTH)
        return TP_EINVAL;
    struct tp_tree *t = tp_arena_alloc(ps->arena, sizeof(*t));
    size_t cap = 0;
    for (;;) {
        const char *start = ps->p;
        while (name_char(*ps->p))
            ps->p++;
        if (ps->p == start) {
            /* an empty list item: "a,,b" and a trailing comma are tolerated */
            if (*ps->p == ',') {
                ps->p++;
                continue;
            }
            break;
        }
        t->fields = tp_arena_grow(ps->arena, t->fields, t->count, &cap, sizeof(*t->fields));
        struct tp_tree_field *f = &t->fields[t->count++];
        memset(f, 0, sizeof(*f));
        f->name = tp_arena_strndup(ps->arena, start, (size_t)(ps->p - start));
        if (*ps->p == '[') {
            ps->p++;
            int err = parse_list(ps, &f->sub, ']');
            if (err < 0)
                return err;
        }
        if (*ps->p == '{') {
            int err = parse_range(ps, f);
            if (err < 0)
                return err;
        }
        if (*ps->p != ',')
            break;
        ps->p++;
    }
    if (close != '\0') {
        if (*ps->p != close)
            return TP_EINVAL;
        ps->p++;
    }
    ps->depth--;
    *out = t;
    return 0;
}

int tp_tree_parse(const char *text, struct tp_arena *arena, struct tp_tree **out)
{
    if (strlen(text) > TP_TREE_MAX_LEN)
        return TP_EINVAL;
    struct parser ps = { .p = text, .arena = arena };
    int err = parse_list(&ps, out, '\0');
    if (err == 0 && *ps.p == '{') { /* a range after the whole list applies to nothing */
        struct tp_tree_field ignored;
        err = parse_range(&ps, &ignored);
    }
    if (err == 0 && *ps.p != '\0')
        err = TP_EINVAL;
    return err;
}

const struct tp_tree_field *tp_tree_find(const struct tp_tree *tree, const char *name)
{
    const struct tp_tree_field *star = NULL;
    for (size_t i = 0; tree != NULL && i < tree->count; i++) {
        if (strcmp(tree->fields[i].name, name) == 0)
            return &tree->fields[i];
        if (strcmp(tree->fields[i].name, "*") == 0)
            star = &tree->fields[i];
    }
    return star;
}

bool tp_tree_names(const struct tp_tree *tree, const char *name)
{
    for (size_t i = 0; tree != NULL && i < tree->count; i++) {
        if (strcmp(tree->fields[i].name, name) == 0)
            return true;
    }
    return false;
}

/* An object reduced to its _class (what a field without a sub-list shows of an object). */
static void only_class(cJSON *obj)
{
    cJSON *item = obj->child;
    while (item != NULL) {
        cJSON *next = item->next;
        if (strcmp(item->string, "_class") != 0)
            cJSON_Delete(cJSON_DetachItemViaPointer(obj, item));
        item = next;
    }
}

static void slice(cJSON *array, int64_t from, int64_t to)
{
    int n = cJSON_GetArraySize(array);
    int64_t end = to < 0 || to > n ? n : to;
    for (int64_t i = n - 1; i >= 0; i--) {
        if (i < from || i >= end)
            cJSON_DeleteItemFromArray(array, (int)i);
    }
}

static void apply_field(cJSON *value, const struct tp_tree_field *f)
{
    if (cJSON_IsArray(value)) {
        if (f->ranged)
            slice(value, f->from, f->to);
        cJSON *item;
        cJSON_ArrayForEach(item, value)
        {
            if (f->sub != NULL)
                tp_tree_apply(item, f->sub);
            else if (cJSON_IsObject(item))
                only_class(item);
        }
        return;
    }
    if (!cJSON_IsObject(value))
        return;
    if (f->sub != NULL)
        tp_tree_apply(value, f->sub);
    else
        only_class(value);
}

void tp_tree_apply(cJSON *value, const struct tp_tree *tree)
{
    if (cJSON_IsArray(value)) {
        cJSON *item;
        cJSON_ArrayForEach(item, value) tp_tree_apply(item, tree);
        return;
    }
    if (!cJSON_IsObject(value))
        return;
    cJSON *item = value->child;
    while (item != NULL) {
        cJSON *next = item->next;
        const struct tp_tree_field *f = tp_tree_find(tree, item->string);
        if (f == NULL && strcmp(item->string, "_class") != 0)
            cJSON_Delete(cJSON_DetachItemViaPointer(value, item));
        else if (f != NULL)
            apply_field(item, f);
        item = next;
    }
}
