/* SPDX-License-Identifier: MIT */
#include "engine/groovy.h"

#include <ctype.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "common/buf.h"
#include "common/mem.h"
#include "common/str.h"

/*
 * Control flow inside the interpreter: the public statuses, plus the three that unwind to a
 * loop or a method (they never leave tp_groovy_run).
 */
enum {
    FLOW_RETURN = 16,
    FLOW_BREAK,
    FLOW_CONTINUE
};

#define OK    TP_GROOVY_OK
#define THROW TP_GROOVY_THROW

struct var {
    const char *name;
    struct tp_gv value;
};

/* A local scope. Lookups walk outwards up to a method's scope (a method does not see its
 * caller's locals); a closure keeps the scope it was written in. */
struct scope {
    struct scope *parent;
    struct var *vars;
    size_t count, cap;
    bool method;
};

struct tp_gclosure {
    const struct tp_closure *ast; /* NULL for a method reference */
    const struct tp_stmt *method;
    struct scope *scope;
};

/* --- allocation and limits --- */

static void *g_alloc(struct tp_groovy *g, size_t size)
{
    g->bytes += size;
    return tp_arena_alloc(g->arena, size);
}

static void *g_grow(struct tp_groovy *g, void *items, size_t count, size_t *cap, size_t size)
{
    if (count >= *cap)
        g->bytes += (*cap ? *cap : 4) * 2 * size;
    return tp_arena_grow(g->arena, items, count, cap, size);
}

/* Counts one operation; false (and a fatal exception thrown) past a limit. */
static bool tick(struct tp_groovy *g)
{
    if (++g->ops <= TP_GROOVY_MAX_OPS && g->bytes <= TP_GROOVY_MAX_BYTES)
        return true;
    tp_groovy_throw(g, "tidepool.ScriptLimitException",
                    g->bytes > TP_GROOVY_MAX_BYTES
                        ? "the script allocated more than %d MiB"
                        : "the script ran more than %d million operations (an endless loop?)",
                    g->bytes > TP_GROOVY_MAX_BYTES ? TP_GROOVY_MAX_BYTES >> 20
                                                   : TP_GROOVY_MAX_OPS / 1000000);
    g->exc->fatal = true;
    return false;
}

static bool enter(struct tp_groovy *g)
{
    if (g->depth < TP_GROOVY_MAX_DEPTH) {
        g->depth++;
        return true;
    }
    tp_groovy_throw(g, "java.lang.StackOverflowError", NULL);
    g->exc->fatal = true;
    return false;
}

/* --- values --- */

struct tp_gv tp_gv_null(void)
{
    return (struct tp_gv){ .kind = TP_GV_NULL };
}

struct tp_gv tp_gv_bool(bool b)
{
    return (struct tp_gv){ .kind = TP_GV_BOOL, .u.b = b };
}

struct tp_gv tp_gv_int(int64_t i)
{
    return (struct tp_gv){ .kind = TP_GV_INT, .u.i = i };
}

static struct tp_gv gv_float(double f)
{
    return (struct tp_gv){ .kind = TP_GV_FLOAT, .u.f = f };
}

struct tp_gv tp_gv_str(struct tp_groovy *g, const char *s, size_t len)
{
    if (len > TP_GROOVY_MAX_STRING)
        len = TP_GROOVY_MAX_STRING; /* callers check the bound first; never grow past it */
    g->bytes += len + 1;
    return (struct tp_gv){ .kind = TP_GV_STRING,
                           .len = (uint32_t)len,
                           .u.s = tp_arena_strndup(g->arena, s, len) };
}

struct tp_gv tp_gv_cstr(struct tp_groovy *g, const char *s)
{
    return tp_gv_str(g, s, strlen(s));
}

/* A string value that takes a buffer's bytes (copied; the buffer is the caller's). */
static struct tp_gv gv_buf(struct tp_groovy *g, const struct tp_buf *b)
{
    return tp_gv_str(g, b->len ? b->data : "", b->len);
}

struct tp_gv tp_gv_list(struct tp_groovy *g)
{
    struct tp_gv v = { .kind = TP_GV_LIST };
    v.u.list = g_alloc(g, sizeof(*v.u.list));
    return v;
}

struct tp_gv tp_gv_map(struct tp_groovy *g)
{
    struct tp_gv v = { .kind = TP_GV_MAP };
    v.u.map = g_alloc(g, sizeof(*v.u.map));
    return v;
}

struct tp_gv tp_gv_object(struct tp_groovy *g, int type, const char *class_name, const void *data)
{
    struct tp_gv v = { .kind = TP_GV_OBJECT };
    v.u.obj = g_alloc(g, sizeof(*v.u.obj));
    *v.u.obj = (struct tp_gobj){ .type = type, .class_name = class_name, .data = data };
    return v;
}

void tp_glist_push(struct tp_groovy *g, struct tp_glist *list, struct tp_gv v)
{
    if (list->count >= TP_GROOVY_MAX_LIST) {
        g->bytes = TP_GROOVY_MAX_BYTES + 1; /* the next tick() ends the pass */
        return;
    }
    list->items = g_grow(g, list->items, list->count, &list->cap, sizeof(*list->items));
    list->items[list->count++] = v;
}

static ssize_t map_find(const struct tp_gmap *map, struct tp_gv key)
{
    for (size_t i = 0; i < map->count; i++) {
        if (tp_gv_equals(map->keys[i], key))
            return (ssize_t)i;
    }
    return -1;
}

void tp_gmap_put(struct tp_groovy *g, struct tp_gmap *map, struct tp_gv key, struct tp_gv value)
{
    ssize_t i = map_find(map, key);
    if (i >= 0) {
        map->values[i] = value;
        return;
    }
    if (map->count >= TP_GROOVY_MAX_LIST) {
        g->bytes = TP_GROOVY_MAX_BYTES + 1;
        return;
    }
    size_t cap = map->cap;
    map->keys = g_grow(g, map->keys, map->count, &cap, sizeof(*map->keys));
    map->values = g_grow(g, map->values, map->count, &map->cap, sizeof(*map->values));
    map->keys[map->count] = key;
    map->values[map->count++] = value;
}

const struct tp_gv *tp_gmap_get(const struct tp_gmap *map, struct tp_gv key)
{
    ssize_t i = map_find(map, key);
    return i >= 0 ? &map->values[i] : NULL;
}

const struct tp_gv *tp_gmap_get_str(const struct tp_gmap *map, const char *key)
{
    for (size_t i = 0; i < map->count; i++) {
        if (map->keys[i].kind == TP_GV_STRING && strcmp(map->keys[i].u.s, key) == 0)
            return &map->values[i];
    }
    return NULL;
}

static void map_remove(struct tp_gmap *map, size_t i)
{
    memmove(&map->keys[i], &map->keys[i + 1], (map->count - i - 1) * sizeof(*map->keys));
    memmove(&map->values[i], &map->values[i + 1], (map->count - i - 1) * sizeof(*map->values));
    map->count--;
}

static bool is_number(struct tp_gv v)
{
    return v.kind == TP_GV_INT || v.kind == TP_GV_FLOAT;
}

static double as_double(struct tp_gv v)
{
    return v.kind == TP_GV_INT ? (double)v.u.i : v.u.f;
}

bool tp_gv_truth(struct tp_gv v)
{
    switch (v.kind) {
    case TP_GV_NULL:
        return false;
    case TP_GV_BOOL:
        return v.u.b;
    case TP_GV_INT:
        return v.u.i != 0;
    case TP_GV_FLOAT:
        return v.u.f != 0;
    case TP_GV_STRING:
        return v.len > 0;
    case TP_GV_LIST:
        return v.u.list->count > 0;
    case TP_GV_MAP:
        return v.u.map->count > 0;
    default:
        return true;
    }
}

bool tp_gv_equals(struct tp_gv a, struct tp_gv b)
{
    if (is_number(a) && is_number(b)) {
        if (a.kind == TP_GV_INT && b.kind == TP_GV_INT)
            return a.u.i == b.u.i;
        return as_double(a) == as_double(b);
    }
    if (a.kind != b.kind)
        return false;
    switch (a.kind) {
    case TP_GV_NULL:
        return true;
    case TP_GV_BOOL:
        return a.u.b == b.u.b;
    case TP_GV_STRING:
        return a.len == b.len && memcmp(a.u.s, b.u.s, a.len) == 0;
    case TP_GV_LIST:
        if (a.u.list->count != b.u.list->count)
            return false;
        for (size_t i = 0; i < a.u.list->count; i++) {
            if (!tp_gv_equals(a.u.list->items[i], b.u.list->items[i]))
                return false;
        }
        return true;
    case TP_GV_MAP:
        if (a.u.map->count != b.u.map->count)
            return false;
        for (size_t i = 0; i < a.u.map->count; i++) {
            const struct tp_gv *other = tp_gmap_get(b.u.map, a.u.map->keys[i]);
            if (other == NULL || !tp_gv_equals(a.u.map->values[i], *other))
                return false;
        }
        return true;
    case TP_GV_CLOSURE:
        return a.u.closure == b.u.closure;
    case TP_GV_EXCEPTION:
        return a.u.exc == b.u.exc;
    case TP_GV_OBJECT:
        return a.u.obj->type == b.u.obj->type && a.u.obj->data == b.u.obj->data;
    default:
        return false;
    }
}

const char *tp_gv_class(struct tp_gv v)
{
    switch (v.kind) {
    case TP_GV_NULL:
        return "null";
    case TP_GV_BOOL:
        return "java.lang.Boolean";
    case TP_GV_INT:
        return "java.lang.Integer";
    case TP_GV_FLOAT:
        return "java.math.BigDecimal";
    case TP_GV_STRING:
        return "java.lang.String";
    case TP_GV_LIST:
        return "java.util.ArrayList";
    case TP_GV_MAP:
        return "java.util.LinkedHashMap";
    case TP_GV_CLOSURE:
        return "org.jenkinsci.plugins.workflow.cps.CpsClosure2";
    case TP_GV_EXCEPTION:
        return v.u.exc->class_name;
    case TP_GV_OBJECT:
        return v.u.obj->class_name;
    }
    return "java.lang.Object";
}

static void format_double(double f, struct tp_buf *out)
{
    char text[64];
    if (f == floor(f) && fabs(f) < 1e15) {
        snprintf(text, sizeof(text), "%.1f", f);
        /* BigDecimal keeps its scale: 2.0 stays "2.0", but 4/2 is 2 (an integer here). */
    } else {
        snprintf(text, sizeof(text), "%.15g", f);
    }
    tp_buf_puts(out, text);
}

static void exception_string(const struct tp_gexc *e, struct tp_buf *out)
{
    tp_buf_puts(out, e->class_name);
    if (e->message != NULL)
        tp_buf_printf(out, ": %s", e->message);
}

void tp_gv_to_string(struct tp_gv v, struct tp_buf *out)
{
    switch (v.kind) {
    case TP_GV_NULL:
        tp_buf_puts(out, "null");
        return;
    case TP_GV_BOOL:
        tp_buf_puts(out, v.u.b ? "true" : "false");
        return;
    case TP_GV_INT:
        tp_buf_printf(out, "%lld", (long long)v.u.i);
        return;
    case TP_GV_FLOAT:
        format_double(v.u.f, out);
        return;
    case TP_GV_STRING:
        tp_buf_append(out, v.u.s, v.len);
        return;
    case TP_GV_LIST:
        tp_buf_putc(out, '[');
        for (size_t i = 0; i < v.u.list->count && out->len <= TP_GROOVY_MAX_STRING; i++) {
            if (i > 0)
                tp_buf_puts(out, ", ");
            tp_gv_to_string(v.u.list->items[i], out);
        }
        tp_buf_putc(out, ']');
        return;
    case TP_GV_MAP:
        tp_buf_putc(out, '[');
        if (v.u.map->count == 0)
            tp_buf_putc(out, ':');
        for (size_t i = 0; i < v.u.map->count && out->len <= TP_GROOVY_MAX_STRING; i++) {
            if (i > 0)
                tp_buf_puts(out, ", ");
            tp_gv_to_string(v.u.map->keys[i], out);
            tp_buf_putc(out, ':');
            tp_gv_to_string(v.u.map->values[i], out);
        }
        tp_buf_putc(out, ']');
        return;
    case TP_GV_CLOSURE:
        tp_buf_printf(out, "%s@%p", tp_gv_class(v), (void *)v.u.closure);
        return;
    case TP_GV_EXCEPTION:
        exception_string(v.u.exc, out);
        return;
    case TP_GV_OBJECT:
        tp_buf_puts(out, v.u.obj->class_name);
        return;
    }
}

struct tp_gv tp_gv_copy(struct tp_arena *arena, struct tp_gv v)
{
    struct tp_gv c = v;
    switch (v.kind) {
    case TP_GV_STRING:
        c.u.s = tp_arena_strndup(arena, v.u.s, v.len);
        return c;
    case TP_GV_LIST:
        c.u.list = tp_arena_alloc(arena, sizeof(*c.u.list));
        c.u.list->cap = c.u.list->count = v.u.list->count;
        c.u.list->items = tp_arena_alloc(arena, (v.u.list->count + 1) * sizeof(struct tp_gv));
        for (size_t i = 0; i < v.u.list->count; i++)
            c.u.list->items[i] = tp_gv_copy(arena, v.u.list->items[i]);
        return c;
    case TP_GV_MAP:
        c.u.map = tp_arena_alloc(arena, sizeof(*c.u.map));
        c.u.map->cap = c.u.map->count = v.u.map->count;
        c.u.map->keys = tp_arena_alloc(arena, (v.u.map->count + 1) * sizeof(struct tp_gv));
        c.u.map->values = tp_arena_alloc(arena, (v.u.map->count + 1) * sizeof(struct tp_gv));
        for (size_t i = 0; i < v.u.map->count; i++) {
            c.u.map->keys[i] = tp_gv_copy(arena, v.u.map->keys[i]);
            c.u.map->values[i] = tp_gv_copy(arena, v.u.map->values[i]);
        }
        return c;
    case TP_GV_EXCEPTION:
        c.u.exc = tp_arena_alloc(arena, sizeof(*c.u.exc));
        *c.u.exc = *v.u.exc;
        c.u.exc->class_name = tp_arena_strdup(arena, v.u.exc->class_name);
        c.u.exc->message = v.u.exc->message ? tp_arena_strdup(arena, v.u.exc->message) : NULL;
        return c;
    case TP_GV_CLOSURE:
        /* A closure holds the scopes of the pass that made it; it does not outlive it. */
        return tp_gv_null();
    case TP_GV_OBJECT:
        c.u.obj = tp_arena_alloc(arena, sizeof(*c.u.obj));
        *c.u.obj = *v.u.obj;
        return c;
    default:
        return c;
    }
}

/* --- exceptions --- */

int tp_groovy_throw(struct tp_groovy *g, const char *class_name, const char *fmt, ...)
{
    struct tp_gexc *e = g_alloc(g, sizeof(*e));
    e->class_name = tp_arena_strdup(g->arena, class_name);
    if (fmt != NULL) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n >= 0) {
            char *text = g_alloc(g, (size_t)n + 1);
            va_start(ap, fmt);
            vsnprintf(text, (size_t)n + 1, fmt, ap);
            va_end(ap);
            e->message = text;
        }
    }
    g->exc = e;
    return THROW;
}

