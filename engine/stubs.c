/* SPDX-License-Identifier: MIT */
#include "engine/stubs.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"
#include "common/str.h"

void tp_stubs_close(struct tp_stubs *stubs)
{
    for (size_t i = 0; i < stubs->count; i++) {
        free(stubs->items[i].name);
        free(stubs->items[i].command);
    }
    free(stubs->items);
    stubs->items = NULL;
    stubs->count = 0;
}

int tp_stubs_parse(const char *text, struct tp_stubs *out, struct tp_buf *error)
{
    out->items = NULL;
    out->count = 0;
    char *copy = tp_xstrdup(text), *cursor = copy, *s;
    for (int line = 1; (s = tp_str_next_line(&cursor)) != NULL; line++) {
        if (*s == '\0' || *s == '#')
            continue;
        size_t name_len = strcspn(s, " \t");
        char *what = s + name_len;
        while (isspace((unsigned char)*what))
            what++;
        s[name_len] = '\0';
        struct tp_stub stub = { .name = NULL };
        if (!tp_str_is_identifier(s))
            tp_buf_printf(error, "line %d: '%s' is not a step name", line, s);
        else if (strcmp(what, "noop") == 0)
            stub.kind = TP_STUB_NOOP;
        else if (strcmp(what, "fail") == 0)
            stub.kind = TP_STUB_FAIL;
        else if (strncmp(what, "shell:", 6) == 0 && what[6] != '\0')
            stub.kind = TP_STUB_SHELL;
        else
            tp_buf_printf(error, "line %d: expected noop, shell:<command> or fail after %s", line,
                          s);
        if (error->len == 0 && tp_stubs_find(out, s) != NULL)
            tp_buf_printf(error, "line %d: %s is stubbed twice", line, s);
        if (error->len == 0 && out->count >= TP_STUBS_MAX)
            tp_buf_printf(error, "line %d: more than %d stubs", line, TP_STUBS_MAX);
        if (error->len > 0) {
            free(copy);
            tp_stubs_close(out);
            return TP_EINVAL;
        }
        stub.name = tp_xstrdup(s);
        stub.command = stub.kind == TP_STUB_SHELL ? tp_xstrdup(what + 6) : NULL;
        out->items = tp_xrealloc(out->items, (out->count + 1) * sizeof(*out->items));
        out->items[out->count++] = stub;
    }
    free(copy);
    return 0;
}

const struct tp_stub *tp_stubs_find(const struct tp_stubs *stubs, const char *name)
{
    for (size_t i = 0; stubs != NULL && i < stubs->count; i++) {
        if (strcmp(stubs->items[i].name, name) == 0)
            return &stubs->items[i];
    }
    return NULL;
}