int tp_groovy_rethrow(struct tp_groovy *g, const struct tp_gexc *exc)
{
    struct tp_gv v = { .kind = TP_GV_EXCEPTION, .u.exc = (struct tp_gexc *)exc };
    g->exc = tp_gv_copy(g->arena, v).u.exc;
    return THROW;
}

const struct tp_gexc *tp_groovy_exception(const struct tp_groovy *g)
{
    return g->exc;
}

static int null_pointer(struct tp_groovy *g, const char *what, const char *name)
{
    if (strcmp(what, "invoke method") == 0)
        return tp_groovy_throw(g, "java.lang.NullPointerException",
                               "Cannot invoke method %s() on null object", name);
    return tp_groovy_throw(g, "java.lang.NullPointerException", "Cannot %s '%s' on null object",
                           what, name);
}

static int no_method(struct tp_groovy *g, struct tp_gv self, const char *name, size_t nargs)
{
    return tp_groovy_throw(g, "groovy.lang.MissingMethodException",
                           "No signature of method: %s.%s() is applicable for %zu argument(s)",
                           tp_gv_class(self), name, nargs);
}

static int no_property(struct tp_groovy *g, const char *name, const char *class_name)
{
    return tp_groovy_throw(g, "groovy.lang.MissingPropertyException",
                           "No such property: %s for class: %s", name, class_name);
}

/* --- scopes --- */

static struct scope *scope_new(struct tp_groovy *g, struct scope *parent, bool method)
{
    struct scope *s = g_alloc(g, sizeof(*s));
    s->parent = parent;
    s->method = method;
    return s;
}

static struct var *scope_find(struct scope *s, const char *name)
{
    for (; s != NULL; s = s->parent) {
        for (size_t i = s->count; i-- > 0;) {
            if (strcmp(s->vars[i].name, name) == 0)
                return &s->vars[i];
        }
        if (s->method)
            break;
    }
    return NULL;
}

static void scope_declare(struct tp_groovy *g, struct scope *s, const char *name, struct tp_gv v)
{
    for (size_t i = 0; i < s->count; i++) {
        if (strcmp(s->vars[i].name, name) == 0) {
            s->vars[i].value = v;
            return;
        }
    }
    s->vars = g_grow(g, s->vars, s->count, &s->cap, sizeof(*s->vars));
    s->vars[s->count++] = (struct var){ .name = name, .value = v };
}

/* --- regular expressions (Java's syntax, as far as POSIX extended can follow) --- */

static void translate_regex(const char *re, struct tp_buf *out)
{
    for (const char *p = re; *p; p++) {
        if (p[0] == '\\' && p[1] != '\0') {
            p++;
            switch (*p) {
            case 'd':
                tp_buf_puts(out, "[0-9]");
                break;
            case 'D':
                tp_buf_puts(out, "[^0-9]");
                break;
            case 'w':
                tp_buf_puts(out, "[A-Za-z0-9_]");
                break;
            case 'W':
                tp_buf_puts(out, "[^A-Za-z0-9_]");
                break;
            case 's':
                tp_buf_puts(out, "[[:space:]]");
                break;
            case 'S':
                tp_buf_puts(out, "[^[:space:]]");
                break;
            case 'n':
                tp_buf_putc(out, '\n');
                break;
            case 't':
                tp_buf_putc(out, '\t');
                break;
            default:
                tp_buf_putc(out, '\\');
                tp_buf_putc(out, *p);
                break;
            }
        } else if (p[0] == '(' && p[1] == '?' && p[2] == ':') {
            tp_buf_putc(out, '('); /* non-capturing: captures here (groups shift) */
            p += 2;
        } else {
            tp_buf_putc(out, *p);
        }
    }
}

static int compile_regex(struct tp_groovy *g, const char *pattern, bool whole, regex_t *re)
{
    struct tp_buf text;
    tp_buf_init(&text);
    if (whole)
        tp_buf_puts(&text, "^(");
    translate_regex(pattern, &text);
    if (whole)
        tp_buf_puts(&text, ")$");
    int rc = regcomp(re, tp_buf_str(&text), REG_EXTENDED);
    tp_buf_close(&text);
    if (rc != 0)
        return tp_groovy_throw(g, "java.util.regex.PatternSyntaxException", "%s", pattern);
    return OK;
}

/* ==~ : the whole string matches. */
static int regex_matches(struct tp_groovy *g, const char *s, const char *pattern, bool *out)
{
    regex_t re;
    if (compile_regex(g, pattern, true, &re) != OK)
        return THROW;
    *out = regexec(&re, s, 0, NULL, 0) == 0;
    regfree(&re);
    return OK;
}

/* =~ : every match, each the matched text, or [text, group1, ...] when there are groups. */
static int regex_find(struct tp_groovy *g, const char *s, const char *pattern, struct tp_gv *out)
{
    regex_t re;
    if (compile_regex(g, pattern, false, &re) != OK)
        return THROW;
    *out = tp_gv_list(g);
    regmatch_t m[10];
    size_t groups = re.re_nsub < 9 ? re.re_nsub : 9;
    const char *p = s;
    int flags = 0;
    while (*p != '\0' || p == s) {
        if (regexec(&re, p, groups + 1, m, flags) != 0)
            break;
        struct tp_gv whole = tp_gv_str(g, p + m[0].rm_so, (size_t)(m[0].rm_eo - m[0].rm_so));
        if (groups == 0) {
            tp_glist_push(g, out->u.list, whole);
        } else {
            struct tp_gv match = tp_gv_list(g);
            tp_glist_push(g, match.u.list, whole);
            for (size_t i = 1; i <= groups; i++) {
                tp_glist_push(g, match.u.list,
                              m[i].rm_so < 0 ? tp_gv_null()
                                             : tp_gv_str(g, p + m[i].rm_so,
                                                         (size_t)(m[i].rm_eo - m[i].rm_so)));
            }
            tp_glist_push(g, out->u.list, match);
        }
        p += m[0].rm_eo > m[0].rm_so ? m[0].rm_eo : m[0].rm_eo + 1;
        flags = REG_NOTBOL;
        if (p > s + strlen(s) || !tick(g))
            break;
    }
    regfree(&re);
    return g->exc != NULL && g->exc->fatal ? THROW : OK;
}

/* Replaces every match of `pattern` (or the first) with `with` ($1.. group references). */
static int regex_replace(struct tp_groovy *g, const char *s, const char *pattern, const char *with,
                         bool all, struct tp_gv *out)
{
    regex_t re;
    if (compile_regex(g, pattern, false, &re) != OK)
        return THROW;
    struct tp_buf text;
    tp_buf_init(&text);
    regmatch_t m[10];
    const char *p = s;
    int flags = 0;
    while (regexec(&re, p, 10, m, flags) == 0 && text.len < TP_GROOVY_MAX_STRING) {
        tp_buf_append(&text, p, (size_t)m[0].rm_so);
        for (const char *w = with; *w; w++) {
            if (*w == '$' && isdigit((unsigned char)w[1])) {
                int n = *++w - '0';
                if (m[n].rm_so >= 0)
                    tp_buf_append(&text, p + m[n].rm_so, (size_t)(m[n].rm_eo - m[n].rm_so));
            } else if (*w == '\\' && w[1] != '\0') {
                tp_buf_putc(&text, *++w);
            } else {
                tp_buf_putc(&text, *w);
            }
        }
        if (m[0].rm_eo == m[0].rm_so) {
            if (p[m[0].rm_eo] == '\0') {
                p += m[0].rm_eo;
                break;
            }
            tp_buf_putc(&text, p[m[0].rm_eo]);
            p += m[0].rm_eo + 1;
        } else {
            p += m[0].rm_eo;
        }
        flags = REG_NOTBOL;
        if (!all)
            break;
    }
    tp_buf_puts(&text, p);
    regfree(&re);
    *out = gv_buf(g, &text);
    tp_buf_close(&text);
    return OK;
}

/* --- evaluation --- */

static int eval(struct tp_groovy *g, struct scope *s, const struct tp_expr *e, struct tp_gv *out);
static int exec_block(struct tp_groovy *g, struct scope *s, const struct tp_block *b,
                      struct tp_gv *last);
static int call_closure(struct tp_groovy *g, struct tp_gv c, const struct tp_gv *args, size_t nargs,
                        struct tp_gv *out);

static int to_string(struct tp_groovy *g, struct tp_gv v, struct tp_gv *out)
{
    if (v.kind == TP_GV_STRING) {
        *out = v;
        return OK;
    }
    struct tp_buf text;
    tp_buf_init(&text);
    tp_gv_to_string(v, &text);
    *out = gv_buf(g, &text);
    tp_buf_close(&text);
    return OK;
}

static int eval_gstring(struct tp_groovy *g, struct scope *s, const struct tp_expr *e,
                        struct tp_gv *out)
{
    struct tp_buf text;
    tp_buf_init(&text);
    int rc = OK;
    for (size_t i = 0; i < e->args.count && rc == OK; i++) {
        struct tp_gv part;
        rc = eval(g, s, e->args.items[i], &part);
        if (rc == OK)
            tp_gv_to_string(part, &text);
        if (text.len > TP_GROOVY_MAX_STRING)
            rc = tp_groovy_throw(g, "java.lang.OutOfMemoryError", "string too long");
    }
    if (rc == OK)
        *out = gv_buf(g, &text);
    tp_buf_close(&text);
    return rc;
}

static int lookup_name(struct tp_groovy *g, struct scope *s, const char *name, struct tp_gv *out)
{
    struct var *v = scope_find(s, name);
    if (v != NULL) {
        *out = v->value;
        return OK;
    }
    const struct tp_gv *b = tp_gmap_get_str(g->binding, name);
    if (b != NULL) {
        *out = *b;
        return OK;
    }
    if (g->host != NULL && g->host->lookup != NULL && g->host->lookup(g->host->ctx, g, name, out))
        return OK;
    if (strcmp(name, "binding") == 0) { /* binding.hasVariable('x'): the binding as a map */
        *out = (struct tp_gv){ .kind = TP_GV_MAP, .u.map = g->binding };
        return OK;
    }
    /* A script method named without a call is a method reference. */
    for (size_t i = 0; g->script != NULL && i < g->script->count; i++) {
        const struct tp_stmt *m = g->script->items[i];
        if (m->kind == TP_STMT_METHOD && strcmp(m->name, name) == 0) {
            out->kind = TP_GV_CLOSURE;
            out->u.closure = g_alloc(g, sizeof(*out->u.closure));
            out->u.closure->method = m;
            return OK;
        }
    }
    return no_property(g, name, "groovy.lang.Binding");
}

static int get_index(struct tp_groovy *g, struct tp_gv base, struct tp_gv index, struct tp_gv *out)
{
    switch (base.kind) {
    case TP_GV_NULL:
        return null_pointer(g, "get property", "getAt");
    case TP_GV_LIST:
    case TP_GV_STRING: {
        int64_t n = base.kind == TP_GV_LIST ? (int64_t)base.u.list->count : (int64_t)base.len;
        if (index.kind != TP_GV_INT)
            return no_method(g, base, "getAt", 1);
        int64_t i = index.u.i < 0 ? n + index.u.i : index.u.i;
        if (base.kind == TP_GV_LIST) {
            *out = i >= 0 && i < n ? base.u.list->items[i] : tp_gv_null();
            return OK;
        }
        if (i < 0 || i >= n)
            return tp_groovy_throw(g, "java.lang.StringIndexOutOfBoundsException",
                                   "index %lld, length %lld", (long long)index.u.i, (long long)n);
        *out = tp_gv_str(g, base.u.s + i, 1);
        return OK;
    }
    case TP_GV_MAP: {
        const struct tp_gv *v = tp_gmap_get(base.u.map, index);
        *out = v != NULL ? *v : tp_gv_null();
        return OK;
    }
    case TP_GV_OBJECT:
        if (index.kind == TP_GV_STRING && g->host != NULL && g->host->get != NULL)
            return g->host->get(g->host->ctx, g, base.u.obj, index.u.s, out);
        return no_method(g, base, "getAt", 1);
    default:
        return no_method(g, base, "getAt", 1);
    }
}

static int get_property(struct tp_groovy *g, struct tp_gv base, const char *name, struct tp_gv *out)
{
    switch (base.kind) {
    case TP_GV_NULL:
        return null_pointer(g, "get property", name);
    case TP_GV_MAP: {
        const struct tp_gv *v = tp_gmap_get_str(base.u.map, name);
        *out = v != NULL ? *v : tp_gv_null();
        return OK;
    }
    case TP_GV_OBJECT:
        if (g->host != NULL && g->host->get != NULL)
            return g->host->get(g->host->ctx, g, base.u.obj, name, out);
        return no_property(g, name, base.u.obj->class_name);
    case TP_GV_EXCEPTION:
        if (strcmp(name, "message") == 0 || strcmp(name, "localizedMessage") == 0) {
            *out = base.u.exc->message ? tp_gv_cstr(g, base.u.exc->message) : tp_gv_null();
            return OK;
        }
        if (strcmp(name, "cause") == 0) {
            *out = tp_gv_null();
            return OK;
        }
        break;
    case TP_GV_LIST: {
        /* list.name spreads over the items: [a, b]*.name */
        struct tp_gv r = tp_gv_list(g);
        for (size_t i = 0; i < base.u.list->count; i++) {
            struct tp_gv item;
            if (get_property(g, base.u.list->items[i], name, &item) != OK)
                return THROW;
            tp_glist_push(g, r.u.list, item);
        }
        *out = r;
        return OK;
    }
    default:
        break;
    }
    if (strcmp(name, "class") == 0) {
        *out = tp_gv_cstr(g, tp_gv_class(base));
        return OK;
    }
    return no_property(g, name, tp_gv_class(base));
}

/* --- arithmetic and comparison --- */

static int compare(struct tp_groovy *g, struct tp_gv a, struct tp_gv b, int *out)
{
    if (is_number(a) && is_number(b)) {
        double x = as_double(a), y = as_double(b);
        if (a.kind == TP_GV_INT && b.kind == TP_GV_INT)
            *out = a.u.i < b.u.i ? -1 : a.u.i > b.u.i;
        else
            *out = x < y ? -1 : x > y;
        return OK;
    }
    if (a.kind == TP_GV_STRING && b.kind == TP_GV_STRING) {
        int c = strcmp(a.u.s, b.u.s);
        *out = c < 0 ? -1 : c > 0;
        return OK;
    }
    if (a.kind == TP_GV_NULL || b.kind == TP_GV_NULL) {
        *out = a.kind == TP_GV_NULL ? (b.kind == TP_GV_NULL ? 0 : -1) : 1;
        return OK;
    }
    if (a.kind == TP_GV_BOOL && b.kind == TP_GV_BOOL) {
        *out = (int)a.u.b - (int)b.u.b;
        return OK;
    }
    return tp_groovy_throw(g, "java.lang.IllegalArgumentException", "Cannot compare %s with %s",
                           tp_gv_class(a), tp_gv_class(b));
}

static struct tp_gv list_concat(struct tp_groovy *g, struct tp_gv a, struct tp_gv b)
{
    struct tp_gv r = tp_gv_list(g);
    for (size_t i = 0; i < a.u.list->count; i++)
        tp_glist_push(g, r.u.list, a.u.list->items[i]);
    if (b.kind == TP_GV_LIST) {
        for (size_t i = 0; i < b.u.list->count; i++)
            tp_glist_push(g, r.u.list, b.u.list->items[i]);
    } else {
        tp_glist_push(g, r.u.list, b);
    }
    return r;
}

static bool list_contains(const struct tp_glist *l, struct tp_gv v)
{
    for (size_t i = 0; i < l->count; i++) {
        if (tp_gv_equals(l->items[i], v))
            return true;
    }
    return false;
}

static int arith(struct tp_groovy *g, enum tp_tok_kind op, struct tp_gv a, struct tp_gv b,
                 struct tp_gv *out)
{
    if (op == TP_TOK_PLUS && (a.kind == TP_GV_STRING || b.kind == TP_GV_STRING)) {
        struct tp_buf text;
        tp_buf_init(&text);
        tp_gv_to_string(a, &text);
        tp_gv_to_string(b, &text);
        int rc = OK;
        if (text.len > TP_GROOVY_MAX_STRING)
            rc = tp_groovy_throw(g, "java.lang.OutOfMemoryError", "string too long");
        else
            *out = gv_buf(g, &text);
        tp_buf_close(&text);
        return rc;
    }
    if (a.kind == TP_GV_LIST && (op == TP_TOK_PLUS || op == TP_TOK_SHL)) {
        if (op == TP_TOK_SHL) {
            tp_glist_push(g, a.u.list, b);
            *out = a;
        } else {
            *out = list_concat(g, a, b);
        }
        return OK;
    }
    if (a.kind == TP_GV_LIST && op == TP_TOK_MINUS) {
        struct tp_gv r = tp_gv_list(g);
        for (size_t i = 0; i < a.u.list->count; i++) {
            struct tp_gv item = a.u.list->items[i];
            bool drop =
                b.kind == TP_GV_LIST ? list_contains(b.u.list, item) : tp_gv_equals(item, b);
            if (!drop)
                tp_glist_push(g, r.u.list, item);
        }
        *out = r;
        return OK;
    }
    if (a.kind == TP_GV_MAP && op == TP_TOK_PLUS && b.kind == TP_GV_MAP) {
        struct tp_gv r = tp_gv_map(g);
        for (size_t i = 0; i < a.u.map->count; i++)
            tp_gmap_put(g, r.u.map, a.u.map->keys[i], a.u.map->values[i]);
        for (size_t i = 0; i < b.u.map->count; i++)
            tp_gmap_put(g, r.u.map, b.u.map->keys[i], b.u.map->values[i]);
        *out = r;
        return OK;
    }
    if (a.kind == TP_GV_STRING && op == TP_TOK_MINUS) {
        struct tp_gv needle;
        to_string(g, b, &needle);
        const char *at = needle.len ? strstr(a.u.s, needle.u.s) : NULL;
        if (at == NULL) {
            *out = a;
            return OK;
        }
        struct tp_buf text;
        tp_buf_init(&text);
        tp_buf_append(&text, a.u.s, (size_t)(at - a.u.s));
        tp_buf_puts(&text, at + needle.len);
        *out = gv_buf(g, &text);
        tp_buf_close(&text);
        return OK;
    }
    if (a.kind == TP_GV_STRING && op == TP_TOK_STAR && b.kind == TP_GV_INT) {
        if (b.u.i < 0 || (uint64_t)b.u.i * a.len > TP_GROOVY_MAX_STRING)
            return tp_groovy_throw(g, "java.lang.OutOfMemoryError", "string too long");
        struct tp_buf text;
        tp_buf_init(&text);
        for (int64_t i = 0; i < b.u.i; i++)
            tp_buf_append(&text, a.u.s, a.len);
        *out = gv_buf(g, &text);
        tp_buf_close(&text);
        return OK;
    }
    if (!is_number(a) || !is_number(b)) {
        static const char *const names[] = {
            [TP_TOK_PLUS] = "plus", [TP_TOK_MINUS] = "minus", [TP_TOK_STAR] = "multiply",
            [TP_TOK_SLASH] = "div", [TP_TOK_PERCENT] = "mod", [TP_TOK_POWER] = "power"
        };
        const char *name = (size_t)op < sizeof(names) / sizeof(names[0]) && names[op] != NULL
                               ? names[op]
                               : "operator";
        if (a.kind == TP_GV_NULL)
            return null_pointer(g, "invoke method", name);
        return no_method(g, a, name, 1);
    }
    if (a.kind == TP_GV_INT && b.kind == TP_GV_INT) {
        int64_t x = a.u.i, y = b.u.i, r = 0;
        switch (op) {
        case TP_TOK_PLUS:
            if (__builtin_add_overflow(x, y, &r))
                goto as_float;
            break;
        case TP_TOK_MINUS:
            if (__builtin_sub_overflow(x, y, &r))
                goto as_float;
            break;
        case TP_TOK_STAR:
            if (__builtin_mul_overflow(x, y, &r))
                goto as_float;
            break;
        case TP_TOK_SLASH:
            if (y == 0)
                return tp_groovy_throw(g, "java.lang.ArithmeticException", "Division by zero");
            if (x % y != 0 || (x == INT64_MIN && y == -1))
                goto as_float;
            r = x / y;
            break;
        case TP_TOK_PERCENT:
            if (y == 0)
                return tp_groovy_throw(g, "java.lang.ArithmeticException", "/ by zero");
            r = y == -1 ? 0 : x % y;
            break;
        case TP_TOK_POWER:
            goto as_float;
        case TP_TOK_BITAND:
            r = x & y;
            break;
        case TP_TOK_BITOR:
            r = x | y;
            break;
        case TP_TOK_XOR:
            r = x ^ y;
            break;
        case TP_TOK_SHL:
            r = y >= 0 && y < 63 ? (int64_t)((uint64_t)x << y) : 0;
            break;
        case TP_TOK_SHR:
            r = y >= 0 && y < 63 ? x >> y : 0;
            break;
        default:
            goto as_float;
        }
        *out = tp_gv_int(r);
        return OK;
    }
as_float:;
    double x = as_double(a), y = as_double(b), r;
    switch (op) {
    case TP_TOK_PLUS:
        r = x + y;
        break;
    case TP_TOK_MINUS:
        r = x - y;
        break;
    case TP_TOK_STAR:
        r = x * y;
        break;
    case TP_TOK_SLASH:
        if (y == 0)
            return tp_groovy_throw(g, "java.lang.ArithmeticException", "Division by zero");
        r = x / y;
        break;
    case TP_TOK_PERCENT:
        r = fmod(x, y);
        break;
    case TP_TOK_POWER:
        r = pow(x, y);
        if (a.kind == TP_GV_INT && b.kind == TP_GV_INT && b.u.i >= 0 && fabs(r) < 9e18) {
            *out = tp_gv_int((int64_t)r);
            return OK;
        }
        break;
    default:
        return no_method(g, a, "operator", 1);
    }
    *out = gv_float(r);
    return OK;
}

static bool is_case(struct tp_gv pattern, struct tp_gv v)
{
    if (pattern.kind == TP_GV_LIST)
        return list_contains(pattern.u.list, v);
    return tp_gv_equals(pattern, v);
}

static bool member_of(struct tp_gv container, struct tp_gv v)
{
    switch (container.kind) {
    case TP_GV_LIST:
        return list_contains(container.u.list, v);
    case TP_GV_MAP:
        return tp_gmap_get(container.u.map, v) != NULL;
    case TP_GV_STRING:
        return v.kind == TP_GV_STRING && strstr(container.u.s, v.u.s) != NULL;
    default:
        return tp_gv_equals(container, v);
    }
}

static bool instance_of(struct tp_gv v, const char *type)
{
    const char *dot = strrchr(type, '.');
    const char *t = dot ? dot + 1 : type;
    switch (v.kind) {
    case TP_GV_STRING:
        return strcmp(t, "String") == 0 || strcmp(t, "CharSequence") == 0 ||
               strcmp(t, "GString") == 0 || strcmp(t, "Object") == 0;
    case TP_GV_INT:
        return strcmp(t, "Integer") == 0 || strcmp(t, "Number") == 0 || strcmp(t, "Long") == 0 ||
               strcmp(t, "Object") == 0;
    case TP_GV_FLOAT:
        return strcmp(t, "BigDecimal") == 0 || strcmp(t, "Number") == 0 ||
               strcmp(t, "Double") == 0 || strcmp(t, "Object") == 0;
    case TP_GV_BOOL:
        return strcmp(t, "Boolean") == 0 || strcmp(t, "Object") == 0;
    case TP_GV_LIST:
        return strcmp(t, "List") == 0 || strcmp(t, "ArrayList") == 0 ||
               strcmp(t, "Collection") == 0 || strcmp(t, "Object") == 0;
    case TP_GV_MAP:
        return strcmp(t, "Map") == 0 || strcmp(t, "LinkedHashMap") == 0 ||
               strcmp(t, "HashMap") == 0 || strcmp(t, "Object") == 0;
    case TP_GV_CLOSURE:
        return strcmp(t, "Closure") == 0 || strcmp(t, "Object") == 0;
    case TP_GV_EXCEPTION:
        return strstr(t, "Exception") != NULL || strcmp(t, "Throwable") == 0 ||
               strcmp(t, "Error") == 0 || strcmp(t, "Object") == 0;
    default:
        return false;
    }
}

static int parse_number(struct tp_groovy *g, struct tp_gv v, bool integer, struct tp_gv *out)
{
    struct tp_gv text;
    to_string(g, v, &text);
    const char *s = text.u.s;
    while (isspace((unsigned char)*s) && integer == false)
        s++;
    int64_t i;
    if (tp_str_to_i64(s, strlen(s), &i) == 0) {
        *out = tp_gv_int(i);
        return OK;
    }
    char *end = NULL;
    double f = strtod(s, &end);
    if (!integer && end != s && *end == '\0') {
        *out = gv_float(f);
        return OK;
    }
    return tp_groovy_throw(g, "java.lang.NumberFormatException", "For input string: \"%s\"", s);
}

static int cast(struct tp_groovy *g, struct tp_gv v, const char *type, struct tp_gv *out)
{
    const char *dot = strrchr(type, '.');
    const char *t = dot ? dot + 1 : type;
    if (v.kind == TP_GV_NULL) {
        *out = v;
        return OK;
    }
    if (strcmp(t, "String") == 0)
        return to_string(g, v, out);
    if (strcmp(t, "Integer") == 0 || strcmp(t, "int") == 0 || strcmp(t, "Long") == 0 ||
        strcmp(t, "long") == 0) {
        if (v.kind == TP_GV_FLOAT) {
            *out = tp_gv_int((int64_t)v.u.f);
            return OK;
        }
        return v.kind == TP_GV_INT ? (*out = v, OK) : parse_number(g, v, true, out);
    }
    if (strcmp(t, "Double") == 0 || strcmp(t, "double") == 0 || strcmp(t, "BigDecimal") == 0 ||
        strcmp(t, "Float") == 0 || strcmp(t, "float") == 0) {
        if (is_number(v)) {
            *out = gv_float(as_double(v));
            return OK;
        }
        return parse_number(g, v, false, out);
    }
    if (strcmp(t, "Boolean") == 0 || strcmp(t, "boolean") == 0) {
        *out = tp_gv_bool(tp_gv_truth(v));
        return OK;
    }
    if (strcmp(t, "List") == 0 || strcmp(t, "ArrayList") == 0 || strcmp(t, "Set") == 0) {
        if (v.kind == TP_GV_LIST) {
            *out = v;
            return OK;
        }
        *out = tp_gv_list(g);
        tp_glist_push(g, out->u.list, v);
        return OK;
    }
    *out = v; /* other types: the value as it is (Groovy's duck typing does the rest) */
    return OK;
}

/* --- assignment --- */

static int assign_to(struct tp_groovy *g, struct scope *s, const struct tp_expr *target,
                     struct tp_gv value)
{
    switch (target->kind) {
    case TP_EXPR_IDENT: {
        struct var *v = scope_find(s, target->text);
        if (v != NULL) {
            v->value = value;
            return OK;
        }
        tp_gmap_put(g, g->binding, tp_gv_cstr(g, target->text), value);
        return OK;
    }
    case TP_EXPR_PROP:
    case TP_EXPR_INDEX: {
        struct tp_gv base, key;
        int rc = eval(g, s, target->a, &base);
        if (rc != OK)
            return rc;
        if (target->kind == TP_EXPR_PROP) {
            if (target->b != NULL) {
                rc = eval(g, s, target->b, &key);
                if (rc != OK)
                    return rc;
                to_string(g, key, &key);
            } else {
                key = tp_gv_cstr(g, target->text);
            }
        } else {
            rc = eval(g, s, target->b, &key);
            if (rc != OK)
                return rc;
        }
        switch (base.kind) {
        case TP_GV_MAP:
            tp_gmap_put(g, base.u.map, key, value);
            return OK;
        case TP_GV_LIST: {
            if (key.kind != TP_GV_INT)
                return no_method(g, base, "putAt", 2);
            int64_t i = key.u.i < 0 ? (int64_t)base.u.list->count + key.u.i : key.u.i;
            if (i < 0 || i > TP_GROOVY_MAX_LIST)
                return tp_groovy_throw(g, "java.lang.IndexOutOfBoundsException", "index %lld",
                                       (long long)key.u.i);
            while ((int64_t)base.u.list->count <= i)
                tp_glist_push(g, base.u.list, tp_gv_null());
            base.u.list->items[i] = value;
            return OK;
        }
        case TP_GV_OBJECT:
            if (key.kind == TP_GV_STRING && g->host != NULL && g->host->set != NULL)
                return g->host->set(g->host->ctx, g, base.u.obj, key.u.s, value);
            return tp_groovy_throw(g, "groovy.lang.ReadOnlyPropertyException",
                                   "Cannot set property of %s", base.u.obj->class_name);
        case TP_GV_NULL:
            return null_pointer(g, "set property", key.kind == TP_GV_STRING ? key.u.s : "putAt");
        default:
            return tp_groovy_throw(g, "groovy.lang.MissingPropertyException",
                                   "Cannot set a property of %s", tp_gv_class(base));
        }
    }
    default:
        return tp_groovy_throw(g, "tidepool.UnsupportedSyntax",
                               "cannot assign to this expression (line %d)", target->line);
    }
}

static enum tp_tok_kind compound_op(enum tp_tok_kind op)
{
    switch (op) {
    case TP_TOK_PLUS_ASSIGN:
        return TP_TOK_PLUS;
    case TP_TOK_MINUS_ASSIGN:
        return TP_TOK_MINUS;
    case TP_TOK_STAR_ASSIGN:
        return TP_TOK_STAR;
    case TP_TOK_SLASH_ASSIGN:
        return TP_TOK_SLASH;
    case TP_TOK_PERCENT_ASSIGN:
        return TP_TOK_PERCENT;
    case TP_TOK_POWER_ASSIGN:
        return TP_TOK_POWER;
    case TP_TOK_AND_ASSIGN:
        return TP_TOK_BITAND;
    case TP_TOK_OR_ASSIGN:
        return TP_TOK_BITOR;
    case TP_TOK_XOR_ASSIGN:
        return TP_TOK_XOR;
    case TP_TOK_SHL_ASSIGN:
        return TP_TOK_SHL;
    case TP_TOK_SHR_ASSIGN:
        return TP_TOK_SHR;
    default:
        return TP_TOK_EOF;
    }
}

static int eval_assign(struct tp_groovy *g, struct scope *s, const struct tp_expr *e,
                       struct tp_gv *out)
{
    struct tp_gv value;
    int rc;
    if (e->op == TP_TOK_ASSIGN) {
        rc = eval(g, s, e->b, &value);
    } else {
        struct tp_gv old;
        rc = eval(g, s, e->a, &old);
        if (rc != OK)
            return rc;
        if (e->op == TP_TOK_ELVIS_ASSIGN) {
            if (tp_gv_truth(old)) {
                *out = old;
                return OK;
            }
            rc = eval(g, s, e->b, &value);
        } else {
            struct tp_gv operand;
            rc = eval(g, s, e->b, &operand);
            if (rc == OK)
                rc = arith(g, compound_op(e->op), old, operand, &value);
        }
    }
    if (rc == OK)
        rc = assign_to(g, s, e->a, value);
    if (rc == OK)
        *out = value;
    return rc;
}

/* --- calls --- */

static int string_method(struct tp_groovy *g, struct tp_gv self, const char *name,
                         const struct tp_gcall *c, struct tp_gv *out);
static int list_method(struct tp_groovy *g, struct tp_gv self, const char *name,
                       const struct tp_gcall *c, struct tp_gv *out);
static int map_method(struct tp_groovy *g, struct tp_gv self, const char *name,
                      const struct tp_gcall *c, struct tp_gv *out);

/* Evaluates a call's arguments: named ones into a map, a trailing closure apart. */
static int eval_args(struct tp_groovy *g, struct scope *s, const struct tp_expr *e,
                     struct tp_gcall *c)
{
    *c = (struct tp_gcall){ .line = e->line, .col = e->col };
    struct tp_gv *args = g_alloc(g, (e->args.count + 2) * sizeof(*args));
    for (size_t i = 0; i < e->args.count; i++) {
        int rc = eval(g, s, e->args.items[i], &args[i]);
        if (rc != OK)
            return rc;
    }
    c->args = args;
    c->nargs = e->args.count;
    if (e->named.count > 0) {
        struct tp_gv map = tp_gv_map(g);
        for (size_t i = 0; i < e->named.count; i++) {
            struct tp_gv key, value;
            int rc = eval(g, s, e->named.items[i].key, &key);
            if (rc == OK)
                rc = eval(g, s, e->named.items[i].value, &value);
            if (rc != OK)
                return rc;
            tp_gmap_put(g, map.u.map, key, value);
        }
        c->named = map.u.map;
    }
    if (e->closure != NULL) {
        c->closure.kind = TP_GV_CLOSURE;
        c->closure.u.closure = g_alloc(g, sizeof(*c->closure.u.closure));
        c->closure.u.closure->ast = e->closure;
        c->closure.u.closure->scope = s;
    }
    return OK;
}

/* The positional arguments of a call as Groovy sees them: named ones first as a map, the
 * trailing closure last. */
static const struct tp_gv *all_args(struct tp_groovy *g, const struct tp_gcall *c, size_t *n)
{
    if (c->named == NULL && c->closure.kind == TP_GV_NULL) {
        *n = c->nargs;
        return c->args;
    }
    struct tp_gv *args = g_alloc(g, (c->nargs + 2) * sizeof(*args));
    size_t k = 0;
    if (c->named != NULL)
        args[k++] = (struct tp_gv){ .kind = TP_GV_MAP, .u.map = c->named };
    for (size_t i = 0; i < c->nargs; i++)
        args[k++] = c->args[i];
    if (c->closure.kind != TP_GV_NULL)
        args[k++] = c->closure;
    *n = k;
    return args;
}

static const struct tp_stmt *find_method(const struct tp_groovy *g, const char *name)
{
    for (size_t i = 0; g->script != NULL && i < g->script->count; i++) {
        const struct tp_stmt *m = g->script->items[i];
        if (m->kind == TP_STMT_METHOD && strcmp(m->name, name) == 0)
            return m;
    }
    return NULL;
}

/* What a body (a method, a closure, a block) comes to: its `return`, else the value of its
 * last statement; break and continue end it quietly. */
static int body_value(struct tp_groovy *g, int rc, struct tp_gv last, struct tp_gv *out)
{
    if (rc == FLOW_RETURN) {
        *out = g->ret;
        return OK;
    }
    if (rc == FLOW_BREAK || rc == FLOW_CONTINUE)
        rc = OK;
    if (rc == OK)
        *out = last;
    return rc;
}

static int call_method_stmt(struct tp_groovy *g, const struct tp_stmt *m, const struct tp_gv *args,
                            size_t nargs, struct tp_gv *out)
{
    if (!enter(g))
        return THROW;
    struct scope *s = scope_new(g, NULL, true);
    for (size_t i = 0; i < m->nparams; i++)
        scope_declare(g, s, m->params[i], i < nargs ? args[i] : tp_gv_null());
    struct tp_gv last = tp_gv_null();
    int rc = exec_block(g, s, m->body, &last);
    g->depth--;
    return body_value(g, rc, last, out);
}

static int call_closure(struct tp_groovy *g, struct tp_gv c, const struct tp_gv *args, size_t nargs,
                        struct tp_gv *out)
{
    if (c.kind != TP_GV_CLOSURE)
        return no_method(g, c, "call", nargs);
    const struct tp_gclosure *cl = c.u.closure;
    if (cl->method != NULL)
        return call_method_stmt(g, cl->method, args, nargs, out);
    if (!enter(g))
        return THROW;
    struct scope *s = scope_new(g, cl->scope, false);
    const struct tp_closure *ast = cl->ast;
    if (ast->nparams == 0 && !ast->explicit_params) {
        scope_declare(g, s, "it", nargs > 0 ? args[0] : tp_gv_null());
    } else if (ast->nparams > 1 && nargs == 1 && args[0].kind == TP_GV_LIST) {
        /* { a, b -> } called with one list spreads it */
        for (size_t i = 0; i < ast->nparams; i++) {
            const struct tp_glist *l = args[0].u.list;
            scope_declare(g, s, ast->params[i], i < l->count ? l->items[i] : tp_gv_null());
        }
    } else {
        for (size_t i = 0; i < ast->nparams; i++)
            scope_declare(g, s, ast->params[i], i < nargs ? args[i] : tp_gv_null());
    }
    struct tp_gv last = tp_gv_null();
    int rc = exec_block(g, s, ast->body, &last);
    g->depth--;
    return body_value(g, rc, last, out);
}

int tp_groovy_call_closure(struct tp_groovy *g, struct tp_gv closure, const struct tp_gv *args,
                           size_t nargs, struct tp_gv *out)
{
    return call_closure(g, closure, args, nargs, out);
}

/* Calls `c` with one or two arguments: a map's entries as (key, value) when it takes two, or
 * as an entry [key:, value:] when it takes one. */
static int call_entry(struct tp_groovy *g, struct tp_gv c, struct tp_gv key, struct tp_gv value,
                      struct tp_gv *out)
{
    bool two =
        c.kind == TP_GV_CLOSURE && c.u.closure->ast != NULL && c.u.closure->ast->nparams == 2;
    if (two) {
        struct tp_gv args[2] = { key, value };
        return call_closure(g, c, args, 2, out);
    }
    struct tp_gv entry = tp_gv_map(g);
    tp_gmap_put(g, entry.u.map, tp_gv_cstr(g, "key"), key);
    tp_gmap_put(g, entry.u.map, tp_gv_cstr(g, "value"), value);
    return call_closure(g, c, &entry, 1, out);
}

static int static_call(struct tp_groovy *g, const char *cls, const char *name,
                       const struct tp_gcall *c, struct tp_gv *out, bool *handled)
{
    *handled = true;
    struct tp_gv a0 = c->nargs > 0 ? c->args[0] : tp_gv_null();
    if ((strcmp(cls, "Integer") == 0 || strcmp(cls, "Long") == 0) &&
        (strcmp(name, "parseInt") == 0 || strcmp(name, "valueOf") == 0 ||
         strcmp(name, "parseLong") == 0))
        return a0.kind == TP_GV_INT ? (*out = a0, OK) : parse_number(g, a0, true, out);
    if (strcmp(cls, "Double") == 0 && strcmp(name, "parseDouble") == 0)
        return parse_number(g, a0, false, out);
    if (strcmp(cls, "Boolean") == 0 &&
        (strcmp(name, "parseBoolean") == 0 || strcmp(name, "valueOf") == 0)) {
        *out = tp_gv_bool(a0.kind == TP_GV_BOOL
                              ? a0.u.b
                              : a0.kind == TP_GV_STRING && strcasecmp(a0.u.s, "true") == 0);
        return OK;
    }
    if (strcmp(cls, "String") == 0 && strcmp(name, "valueOf") == 0)
        return to_string(g, a0, out);
    if (strcmp(cls, "Math") == 0 && c->nargs >= 1 && is_number(a0)) {
        struct tp_gv a1 = c->nargs > 1 ? c->args[1] : tp_gv_null();
        if ((strcmp(name, "max") == 0 || strcmp(name, "min") == 0) && is_number(a1)) {
            int cmp;
            compare(g, a0, a1, &cmp);
            *out = (strcmp(name, "max") == 0) == (cmp >= 0) ? a0 : a1;
            return OK;
        }
        if (strcmp(name, "abs") == 0) {
            *out = a0.kind == TP_GV_INT ? tp_gv_int(a0.u.i < 0 ? -a0.u.i : a0.u.i)
                                        : gv_float(fabs(a0.u.f));
            return OK;
        }
        if (strcmp(name, "round") == 0 || strcmp(name, "floor") == 0 || strcmp(name, "ceil") == 0) {
            double f = as_double(a0);
            f = name[0] == 'r' ? round(f) : name[0] == 'f' ? floor(f) : ceil(f);
            *out = name[0] == 'r' ? tp_gv_int((int64_t)f) : gv_float(f);
            return OK;
        }
    }
    *handled = false;
    return OK;
}

/* A call with no receiver: a script method, a closure variable, println, or a step. */
static int call_function(struct tp_groovy *g, struct scope *s, const struct tp_expr *e,
                         struct tp_gv *out)
{
    const char *name = e->text;
    struct tp_gcall c;
    int rc = eval_args(g, s, e, &c);
    if (rc != OK)
        return rc;
    size_t n;
    const struct tp_gv *args;
    const struct tp_stmt *m = find_method(g, name);
    if (m != NULL) {
        args = all_args(g, &c, &n);
        return call_method_stmt(g, m, args, n, out);
    }
    struct var *v = scope_find(s, name);
    const struct tp_gv *b = v != NULL ? &v->value : tp_gmap_get_str(g->binding, name);
    if (b != NULL && b->kind == TP_GV_CLOSURE) {
        args = all_args(g, &c, &n);
        return call_closure(g, *b, args, n, out);
    }
    if (strcmp(name, "println") == 0 || strcmp(name, "print") == 0) {
        struct tp_buf text;
        tp_buf_init(&text);
        if (c.nargs > 0)
            tp_gv_to_string(c.args[0], &text);
        if (name[5] == 'l')
            tp_buf_putc(&text, '\n');
        if (g->host != NULL && g->host->print != NULL)
            g->host->print(g->host->ctx, text.len ? text.data : "", text.len);
        tp_buf_close(&text);
        *out = tp_gv_null();
        return OK;
    }
    if (g->host != NULL && g->host->call != NULL) {
        rc = g->host->call(g->host->ctx, g, name, &c, out);
        if (rc != TP_GROOVY_NO_STEP)
            return rc;
    }
    return tp_groovy_throw(g, "java.lang.NoSuchMethodError",
                           "No such DSL method '%s' found among steps", name);
}

/* Calls `name` on a value. */
static int invoke(struct tp_groovy *g, struct tp_gv self, const char *name,
                  const struct tp_gcall *c, struct tp_gv *out)
{
    if (!tick(g))
        return THROW;
    if (strcmp(name, "toString") == 0 && c->nargs == 0 && self.kind != TP_GV_OBJECT)
        return to_string(g, self, out);
    if (strcmp(name, "equals") == 0 && c->nargs == 1) {
        *out = tp_gv_bool(tp_gv_equals(self, c->args[0]));
        return OK;
    }
    if (strcmp(name, "getClass") == 0 && c->nargs == 0) {
        *out = tp_gv_cstr(g, tp_gv_class(self));
        return OK;
    }
    /* size(), length(), isEmpty() of a string, a list or a map */
    bool sized = self.kind == TP_GV_STRING || self.kind == TP_GV_LIST || self.kind == TP_GV_MAP;
    if (sized && c->nargs == 0 &&
        (strcmp(name, "size") == 0 || strcmp(name, "isEmpty") == 0 ||
         (strcmp(name, "length") == 0 && self.kind == TP_GV_STRING))) {
        size_t n = self.kind == TP_GV_STRING ? self.len
                   : self.kind == TP_GV_LIST ? self.u.list->count
                                             : self.u.map->count;
        *out = name[0] == 'i' ? tp_gv_bool(n == 0) : tp_gv_int((int64_t)n);
        return OK;
    }
    switch (self.kind) {
    case TP_GV_NULL:
        return null_pointer(g, "invoke method", name);
    case TP_GV_STRING:
        return string_method(g, self, name, c, out);
    case TP_GV_LIST:
        return list_method(g, self, name, c, out);
    case TP_GV_MAP:
        if (c->closure.kind == TP_GV_NULL && c->nargs == 0 && c->named == NULL) {
            const struct tp_gv *member = tp_gmap_get_str(self.u.map, name);
            if (member != NULL && member->kind == TP_GV_CLOSURE)
                return call_closure(g, *member, NULL, 0, out);
        }
        return map_method(g, self, name, c, out);
    case TP_GV_CLOSURE:
        if (strcmp(name, "call") == 0) {
            size_t n;
            const struct tp_gv *args = all_args(g, c, &n);
            return call_closure(g, self, args, n, out);
        }
        break;
    case TP_GV_INT:
    case TP_GV_FLOAT:
        if (strcmp(name, "times") == 0 && self.kind == TP_GV_INT) {
            struct tp_gv body = c->nargs ? c->args[0] : c->closure;
            for (int64_t i = 0; i < self.u.i; i++) {
                struct tp_gv ignored, arg = tp_gv_int(i);
                int rc = call_closure(g, body, &arg, 1, &ignored);
                if (rc != OK)
                    return rc;
            }
            *out = tp_gv_null();
            return OK;
        }
        if (strcmp(name, "intValue") == 0 || strcmp(name, "toInteger") == 0 ||
            strcmp(name, "longValue") == 0)
            return cast(g, self, "Integer", out);
        if (strcmp(name, "doubleValue") == 0)
            return cast(g, self, "Double", out);
        break;
    case TP_GV_BOOL:
        if (strcmp(name, "booleanValue") == 0) {
            *out = self;
            return OK;
        }
        break;
    case TP_GV_EXCEPTION:
        if (strcmp(name, "getMessage") == 0 || strcmp(name, "getLocalizedMessage") == 0) {
            *out = self.u.exc->message ? tp_gv_cstr(g, self.u.exc->message) : tp_gv_null();
            return OK;
        }
        if (strcmp(name, "getCause") == 0) {
            *out = tp_gv_null();
            return OK;
        }
        if (strcmp(name, "printStackTrace") == 0) {
            *out = tp_gv_null();
            return OK;
        }
        break;
    case TP_GV_OBJECT:
        if (g->host != NULL && g->host->invoke != NULL) {
            int rc = g->host->invoke(g->host->ctx, g, self.u.obj, name, c, out);
            if (rc != TP_GROOVY_NO_STEP)
                return rc;
        }
        /* getX() reads property x */
        if (strncmp(name, "get", 3) == 0 && isupper((unsigned char)name[3]) && c->nargs == 0) {
            char prop[128];
            snprintf(prop, sizeof(prop), "%c%s", tolower((unsigned char)name[3]), name + 4);
            return get_property(g, self, prop, out);
        }
        break;
    }
    return no_method(g, self, name, c->nargs);
}

static int eval_call(struct tp_groovy *g, struct scope *s, const struct tp_expr *e,
                     struct tp_gv *out)
{
    if (e->a == NULL && e->b == NULL)
        return call_function(g, s, e, out);
    struct tp_gv self;
    int rc;
    if (e->b != NULL) {
        rc = eval(g, s, e->b, &self); /* (expr)(args): call a closure value */
        if (rc != OK)
            return rc;
        struct tp_gcall c;
        rc = eval_args(g, s, e, &c);
        if (rc != OK)
            return rc;
        size_t n;
        const struct tp_gv *args = all_args(g, &c, &n);
        return call_closure(g, self, args, n, out);
    }
    /* Cls.method(...): a static method of a class name that is not a variable. */
    static const char *const classes[] = { "Integer", "Long", "Double", "Boolean",
                                           "String",  "Math", "System", NULL };
    if (e->a->kind == TP_EXPR_IDENT && tp_str_in(e->a->text, classes) &&
        scope_find(s, e->a->text) == NULL && tp_gmap_get_str(g->binding, e->a->text) == NULL) {
        struct tp_gcall c;
        rc = eval_args(g, s, e, &c);
        if (rc != OK)
            return rc;
        bool handled;
        rc = static_call(g, e->a->text, e->text, &c, out, &handled);
        if (handled)
            return rc;
        if (strcmp(e->a->text, "System") == 0 && strcmp(e->text, "currentTimeMillis") == 0 &&
            g->host != NULL && g->host->lookup != NULL &&
            g->host->lookup(g->host->ctx, g, "__now_ms", out))
            return OK;
        return tp_groovy_throw(g, "tidepool.UnsupportedSyntax",
                               "tidepool's Groovy-lite has no %s.%s() (line %d)", e->a->text,
                               e->text, e->line);
    }
    rc = eval(g, s, e->a, &self);
    if (rc != OK)
        return rc;
    if (self.kind == TP_GV_NULL && e->flag) { /* a?.m() */
        *out = tp_gv_null();
        return OK;
    }
    struct tp_gcall c;
    rc = eval_args(g, s, e, &c);
    if (rc != OK)
        return rc;
    if (e->op == TP_TOK_SPREAD_DOT && self.kind == TP_GV_LIST) {
        struct tp_gv r = tp_gv_list(g);
        for (size_t i = 0; i < self.u.list->count; i++) {
            struct tp_gv item;
            rc = invoke(g, self.u.list->items[i], e->text, &c, &item);
            if (rc != OK)
                return rc;
            tp_glist_push(g, r.u.list, item);
        }
        *out = r;
        return OK;
    }
    return invoke(g, self, e->text, &c, out);
}

static int eval_new(struct tp_groovy *g, struct scope *s, const struct tp_expr *e,
                    struct tp_gv *out)
{
    struct tp_gcall c;
    int rc = eval_args(g, s, e, &c);
    if (rc != OK)
        return rc;
    const char *dot = strrchr(e->text, '.');
    const char *t = dot ? dot + 1 : e->text;
    size_t len = strlen(t);
    if ((len >= 9 && strcmp(t + len - 9, "Exception") == 0) || strcmp(t, "Error") == 0 ||
        strcmp(t, "Throwable") == 0) {
        struct tp_gexc *x = g_alloc(g, sizeof(*x));
        x->class_name =
            dot ? e->text
                : tp_arena_printf(g->arena, "%s%s",
                                  strcmp(t, "AbortException") == 0 ? "hudson." : "java.lang.", t);
        if (c.nargs > 0 && c.args[0].kind != TP_GV_NULL) {
            struct tp_gv text;
            to_string(g, c.args[0], &text);
            x->message = text.u.s;
        }
        out->kind = TP_GV_EXCEPTION;
        out->u.exc = x;
        return OK;
    }
    if (strcmp(t, "ArrayList") == 0 || strcmp(t, "LinkedList") == 0 || strcmp(t, "HashSet") == 0 ||
        strcmp(t, "LinkedHashSet") == 0) {
        *out = tp_gv_list(g);
        if (c.nargs > 0 && c.args[0].kind == TP_GV_LIST)
            *out = list_concat(g, *out, c.args[0]);
        return OK;
    }
    if (strcmp(t, "HashMap") == 0 || strcmp(t, "LinkedHashMap") == 0 || strcmp(t, "TreeMap") == 0) {
        *out = tp_gv_map(g);
        if (c.nargs > 0 && c.args[0].kind == TP_GV_MAP)
            arith(g, TP_TOK_PLUS, *out, c.args[0], out);
        return OK;
    }
    if (strcmp(t, "String") == 0) {
        return c.nargs > 0 ? to_string(g, c.args[0], out) : (*out = tp_gv_cstr(g, ""), OK);
    }
    return tp_groovy_throw(g, "tidepool.UnsupportedSyntax",
                           "tidepool's Groovy-lite cannot create a %s (line %d)", e->text, e->line);
}

static int make_range(struct tp_groovy *g, struct tp_gv a, struct tp_gv b, bool exclusive,
                      struct tp_gv *out)
{
    if (a.kind != TP_GV_INT || b.kind != TP_GV_INT)
        return tp_groovy_throw(g, "tidepool.UnsupportedSyntax", "ranges are of integers only");
    *out = tp_gv_list(g);
    int64_t step = a.u.i <= b.u.i ? 1 : -1;
    int64_t end = exclusive ? b.u.i : b.u.i + step;
    if ((end - a.u.i) * step > TP_GROOVY_MAX_LIST)
        return tp_groovy_throw(g, "java.lang.OutOfMemoryError", "range too large");
    for (int64_t i = a.u.i; i != end; i += step)
        tp_glist_push(g, out->u.list, tp_gv_int(i));
    return OK;
}

static int eval_binary(struct tp_groovy *g, struct scope *s, const struct tp_expr *e,
                       struct tp_gv *out)
{
    struct tp_gv a, b;
    int rc = eval(g, s, e->a, &a);
    if (rc != OK)
        return rc;
    /* && and || do not evaluate their right side when the left decides. */
    if (e->op == TP_TOK_AND || e->op == TP_TOK_OR) {
        bool left = tp_gv_truth(a);
        if ((e->op == TP_TOK_AND) != left) {
            *out = tp_gv_bool(left);
            return OK;
        }
        rc = eval(g, s, e->b, &b);
        if (rc == OK)
            *out = tp_gv_bool(tp_gv_truth(b));
        return rc;
    }
    if (e->op == TP_TOK_IDENT && strcmp(e->text, "instanceof") == 0) {
        *out = tp_gv_bool(instance_of(a, e->b->text));
        return OK;
    }
    rc = eval(g, s, e->b, &b);
    if (rc != OK)
        return rc;
    int cmp;
    switch (e->op) {
    case TP_TOK_EQ:
    case TP_TOK_IDENTICAL:
        *out = tp_gv_bool(tp_gv_equals(a, b));
        return OK;
    case TP_TOK_NE:
    case TP_TOK_NOT_IDENTICAL:
        *out = tp_gv_bool(!tp_gv_equals(a, b));
        return OK;
    case TP_TOK_LT:
    case TP_TOK_GT:
    case TP_TOK_LE:
    case TP_TOK_GE:
    case TP_TOK_SPACESHIP:
        rc = compare(g, a, b, &cmp);
        if (rc != OK)
            return rc;
        switch (e->op) {
        case TP_TOK_LT:
            *out = tp_gv_bool(cmp < 0);
            break;
        case TP_TOK_GT:
            *out = tp_gv_bool(cmp > 0);
            break;
        case TP_TOK_LE:
            *out = tp_gv_bool(cmp <= 0);
            break;
        case TP_TOK_GE:
            *out = tp_gv_bool(cmp >= 0);
            break;
        default:
            *out = tp_gv_int(cmp);
            break;
        }
        return OK;
    case TP_TOK_MATCH:
    case TP_TOK_FIND: {
        if (a.kind == TP_GV_NULL) {
            *out = e->op == TP_TOK_MATCH ? tp_gv_bool(false) : tp_gv_list(g);
            return OK;
        }
        struct tp_gv text, pattern;
        to_string(g, a, &text);
        to_string(g, b, &pattern);
        if (e->op == TP_TOK_FIND)
            return regex_find(g, text.u.s, pattern.u.s, out);
        bool m;
        rc = regex_matches(g, text.u.s, pattern.u.s, &m);
        if (rc == OK)
            *out = tp_gv_bool(m);
        return rc;
    }
    case TP_TOK_RANGE:
    case TP_TOK_RANGE_EXCL:
        return make_range(g, a, b, e->op == TP_TOK_RANGE_EXCL, out);
    case TP_TOK_IDENT: /* in */
        *out = tp_gv_bool(member_of(b, a));
        return OK;
    default:
        return arith(g, e->op, a, b, out);
    }
}

static int eval_unary(struct tp_groovy *g, struct scope *s, const struct tp_expr *e,
                      struct tp_gv *out)
{
    if (e->op == TP_TOK_INC || e->op == TP_TOK_DEC) { /* ++x */
        struct tp_gv old, value;
        int rc = eval(g, s, e->a, &old);
        if (rc == OK)
            rc = arith(g, e->op == TP_TOK_INC ? TP_TOK_PLUS : TP_TOK_MINUS, old, tp_gv_int(1),
                       &value);
        if (rc == OK)
            rc = assign_to(g, s, e->a, value);
        if (rc == OK)
            *out = value;
        return rc;
    }
    struct tp_gv a;
    int rc = eval(g, s, e->a, &a);
    if (rc != OK)
        return rc;
    switch (e->op) {
    case TP_TOK_NOT:
        *out = tp_gv_bool(!tp_gv_truth(a));
        return OK;
    case TP_TOK_MINUS:
        if (a.kind == TP_GV_INT)
            *out = tp_gv_int(-a.u.i);
        else if (a.kind == TP_GV_FLOAT)
            *out = gv_float(-a.u.f);
        else
            return no_method(g, a, "negative", 0);
        return OK;
    case TP_TOK_TILDE: /* ~/pattern/: the pattern's text */
    case TP_TOK_PLUS:
        *out = a;
        return OK;
    default:
        return tp_groovy_throw(g, "tidepool.UnsupportedSyntax", "unsupported operator (line %d)",
                               e->line);
    }
}

static int eval(struct tp_groovy *g, struct scope *s, const struct tp_expr *e, struct tp_gv *out)
{
    if (!tick(g) || !enter(g))
        return THROW;
    int rc = OK;
    struct tp_gv a, b;
    switch (e->kind) {
    case TP_EXPR_NULL:
        *out = tp_gv_null();
        break;
    case TP_EXPR_BOOL:
        *out = tp_gv_bool(e->flag);
        break;
    case TP_EXPR_INT:
        *out = tp_gv_int(e->ival);
        break;
    case TP_EXPR_FLOAT:
        *out = gv_float(e->fval);
        break;
    case TP_EXPR_STRING:
        *out = (struct tp_gv){ .kind = TP_GV_STRING, .len = (uint32_t)e->len, .u.s = e->text };
        break;
    case TP_EXPR_GSTRING:
        rc = eval_gstring(g, s, e, out);
        break;
    case TP_EXPR_IDENT:
        rc = lookup_name(g, s, e->text, out);
        break;
    case TP_EXPR_PROP: {
        rc = eval(g, s, e->a, &a);
        if (rc != OK)
            break;
        const char *name = e->text;
        if (e->b != NULL) { /* a."${x}" */
            rc = eval(g, s, e->b, &b);
            if (rc != OK)
                break;
            to_string(g, b, &b);
            name = b.u.s;
        }
        if (a.kind == TP_GV_NULL && e->flag) {
            *out = tp_gv_null();
            break;
        }
        rc = get_property(g, a, name, out);
        break;
    }
    case TP_EXPR_INDEX:
        rc = eval(g, s, e->a, &a);
        if (rc == OK)
            rc = eval(g, s, e->b, &b);
        if (rc == OK)
            rc = get_index(g, a, b, out);
        break;
    case TP_EXPR_CALL:
        rc = eval_call(g, s, e, out);
        break;
    case TP_EXPR_CLOSURE:
        out->kind = TP_GV_CLOSURE;
        out->u.closure = g_alloc(g, sizeof(*out->u.closure));
        out->u.closure->ast = e->closure;
        out->u.closure->scope = s;
        break;
    case TP_EXPR_LIST:
        *out = tp_gv_list(g);
        for (size_t i = 0; i < e->args.count && rc == OK; i++) {
            rc = eval(g, s, e->args.items[i], &a);
            if (rc == OK)
                tp_glist_push(g, out->u.list, a);
        }
        break;
    case TP_EXPR_MAP:
        *out = tp_gv_map(g);
        for (size_t i = 0; i < e->named.count && rc == OK; i++) {
            rc = eval(g, s, e->named.items[i].key, &a);
            if (rc == OK)
                rc = eval(g, s, e->named.items[i].value, &b);
            if (rc == OK)
                tp_gmap_put(g, out->u.map, a, b);
        }
        break;
    case TP_EXPR_UNARY:
        rc = eval_unary(g, s, e, out);
        break;
    case TP_EXPR_POSTFIX:
        rc = eval(g, s, e->a, &a);
        if (rc == OK)
            rc = arith(g, e->op == TP_TOK_INC ? TP_TOK_PLUS : TP_TOK_MINUS, a, tp_gv_int(1), &b);
        if (rc == OK)
            rc = assign_to(g, s, e->a, b);
        if (rc == OK)
            *out = a;
        break;
    case TP_EXPR_BINARY:
        rc = eval_binary(g, s, e, out);
        break;
    case TP_EXPR_TERNARY:
        rc = eval(g, s, e->a, &a);
        if (rc == OK)
            rc = eval(g, s, tp_gv_truth(a) ? e->b : e->c, out);
        break;
    case TP_EXPR_ELVIS:
        rc = eval(g, s, e->a, &a);
        if (rc == OK) {
            if (tp_gv_truth(a))
                *out = a;
            else
                rc = eval(g, s, e->b, out);
        }
        break;
    case TP_EXPR_ASSIGN:
        rc = eval_assign(g, s, e, out);
        break;
    case TP_EXPR_NEW:
        rc = eval_new(g, s, e, out);
        break;
    case TP_EXPR_CAST:
        rc = eval(g, s, e->a, &a);
        if (rc == OK)
            rc = cast(g, a, e->text, out);
        break;
    case TP_EXPR_METHOD_REF:
        rc = tp_groovy_throw(g, "tidepool.UnsupportedSyntax",
                             "tidepool's Groovy-lite has no method references (line %d)", e->line);
        break;
    }
    g->depth--;
    return rc;
}

/* --- statements --- */

static bool catches(const struct tp_catch *c, const struct tp_gexc *x)
{
    if (x->fatal)
        return false;
    if (c->type == NULL)
        return true;
    const char *dot = strrchr(c->type, '.');
    const char *t = dot ? dot + 1 : c->type;
    if (strcmp(t, "Exception") == 0 || strcmp(t, "Throwable") == 0)
        return strstr(x->class_name, "Error") == NULL || strcmp(t, "Throwable") == 0;
    if (strcmp(t, "Error") == 0)
        return strstr(x->class_name, "Error") != NULL;
    if (strcmp(t, "InterruptedException") == 0)
        return x->interrupt;
    const char *xdot = strrchr(x->class_name, '.');
    return strcmp(xdot ? xdot + 1 : x->class_name, t) == 0;
}

static int exec_stmt(struct tp_groovy *g, struct scope *s, const struct tp_stmt *st,
                     struct tp_gv *last);

/* The scope a block runs in: a new one when it declares variables, else its parent's (only a
 * block's own declarations land in its scope, so nothing changes, and a loop allocates
 * nothing per turn). */
static struct scope *block_scope(struct tp_groovy *g, struct scope *s, const struct tp_block *b)
{
    for (size_t i = 0; b != NULL && i < b->count; i++) {
        if (b->items[i]->kind == TP_STMT_DECL)
            return scope_new(g, s, false);
    }
    return s;
}

static int exec_loop_body(struct tp_groovy *g, struct scope *s, const struct tp_block *body,
                          bool *stop)
{
    struct tp_gv ignored;
    int rc = exec_block(g, block_scope(g, s, body), body, &ignored);
    *stop = rc == FLOW_BREAK;
    if (rc == FLOW_BREAK || rc == FLOW_CONTINUE)
        return OK;
    if (rc == OK && !tick(g))
        return THROW;
    return rc;
}

static int exec_try(struct tp_groovy *g, struct scope *s, const struct tp_stmt *st,
                    struct tp_gv *last)
{
    int rc = exec_block(g, scope_new(g, s, false), st->body, last);
    if (rc == THROW) {
        for (size_t i = 0; i < st->ncatches; i++) {
            if (!catches(&st->catches[i], g->exc))
                continue;
            struct scope *cs = scope_new(g, s, false);
            scope_declare(g, cs, st->catches[i].name,
                          (struct tp_gv){ .kind = TP_GV_EXCEPTION, .u.exc = g->exc });
            g->exc = NULL;
            rc = exec_block(g, cs, st->catches[i].body, last);
            break;
        }
    }
    /* A suspended pass is thrown away: finally runs in the pass that completes. */
    if (st->finally_body != NULL && rc != TP_GROOVY_SUSPEND && !(rc == THROW && g->exc->fatal)) {
        struct tp_gexc *pending = g->exc;
        struct tp_gv saved = g->ret, ignored;
        int frc = exec_block(g, scope_new(g, s, false), st->finally_body, &ignored);
        if (frc != OK)
            return frc;
        g->exc = pending;
        g->ret = saved;
    }
    return rc;
}

static int exec_switch(struct tp_groovy *g, struct scope *s, const struct tp_stmt *st,
                       struct tp_gv *last)
{
    struct tp_gv v;
    int rc = eval(g, s, st->expr, &v);
    if (rc != OK)
        return rc;
    bool matched = false;
    for (int pass = 0; pass < 2 && !matched; pass++) {
        /* The first pass looks for a matching case, the second falls back to default. */
        for (size_t i = 0; i < st->ncases; i++) {
            const struct tp_case *c = &st->cases[i];
            if (!matched) {
                if (pass == 0 && c->value == NULL)
                    continue;
                if (pass == 1 && c->value != NULL)
                    continue;
                if (c->value != NULL) {
                    struct tp_gv pattern;
                    rc = eval(g, s, c->value, &pattern);
                    if (rc != OK)
                        return rc;
                    if (!is_case(pattern, v))
                        continue;
                }
                matched = true;
            }
            if (c->body == NULL)
                continue; /* case 'a': case 'b': share the next body */
            rc = exec_block(g, scope_new(g, s, false), c->body, last);
            if (rc == FLOW_BREAK)
                return OK;
            if (rc != OK)
                return rc;
        }
    }
    return OK;
}

static int exec_stmt(struct tp_groovy *g, struct scope *s, const struct tp_stmt *st,
                     struct tp_gv *last)
{
    if (!tick(g))
        return THROW;
    int rc;
    struct tp_gv v;
    bool stop = false;
    switch (st->kind) {
    case TP_STMT_EXPR:
        rc = eval(g, s, st->expr, &v);
        if (rc == OK)
            *last = v;
        return rc;
    case TP_STMT_DECL:
        v = tp_gv_null();
        if (st->expr != NULL) {
            rc = eval(g, s, st->expr, &v);
            if (rc != OK)
                return rc;
            if (st->text != NULL && strcmp(st->text, "def") != 0) {
                rc = cast(g, v, st->text, &v);
                if (rc != OK)
                    return rc;
            }
        }
        scope_declare(g, s, st->name, v);
        *last = tp_gv_null();
        return OK;
    case TP_STMT_IF:
        rc = eval(g, s, st->expr, &v);
        if (rc != OK)
            return rc;
        *last = tp_gv_null();
        if (tp_gv_truth(v))
            return exec_block(g, block_scope(g, s, st->body), st->body, last);
        if (st->else_body != NULL)
            return exec_block(g, block_scope(g, s, st->else_body), st->else_body, last);
        return OK;
    case TP_STMT_FOR_IN: {
        rc = eval(g, s, st->expr, &v);
        if (rc != OK)
            return rc;
        struct scope *ls = scope_new(g, s, false);
        if (v.kind == TP_GV_MAP) {
            for (size_t i = 0; i < v.u.map->count && !stop; i++) {
                struct tp_gv entry = tp_gv_map(g);
                tp_gmap_put(g, entry.u.map, tp_gv_cstr(g, "key"), v.u.map->keys[i]);
                tp_gmap_put(g, entry.u.map, tp_gv_cstr(g, "value"), v.u.map->values[i]);
                scope_declare(g, ls, st->name, entry);
                rc = exec_loop_body(g, ls, st->body, &stop);
                if (rc != OK)
                    return rc;
            }
            return OK;
        }
        if (v.kind == TP_GV_STRING) {
            for (size_t i = 0; i < v.len && !stop; i++) {
                scope_declare(g, ls, st->name, tp_gv_str(g, v.u.s + i, 1));
                rc = exec_loop_body(g, ls, st->body, &stop);
                if (rc != OK)
                    return rc;
            }
            return OK;
        }
        if (v.kind == TP_GV_NULL)
            return OK;
        if (v.kind != TP_GV_LIST)
            return no_method(g, v, "iterator", 0);
        for (size_t i = 0; i < v.u.list->count && !stop; i++) {
            scope_declare(g, ls, st->name, v.u.list->items[i]);
            rc = exec_loop_body(g, ls, st->body, &stop);
            if (rc != OK)
                return rc;
        }
        return OK;
    }
    case TP_STMT_FOR: {
        struct scope *ls = scope_new(g, s, false);
        if (st->init != NULL) {
            const struct tp_expr *init = st->init;
            if (init->kind == TP_EXPR_ASSIGN && init->a->kind == TP_EXPR_IDENT &&
                scope_find(s, init->a->text) == NULL)
                scope_declare(g, ls, init->a->text, tp_gv_null());
            rc = eval(g, ls, init, &v);
            if (rc != OK)
                return rc;
        }
        for (;;) {
            if (st->expr != NULL) {
                rc = eval(g, ls, st->expr, &v);
                if (rc != OK)
                    return rc;
                if (!tp_gv_truth(v))
                    return OK;
            }
            rc = exec_loop_body(g, ls, st->body, &stop);
            if (rc != OK || stop)
                return rc;
            if (st->update != NULL) {
                rc = eval(g, ls, st->update, &v);
                if (rc != OK)
                    return rc;
            }
        }
    }
    case TP_STMT_WHILE:
        for (;;) {
            rc = eval(g, s, st->expr, &v);
            if (rc != OK)
                return rc;
            if (!tp_gv_truth(v))
                return OK;
            rc = exec_loop_body(g, s, st->body, &stop);
            if (rc != OK || stop)
                return rc;
        }
    case TP_STMT_RETURN:
        g->ret = tp_gv_null();
        if (st->expr != NULL) {
            rc = eval(g, s, st->expr, &g->ret);
            if (rc != OK)
                return rc;
        }
        return FLOW_RETURN;
    case TP_STMT_THROW:
        rc = eval(g, s, st->expr, &v);
        if (rc != OK)
            return rc;
        if (v.kind != TP_GV_EXCEPTION) {
            struct tp_gv text;
            to_string(g, v, &text);
            return tp_groovy_throw(g, "java.lang.Exception", "%s", text.u.s);
        }
        g->exc = v.u.exc;
        return THROW;
    case TP_STMT_BREAK:
        return FLOW_BREAK;
    case TP_STMT_CONTINUE:
        return FLOW_CONTINUE;
    case TP_STMT_TRY:
        return exec_try(g, s, st, last);
    case TP_STMT_SWITCH:
        return exec_switch(g, s, st, last);
    case TP_STMT_BLOCK:
        return exec_block(g, block_scope(g, s, st->body), st->body, last);
    case TP_STMT_METHOD:
    case TP_STMT_IMPORT:
        return OK;
    case TP_STMT_CLASS:
        return tp_groovy_throw(g, "tidepool.UnsupportedSyntax",
                               "tidepool's Groovy-lite does not define classes (line %d)",
                               st->line);
    }
    return OK;
}

static int exec_block(struct tp_groovy *g, struct scope *s, const struct tp_block *b,
                      struct tp_gv *last)
{
    if (b == NULL)
        return OK;
    *last = tp_gv_null();
    for (size_t i = 0; i < b->count; i++) {
        int rc = exec_stmt(g, s, b->items[i], last);
        if (rc != OK)
            return rc;
    }
    return OK;
}

void tp_groovy_init(struct tp_groovy *g, struct tp_arena *arena, const struct tp_groovy_host *host,
                    struct tp_gmap *binding, const struct tp_block *script)
{
    *g = (struct tp_groovy){ .arena = arena, .host = host, .script = script };
    g->binding = binding != NULL ? binding : tp_gv_map(g).u.map;
}

int tp_groovy_run(struct tp_groovy *g, const struct tp_block *block, struct tp_gv *result)
{
    struct tp_gv last = tp_gv_null(), ignored;
    int rc = exec_block(g, scope_new(g, NULL, true), block, &last);
    return body_value(g, rc, last, result != NULL ? result : &ignored);
}

int tp_groovy_eval(struct tp_groovy *g, const struct tp_expr *e, struct tp_gv *out)
{
    return eval(g, scope_new(g, NULL, true), e, out);
}

int tp_groovy_run_prologue(struct tp_groovy *g)
{
    if (g->script == NULL)
        return OK;
    struct scope *s = scope_new(g, NULL, true);
    for (size_t i = 0; i < g->script->count; i++) {
        const struct tp_stmt *st = g->script->items[i];
        if (st->kind == TP_STMT_METHOD || st->kind == TP_STMT_IMPORT || st->kind == TP_STMT_CLASS)
            continue;
        /* @Library('lib') _ : the host says the library is not loaded */
        if (st->annotation != NULL && st->annotation->text != NULL &&
            strcmp(st->annotation->text, "Library") == 0)
            continue;
        if (st->kind == TP_STMT_EXPR && st->expr->kind == TP_EXPR_CALL && st->expr->a == NULL &&
            st->expr->b == NULL &&
            (strcmp(st->expr->text, "pipeline") == 0 || strcmp(st->expr->text, "library") == 0 ||
             strcmp(st->expr->text, "properties") == 0))
            continue;
        struct tp_gv last;
        int rc = exec_stmt(g, s, st, &last);
        /* A top-level `def X = ...` is shared with the pipeline's script blocks. */
        if (st->kind == TP_STMT_DECL) {
            struct var *v = scope_find(s, st->name);
            if (v != NULL)
                tp_gmap_put(g, g->binding, tp_gv_cstr(g, st->name), v->value);
        }
        if (rc == FLOW_RETURN)
            return OK;
        if (rc != OK)
            return rc == FLOW_BREAK || rc == FLOW_CONTINUE ? OK : rc;
    }
    return OK;
}

/* --- scopes for the host --- */

struct tp_gscope {
    struct scope s;
};

struct tp_gscope *tp_groovy_scope(struct tp_groovy *g)
{
    return (struct tp_gscope *)scope_new(g, NULL, true);
}

void tp_groovy_declare(struct tp_groovy *g, struct tp_gscope *s, const char *name,
                       struct tp_gv value)
{
    scope_declare(g, &s->s, tp_arena_strdup(g->arena, name), value);
}

bool tp_groovy_lookup(const struct tp_gscope *s, const char *name, struct tp_gv *out)
{
    struct var *v = scope_find((struct scope *)&s->s, name);
    if (v != NULL)
        *out = v->value;
    return v != NULL;
}

int tp_groovy_run_in(struct tp_groovy *g, struct tp_gscope *s, const struct tp_block *block,
                     struct tp_gv *result)
{
    struct tp_gv last = tp_gv_null(), ignored;
    int rc = exec_block(g, scope_new(g, &s->s, false), block, &last);
    return body_value(g, rc, last, result != NULL ? result : &ignored);
}

void tp_groovy_closure_vars(struct tp_gv closure,
                            void (*each)(void *ctx, const char *name, struct tp_gv value),
                            void *ctx)
{
    if (closure.kind != TP_GV_CLOSURE)
        return;
    struct scope *top = closure.u.closure->scope;
    for (struct scope *s = top; s != NULL; s = s->parent) {
        for (size_t i = s->count; i-- > 0;) {
            /* shadowed names (declared again further in) are skipped */
            if (scope_find(top, s->vars[i].name) == &s->vars[i])
                each(ctx, s->vars[i].name, s->vars[i].value);
        }
        if (s->method)
            break;
    }
}

void tp_groovy_closure_set(struct tp_gv closure, const char *name, struct tp_gv value)
{
    if (closure.kind != TP_GV_CLOSURE)
        return;
    struct var *v = scope_find(closure.u.closure->scope, name);
    if (v != NULL)
        v->value = value;
}

const struct tp_block *tp_groovy_closure_body(struct tp_gv closure)
{
    if (closure.kind != TP_GV_CLOSURE || closure.u.closure->ast == NULL)
        return NULL;
    return closure.u.closure->ast->body;
}

/* --- String methods --- */

static int arg_string(struct tp_groovy *g, const struct tp_gcall *c, size_t i, struct tp_gv *out)
{
    if (i >= c->nargs)
        return tp_groovy_throw(g, "groovy.lang.MissingMethodException",
                               "missing argument %zu (line %d)", i + 1, c->line);
    return to_string(g, c->args[i], out);
}

static int arg_int(struct tp_groovy *g, const struct tp_gcall *c, size_t i, int64_t *out)
{
    if (i >= c->nargs || c->args[i].kind != TP_GV_INT)
        return tp_groovy_throw(g, "groovy.lang.MissingMethodException",
                               "argument %zu must be an integer (line %d)", i + 1, c->line);
    *out = c->args[i].u.i;
    return OK;
}

static struct tp_gv split_string(struct tp_groovy *g, const char *s, const char *seps,
                                 bool regex_sep, const char *pattern)
{
    struct tp_gv r = tp_gv_list(g);
    if (regex_sep) {
        regex_t re;
        if (compile_regex(g, pattern, false, &re) != OK) {
            g->exc = NULL;
            tp_glist_push(g, r.u.list, tp_gv_cstr(g, s));
            return r;
        }
        const char *p = s;
        regmatch_t m;
        while (*p && regexec(&re, p, 1, &m, p == s ? 0 : REG_NOTBOL) == 0 && m.rm_eo > 0) {
            if (m.rm_eo == m.rm_so) {
                tp_glist_push(g, r.u.list, tp_gv_str(g, p, 1));
                p++;
                continue;
            }
            tp_glist_push(g, r.u.list, tp_gv_str(g, p, (size_t)m.rm_so));
            p += m.rm_eo;
        }
        tp_glist_push(g, r.u.list, tp_gv_cstr(g, p));
        regfree(&re);
        /* Java's split drops trailing empty strings. */
        while (r.u.list->count > 0 && r.u.list->items[r.u.list->count - 1].len == 0)
            r.u.list->count--;
        return r;
    }
    /* tokenize: any of the characters separates, empty tokens dropped */
    const char *p = s;
    while (*p) {
        size_t skip = strspn(p, seps);
        p += skip;
        size_t n = strcspn(p, seps);
        if (n > 0)
            tp_glist_push(g, r.u.list, tp_gv_str(g, p, n));
        p += n;
    }
    return r;
}

static int string_method(struct tp_groovy *g, struct tp_gv self, const char *name,
                         const struct tp_gcall *c, struct tp_gv *out)
{
    const char *s = self.u.s;
    size_t len = self.len;
    struct tp_gv a;
    int64_t i0, i1;
    if (strcmp(name, "trim") == 0 || strcmp(name, "strip") == 0) {
        size_t b = 0, e = len;
        while (b < e && (unsigned char)s[b] <= ' ')
            b++;
        while (e > b && (unsigned char)s[e - 1] <= ' ')
            e--;
        *out = tp_gv_str(g, s + b, e - b);
        return OK;
    }

    if (strcmp(name, "toUpperCase") == 0 || strcmp(name, "toLowerCase") == 0 ||
        strcmp(name, "capitalize") == 0 || strcmp(name, "uncapitalize") == 0) {
        *out = tp_gv_str(g, s, len);
        char *p = (char *)out->u.s;
        if (name[0] == 'c' || name[0] == 'u') {
            if (len > 0)
                p[0] = (char)(name[0] == 'c' ? toupper((unsigned char)p[0])
                                             : tolower((unsigned char)p[0]));
            return OK;
        }
        for (size_t i = 0; i < len; i++)
            p[i] = (char)(name[2] == 'U' ? toupper((unsigned char)p[i])
                                         : tolower((unsigned char)p[i]));
        return OK;
    }
    if (strcmp(name, "contains") == 0 || strcmp(name, "startsWith") == 0 ||
        strcmp(name, "endsWith") == 0 || strcmp(name, "equalsIgnoreCase") == 0 ||
        strcmp(name, "indexOf") == 0 || strcmp(name, "lastIndexOf") == 0) {
        if (arg_string(g, c, 0, &a) != OK)
            return THROW;
        if (name[0] == 'c')
            *out = tp_gv_bool(strstr(s, a.u.s) != NULL);
        else if (name[0] == 's')
            *out = tp_gv_bool(tp_str_starts_with(s, a.u.s));
        else if (name[0] == 'e' && name[1] == 'n')
            *out = tp_gv_bool(tp_str_ends_with(s, a.u.s));
        else if (name[0] == 'e')
            *out = tp_gv_bool(strcasecmp(s, a.u.s) == 0);
        else if (name[0] == 'i') {
            const char *at = strstr(s, a.u.s);
            *out = tp_gv_int(at ? (int64_t)(at - s) : -1);
        } else {
            int64_t last = -1;
            for (const char *at = strstr(s, a.u.s); at != NULL; at = strstr(at + 1, a.u.s)) {
                last = (int64_t)(at - s);
                if (*at == '\0')
                    break;
            }
            *out = tp_gv_int(last);
        }
        return OK;
    }
    if (strcmp(name, "replace") == 0 || strcmp(name, "replaceAll") == 0 ||
        strcmp(name, "replaceFirst") == 0) {
        struct tp_gv with;
        if (arg_string(g, c, 0, &a) != OK || arg_string(g, c, 1, &with) != OK)
            return THROW;
        if (strcmp(name, "replace") != 0)
            return regex_replace(g, s, a.u.s, with.u.s, name[7] == 'A', out);
        if (a.len == 0) {
            *out = self;
            return OK;
        }
        struct tp_buf text;
        tp_buf_init(&text);
        const char *p = s;
        for (const char *at; (at = strstr(p, a.u.s)) != NULL && text.len < TP_GROOVY_MAX_STRING;
             p = at + a.len) {
            tp_buf_append(&text, p, (size_t)(at - p));
            tp_buf_append(&text, with.u.s, with.len);
        }
        tp_buf_puts(&text, p);
        *out = gv_buf(g, &text);
        tp_buf_close(&text);
        return OK;
    }
    if (strcmp(name, "matches") == 0) {
        bool m;
        if (arg_string(g, c, 0, &a) != OK || regex_matches(g, s, a.u.s, &m) != OK)
            return THROW;
        *out = tp_gv_bool(m);
        return OK;
    }
    if (strcmp(name, "substring") == 0) {
        if (arg_int(g, c, 0, &i0) != OK)
            return THROW;
        i1 = (int64_t)len;
        if (c->nargs > 1 && arg_int(g, c, 1, &i1) != OK)
            return THROW;
        if (i0 < 0 || i1 > (int64_t)len || i0 > i1)
            return tp_groovy_throw(g, "java.lang.StringIndexOutOfBoundsException",
                                   "begin %lld, end %lld, length %zu", (long long)i0, (long long)i1,
                                   len);
        *out = tp_gv_str(g, s + i0, (size_t)(i1 - i0));
        return OK;
    }
    if (strcmp(name, "take") == 0 || strcmp(name, "drop") == 0) {
        if (arg_int(g, c, 0, &i0) != OK)
            return THROW;
        size_t n = i0 < 0 ? 0 : (size_t)i0 > len ? len : (size_t)i0;
        *out = name[0] == 't' ? tp_gv_str(g, s, n) : tp_gv_str(g, s + n, len - n);
        return OK;
    }
    if (strcmp(name, "split") == 0) {
        if (c->nargs == 0) {
            *out = split_string(g, s, " \t\n\r\f", false, NULL);
            return OK;
        }
        if (arg_string(g, c, 0, &a) != OK)
            return THROW;
        *out = split_string(g, s, NULL, true, a.u.s);
        return OK;
    }
    if (strcmp(name, "tokenize") == 0) {
        if (c->nargs > 0 && arg_string(g, c, 0, &a) != OK)
            return THROW;
        *out = split_string(g, s, c->nargs > 0 ? a.u.s : " \t\n\r\f", false, NULL);
        return OK;
    }
    if (strcmp(name, "readLines") == 0 || strcmp(name, "lines") == 0) {
        *out = tp_gv_list(g);
        const char *p = s;
        while (*p) {
            size_t n = strcspn(p, "\n");
            size_t k = n > 0 && p[n - 1] == '\r' ? n - 1 : n;
            tp_glist_push(g, out->u.list, tp_gv_str(g, p, k));
            p += n + (p[n] == '\n');
        }
        return OK;
    }
    if (strcmp(name, "toInteger") == 0 || strcmp(name, "toLong") == 0 ||
        strcmp(name, "asInteger") == 0)
        return parse_number(g, self, true, out);
    if (strcmp(name, "toDouble") == 0 || strcmp(name, "toBigDecimal") == 0 ||
        strcmp(name, "toFloat") == 0)
        return parse_number(g, self, false, out);
    if (strcmp(name, "isInteger") == 0 || strcmp(name, "isNumber") == 0) {
        int64_t i;
        *out = tp_gv_bool(tp_str_to_i64(s, len, &i) == 0);
        return OK;
    }
    if (strcmp(name, "toBoolean") == 0) {
        *out = tp_gv_bool(strcasecmp(s, "true") == 0 || strcmp(s, "1") == 0 ||
                          strcasecmp(s, "y") == 0);
        return OK;
    }
    if (strcmp(name, "concat") == 0 || strcmp(name, "plus") == 0) {
        if (c->nargs < 1)
            return no_method(g, self, name, 0);
        return arith(g, TP_TOK_PLUS, self, c->args[0], out);
    }
    if (strcmp(name, "charAt") == 0 || strcmp(name, "getAt") == 0) {
        if (c->nargs < 1)
            return no_method(g, self, name, 0);
        return get_index(g, self, c->args[0], out);
    }
    if (strcmp(name, "reverse") == 0) {
        *out = tp_gv_str(g, s, len);
        char *p = (char *)out->u.s;
        for (size_t i = 0; i < len / 2; i++) {
            char t = p[i];
            p[i] = p[len - 1 - i];
            p[len - 1 - i] = t;
        }
        return OK;
    }
    if (strcmp(name, "padLeft") == 0 || strcmp(name, "padRight") == 0) {
        if (arg_int(g, c, 0, &i0) != OK)
            return THROW;
        struct tp_gv pad = tp_gv_cstr(g, " ");
        if (c->nargs > 1 && arg_string(g, c, 1, &pad) != OK)
            return THROW;
        if (i0 > TP_GROOVY_MAX_STRING)
            i0 = TP_GROOVY_MAX_STRING;
        struct tp_buf text;
        tp_buf_init(&text);
        if (name[3] == 'R')
            tp_buf_append(&text, s, len);
        for (int64_t k = (int64_t)len; k < i0 && pad.len > 0; k++)
            tp_buf_putc(&text, pad.u.s[(size_t)(k - (int64_t)len) % pad.len]);
        if (name[3] == 'L')
            tp_buf_append(&text, s, len);
        *out = gv_buf(g, &text);
        tp_buf_close(&text);
        return OK;
    }
    if (strcmp(name, "each") == 0 || strcmp(name, "collect") == 0) {
        struct tp_gv chars = tp_gv_list(g);
        for (size_t i = 0; i < len; i++)
            tp_glist_push(g, chars.u.list, tp_gv_str(g, s + i, 1));
        return list_method(g, chars, name, c, out);
    }
    if (strcmp(name, "format") == 0 || strcmp(name, "execute") == 0)
        return tp_groovy_throw(g, "tidepool.UnsupportedSyntax",
                               "tidepool's Groovy-lite has no String.%s() (line %d)", name,
                               c->line);
    return no_method(g, self, name, c->nargs);
}

/* --- List methods --- */

static struct tp_gv body_of(const struct tp_gcall *c)
{
    if (c->closure.kind == TP_GV_CLOSURE)
        return c->closure;
    for (size_t i = 0; i < c->nargs; i++) {
        if (c->args[i].kind == TP_GV_CLOSURE)
            return c->args[i];
    }
    return tp_gv_null();
}

static int sort_list(struct tp_groovy *g, struct tp_glist *l, struct tp_gv by)
{
    /* Insertion sort: stable, and a comparison may be a closure (no qsort callback). */
    for (size_t i = 1; i < l->count; i++) {
        struct tp_gv x = l->items[i];
        size_t j = i;
        while (j > 0) {
            int cmp;
            if (by.kind == TP_GV_CLOSURE) {
                struct tp_gv ka, kb;
                int rc = call_closure(g, by, &l->items[j - 1], 1, &ka);
                if (rc == OK)
                    rc = call_closure(g, by, &x, 1, &kb);
                if (rc == OK)
                    rc = compare(g, ka, kb, &cmp);
                if (rc != OK)
                    return rc;
            } else if (compare(g, l->items[j - 1], x, &cmp) != OK) {
                return THROW;
            }
            if (cmp <= 0 || !tick(g))
                break;
            l->items[j] = l->items[j - 1];
            j--;
        }
        l->items[j] = x;
        if (g->exc != NULL && g->exc->fatal)
            return THROW;
    }
    return OK;
}

static int list_method(struct tp_groovy *g, struct tp_gv self, const char *name,
                       const struct tp_gcall *c, struct tp_gv *out)
{
    struct tp_glist *l = self.u.list;
    struct tp_gv body = body_of(c), r;
    int rc;
    if (strcmp(name, "add") == 0 || strcmp(name, "push") == 0 || strcmp(name, "leftShift") == 0) {
        if (c->nargs < 1)
            return no_method(g, self, name, 0);
        tp_glist_push(g, l, c->args[c->nargs - 1]);
        *out = name[0] == 'l' ? self : tp_gv_bool(true);
        return OK;
    }
    if (strcmp(name, "addAll") == 0 || strcmp(name, "plus") == 0) {
        if (c->nargs < 1)
            return no_method(g, self, name, 0);
        if (name[0] == 'p') {
            *out = list_concat(g, self, c->args[0]);
            return OK;
        }
        if (c->args[0].kind == TP_GV_LIST) {
            struct tp_glist *more = c->args[0].u.list;
            size_t n = more->count;
            for (size_t i = 0; i < n; i++)
                tp_glist_push(g, l, more->items[i]);
        }
        *out = tp_gv_bool(true);
        return OK;
    }
    if (strcmp(name, "contains") == 0) {
        *out = tp_gv_bool(c->nargs > 0 && list_contains(l, c->args[0]));
        return OK;
    }
    if (strcmp(name, "indexOf") == 0) {
        *out = tp_gv_int(-1);
        for (size_t i = 0; c->nargs > 0 && i < l->count; i++) {
            if (tp_gv_equals(l->items[i], c->args[0])) {
                *out = tp_gv_int((int64_t)i);
                break;
            }
        }
        return OK;
    }
    if (strcmp(name, "get") == 0 || strcmp(name, "getAt") == 0) {
        if (c->nargs < 1)
            return no_method(g, self, name, 0);
        return get_index(g, self, c->args[0], out);
    }
    if (strcmp(name, "first") == 0 || strcmp(name, "head") == 0 || strcmp(name, "last") == 0) {
        if (l->count == 0)
            return tp_groovy_throw(g, "java.util.NoSuchElementException",
                                   "Cannot access %s() element from an empty List", name);
        *out = name[0] == 'l' ? l->items[l->count - 1] : l->items[0];
        return OK;
    }
    if (strcmp(name, "remove") == 0 || strcmp(name, "pop") == 0) {
        if (l->count == 0)
            return tp_groovy_throw(g, "java.util.NoSuchElementException", "empty list");
        size_t i = name[0] == 'p' ? 0 : l->count;
        if (name[0] == 'r' && c->nargs > 0) {
            if (c->args[0].kind == TP_GV_INT && c->args[0].u.i >= 0 &&
                (size_t)c->args[0].u.i < l->count)
                i = (size_t)c->args[0].u.i;
            for (size_t k = 0; i == l->count && k < l->count; k++) {
                if (tp_gv_equals(l->items[k], c->args[0]))
                    i = k;
            }
            if (i == l->count) {
                *out = tp_gv_bool(false);
                return OK;
            }
        }
        *out = l->items[i];
        memmove(&l->items[i], &l->items[i + 1], (l->count - i - 1) * sizeof(*l->items));
        l->count--;
        return OK;
    }
    if (strcmp(name, "join") == 0) {
        struct tp_gv sep = tp_gv_cstr(g, "");
        if (c->nargs > 0)
            to_string(g, c->args[0], &sep);
        struct tp_buf text;
        tp_buf_init(&text);
        for (size_t i = 0; i < l->count && text.len <= TP_GROOVY_MAX_STRING; i++) {
            if (i > 0)
                tp_buf_append(&text, sep.u.s, sep.len);
            tp_gv_to_string(l->items[i], &text);
        }
        *out = gv_buf(g, &text);
        tp_buf_close(&text);
        return OK;
    }
    if (strcmp(name, "each") == 0 || strcmp(name, "eachWithIndex") == 0 ||
        strcmp(name, "collect") == 0 || strcmp(name, "findAll") == 0 || strcmp(name, "find") == 0 ||
        strcmp(name, "any") == 0 || strcmp(name, "every") == 0 || strcmp(name, "count") == 0 ||
        strcmp(name, "collectEntries") == 0 || strcmp(name, "findIndexOf") == 0 ||
        strcmp(name, "grep") == 0 || strcmp(name, "collectMany") == 0) {
        bool with_index = strcmp(name, "eachWithIndex") == 0;
        if (body.kind != TP_GV_CLOSURE) {
            if (strcmp(name, "count") == 0 && c->nargs > 0) {
                int64_t n = 0;
                for (size_t i = 0; i < l->count; i++)
                    n += tp_gv_equals(l->items[i], c->args[0]);
                *out = tp_gv_int(n);
                return OK;
            }
            if (strcmp(name, "any") == 0 || strcmp(name, "every") == 0 ||
                strcmp(name, "findAll") == 0 || strcmp(name, "grep") == 0) {
                r = tp_gv_list(g);
                bool any = false, every = true;
                for (size_t i = 0; i < l->count; i++) {
                    bool t = tp_gv_truth(l->items[i]);
                    any |= t;
                    every &= t;
                    if (t)
                        tp_glist_push(g, r.u.list, l->items[i]);
                }
                *out = name[0] == 'a' ? tp_gv_bool(any) : name[0] == 'e' ? tp_gv_bool(every) : r;
                return OK;
            }
            return no_method(g, self, name, c->nargs);
        }
        r = strcmp(name, "collectEntries") == 0 ? tp_gv_map(g) : tp_gv_list(g);
        int64_t n = 0;
        size_t count = l->count; /* items added by the body are not visited */
        for (size_t i = 0; i < count && i < l->count; i++) {
            struct tp_gv item = l->items[i], v;
            struct tp_gv args[2] = { item, tp_gv_int((int64_t)i) };
            rc = call_closure(g, body, args, with_index ? 2 : 1, &v);
            if (rc != OK)
                return rc;
            switch (name[0]) {
            case 'c':
                if (strcmp(name, "count") == 0) {
                    n += tp_gv_truth(v);
                } else if (strcmp(name, "collectEntries") == 0) {
                    if (v.kind == TP_GV_MAP)
                        arith(g, TP_TOK_PLUS, r, v, &r);
                    else if (v.kind == TP_GV_LIST && v.u.list->count == 2)
                        tp_gmap_put(g, r.u.map, v.u.list->items[0], v.u.list->items[1]);
                } else if (strcmp(name, "collectMany") == 0 && v.kind == TP_GV_LIST) {
                    r = list_concat(g, r, v);
                } else {
                    tp_glist_push(g, r.u.list, v);
                }
                break;
            case 'f':
            case 'g':
                if (!tp_gv_truth(v))
                    break;
                if (strcmp(name, "find") == 0) {
                    *out = item;
                    return OK;
                }
                if (strcmp(name, "findIndexOf") == 0) {
                    *out = tp_gv_int((int64_t)i);
                    return OK;
                }
                tp_glist_push(g, r.u.list, item);
                break;
            case 'a':
                if (tp_gv_truth(v)) {
                    *out = tp_gv_bool(true);
                    return OK;
                }
                break;
            case 'e':
                if (name[1] == 'v' && !tp_gv_truth(v)) {
                    *out = tp_gv_bool(false);
                    return OK;
                }
                break;
            }
        }
        if (strcmp(name, "each") == 0 || with_index)
            *out = self;
        else if (strcmp(name, "find") == 0)
            *out = tp_gv_null();
        else if (strcmp(name, "findIndexOf") == 0)
            *out = tp_gv_int(-1);
        else if (strcmp(name, "any") == 0)
            *out = tp_gv_bool(false);
        else if (strcmp(name, "every") == 0)
            *out = tp_gv_bool(true);
        else if (strcmp(name, "count") == 0)
            *out = tp_gv_int(n);
        else
            *out = r;
        return OK;
    }
    if (strcmp(name, "sort") == 0 || strcmp(name, "unique") == 0 || strcmp(name, "reverse") == 0 ||
        strcmp(name, "toList") == 0 || strcmp(name, "toSet") == 0 || strcmp(name, "asList") == 0 ||
        strcmp(name, "flatten") == 0) {
        r = list_concat(g, tp_gv_list(g), self);
        if (name[0] == 's') {
            rc = sort_list(g, r.u.list, body);
            if (rc != OK)
                return rc;
        } else if (name[0] == 'u' || strcmp(name, "toSet") == 0) {
            struct tp_gv u = tp_gv_list(g);
            for (size_t i = 0; i < r.u.list->count; i++) {
                if (!list_contains(u.u.list, r.u.list->items[i]))
                    tp_glist_push(g, u.u.list, r.u.list->items[i]);
            }
            r = u;
        } else if (name[0] == 'r') {
            struct tp_glist *x = r.u.list;
            for (size_t i = 0; i < x->count / 2; i++) {
                struct tp_gv t = x->items[i];
                x->items[i] = x->items[x->count - 1 - i];
                x->items[x->count - 1 - i] = t;
            }
        } else if (name[0] == 'f') {
            struct tp_gv flat = tp_gv_list(g);
            for (size_t i = 0; i < r.u.list->count; i++)
                flat = list_concat(g, flat, r.u.list->items[i]);
            r = flat;
        }
        /* sort() and unique() change the list itself, as in Groovy */
        if (name[0] == 's' || name[0] == 'u') {
            l->count = 0;
            for (size_t i = 0; i < r.u.list->count; i++)
                tp_glist_push(g, l, r.u.list->items[i]);
            r = self;
        }
        *out = r;
        return OK;
    }
    if (strcmp(name, "sum") == 0 || strcmp(name, "max") == 0 || strcmp(name, "min") == 0) {
        if (l->count == 0) {
            *out = tp_gv_null();
            return OK;
        }
        r = l->items[0];
        for (size_t i = 1; i < l->count; i++) {
            int cmp;
            if (name[1] == 'u') {
                rc = arith(g, TP_TOK_PLUS, r, l->items[i], &r);
            } else {
                rc = compare(g, l->items[i], r, &cmp);
                if (rc == OK && ((name[1] == 'a' && cmp > 0) || (name[1] == 'i' && cmp < 0)))
                    r = l->items[i];
            }
            if (rc != OK)
                return rc;
        }
        *out = r;
        return OK;
    }
    if (strcmp(name, "take") == 0 || strcmp(name, "drop") == 0 || strcmp(name, "subList") == 0) {
        int64_t a, b = (int64_t)l->count;
        if (arg_int(g, c, 0, &a) != OK || (c->nargs > 1 && arg_int(g, c, 1, &b) != OK))
            return THROW;
        size_t from = 0, to = l->count;
        size_t n = a < 0 ? 0 : (size_t)a > l->count ? l->count : (size_t)a;
        if (name[0] == 't')
            to = n;
        else if (name[0] == 'd')
            from = n;
        else {
            from = n;
            to = b < 0 ? 0 : (size_t)b > l->count ? l->count : (size_t)b;
        }
        r = tp_gv_list(g);
        for (size_t i = from; i < to; i++)
            tp_glist_push(g, r.u.list, l->items[i]);
        *out = r;
        return OK;
    }
    if (strcmp(name, "inject") == 0) {
        if (body.kind != TP_GV_CLOSURE)
            return no_method(g, self, name, c->nargs);
        /* inject(initial) { acc, item -> }, or without initial from the first item */
        bool initial = c->nargs > 0 && c->args[0].kind != TP_GV_CLOSURE;
        if (!initial && l->count == 0) {
            *out = tp_gv_null();
            return OK;
        }
        struct tp_gv acc = initial ? c->args[0] : l->items[0];
        for (size_t i = initial ? 0 : 1; i < l->count; i++) {
            struct tp_gv args[2] = { acc, l->items[i] };
            rc = call_closure(g, body, args, 2, &acc);
            if (rc != OK)
                return rc;
        }
        *out = acc;
        return OK;
    }
    return no_method(g, self, name, c->nargs);
}

/* --- Map methods --- */

static int map_method(struct tp_groovy *g, struct tp_gv self, const char *name,
                      const struct tp_gcall *c, struct tp_gv *out)
{
    struct tp_gmap *m = self.u.map;
    struct tp_gv body = body_of(c), r;
    int rc;
    if (strcmp(name, "hasVariable") == 0)
        name = "containsKey"; /* the binding's methods, on the binding seen as a map */
    else if (strcmp(name, "getVariable") == 0)
        name = "get";
    else if (strcmp(name, "setVariable") == 0)
        name = "put";
    if (strcmp(name, "containsKey") == 0 || strcmp(name, "containsValue") == 0) {
        bool found = false;
        for (size_t i = 0; c->nargs > 0 && i < m->count && !found; i++)
            found = tp_gv_equals(name[8] == 'K' ? m->keys[i] : m->values[i], c->args[0]);
        *out = tp_gv_bool(found);
        return OK;
    }
    if (strcmp(name, "get") == 0 || strcmp(name, "getAt") == 0 ||
        strcmp(name, "getOrDefault") == 0) {
        if (c->nargs < 1)
            return no_method(g, self, name, 0);
        const struct tp_gv *v = tp_gmap_get(m, c->args[0]);
        *out = v != NULL ? *v : c->nargs > 1 ? c->args[1] : tp_gv_null();
        return OK;
    }
    if (strcmp(name, "put") == 0 || strcmp(name, "putAt") == 0) {
        if (c->nargs < 2)
            return no_method(g, self, name, c->nargs);
        const struct tp_gv *old = tp_gmap_get(m, c->args[0]);
        *out = old != NULL ? *old : tp_gv_null();
        tp_gmap_put(g, m, c->args[0], c->args[1]);
        return OK;
    }
    if (strcmp(name, "putAll") == 0) {
        if (c->nargs > 0 && c->args[0].kind == TP_GV_MAP) {
            struct tp_gmap *more = c->args[0].u.map;
            for (size_t i = 0; i < more->count; i++)
                tp_gmap_put(g, m, more->keys[i], more->values[i]);
        }
        *out = tp_gv_null();
        return OK;
    }
    if (strcmp(name, "remove") == 0) {
        *out = tp_gv_null();
        ssize_t i = c->nargs > 0 ? map_find(m, c->args[0]) : -1;
        if (i >= 0) {
            *out = m->values[i];
            map_remove(m, (size_t)i);
        }
        return OK;
    }
    if (strcmp(name, "sort") == 0 && body.kind != TP_GV_CLOSURE) {
        /* a new map, its entries in the natural order of their keys */
        struct tp_gv keys = tp_gv_list(g);
        for (size_t i = 0; i < m->count; i++)
            tp_glist_push(g, keys.u.list, m->keys[i]);
        rc = sort_list(g, keys.u.list, body);
        if (rc != OK)
            return rc;
        r = tp_gv_map(g);
        for (size_t i = 0; i < keys.u.list->count; i++)
            tp_gmap_put(g, r.u.map, keys.u.list->items[i], *tp_gmap_get(m, keys.u.list->items[i]));
        *out = r;
        return OK;
    }
    if (strcmp(name, "keySet") == 0 || strcmp(name, "values") == 0 ||
        strcmp(name, "entrySet") == 0) {
        r = tp_gv_list(g);
        for (size_t i = 0; i < m->count; i++) {
            if (name[0] == 'k') {
                tp_glist_push(g, r.u.list, m->keys[i]);
            } else if (name[0] == 'v') {
                tp_glist_push(g, r.u.list, m->values[i]);
            } else {
                struct tp_gv entry = tp_gv_map(g);
                tp_gmap_put(g, entry.u.map, tp_gv_cstr(g, "key"), m->keys[i]);
                tp_gmap_put(g, entry.u.map, tp_gv_cstr(g, "value"), m->values[i]);
                tp_glist_push(g, r.u.list, entry);
            }
        }
        *out = r;
        return OK;
    }
    if (strcmp(name, "each") == 0 || strcmp(name, "collect") == 0 || strcmp(name, "findAll") == 0 ||
        strcmp(name, "find") == 0 || strcmp(name, "any") == 0 || strcmp(name, "every") == 0 ||
        strcmp(name, "collectEntries") == 0 || strcmp(name, "count") == 0 ||
        strcmp(name, "eachWithIndex") == 0) {
        if (body.kind != TP_GV_CLOSURE)
            return no_method(g, self, name, c->nargs);
        r = name[0] == 'c' && name[1] == 'o' && name[7] == '\0' ? tp_gv_list(g) : tp_gv_map(g);
        if (strcmp(name, "collect") == 0)
            r = tp_gv_list(g);
        int64_t n = 0;
        size_t count = m->count;
        for (size_t i = 0; i < count && i < m->count; i++) {
            struct tp_gv key = m->keys[i], value = m->values[i], v;
            rc = call_entry(g, body, key, value, &v);
            if (rc != OK)
                return rc;
            if (strcmp(name, "collect") == 0) {
                tp_glist_push(g, r.u.list, v);
            } else if (strcmp(name, "collectEntries") == 0) {
                if (v.kind == TP_GV_MAP)
                    arith(g, TP_TOK_PLUS, r, v, &r);
                else if (v.kind == TP_GV_LIST && v.u.list->count == 2)
                    tp_gmap_put(g, r.u.map, v.u.list->items[0], v.u.list->items[1]);
            } else if (strcmp(name, "findAll") == 0 && tp_gv_truth(v)) {
                tp_gmap_put(g, r.u.map, key, value);
            } else if (strcmp(name, "find") == 0 && tp_gv_truth(v)) {
                struct tp_gv entry = tp_gv_map(g);
                tp_gmap_put(g, entry.u.map, tp_gv_cstr(g, "key"), key);
                tp_gmap_put(g, entry.u.map, tp_gv_cstr(g, "value"), value);
                *out = entry;
                return OK;
            } else if (strcmp(name, "any") == 0 && tp_gv_truth(v)) {
                *out = tp_gv_bool(true);
                return OK;
            } else if (strcmp(name, "every") == 0 && !tp_gv_truth(v)) {
                *out = tp_gv_bool(false);
                return OK;
            } else if (strcmp(name, "count") == 0) {
                n += tp_gv_truth(v);
            }
        }
        if (strcmp(name, "each") == 0 || strcmp(name, "eachWithIndex") == 0)
            *out = self;
        else if (strcmp(name, "find") == 0)
            *out = tp_gv_null();
        else if (strcmp(name, "any") == 0)
            *out = tp_gv_bool(false);
        else if (strcmp(name, "every") == 0)
            *out = tp_gv_bool(true);
        else if (strcmp(name, "count") == 0)
            *out = tp_gv_int(n);
        else
            *out = r;
        return OK;
    }
    if (strcmp(name, "plus") == 0 && c->nargs > 0)
        return arith(g, TP_TOK_PLUS, self, c->args[0], out);
    return no_method(g, self, name, c->nargs);
}
