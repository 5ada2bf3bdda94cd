/* SPDX-License-Identifier: MIT */
#include "common/mem.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t size)
{
    fprintf(stderr, "tidepool: out of memory allocating %zu bytes\n", size);
    abort();
}

void *tp_xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (p == NULL)
        oom(size);
    return p;
}

void *tp_xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (p == NULL)
        oom(count * size);
    return p;
}

void *tp_xrealloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (p == NULL)
        oom(size);
    return p;
}

char *tp_xstrdup(const char *s)
{
    return tp_xstrndup(s, strlen(s));
}

char *tp_xstrndup(const char *s, size_t len)
{
    char *p = tp_xmalloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

struct tp_arena_block {
    struct tp_arena_block *next;
    max_align_t data[];
};

enum {
    ARENA_BLOCK = 8192
};

void tp_arena_init(struct tp_arena *a)
{
    memset(a, 0, sizeof(*a));
}

void tp_arena_close(struct tp_arena *a)
{
    struct tp_arena_block *b = a->head;
    while (b != NULL) {
        struct tp_arena_block *next = b->next;
        free(b);
        b = next;
    }
    memset(a, 0, sizeof(*a));
}

void *tp_arena_alloc(struct tp_arena *a, size_t size)
{
    const size_t align = _Alignof(max_align_t);
    size = (size + align - 1) / align * align;
    if (size == 0)
        size = align;
    if (a->head == NULL || a->cap - a->used < size) {
        size_t cap = size > ARENA_BLOCK ? size : ARENA_BLOCK;
        struct tp_arena_block *b = tp_xmalloc(sizeof(*b) + cap);
        b->next = a->head;
        a->head = b;
        a->used = 0;
        a->cap = cap;
    }
    void *p = (char *)a->head->data + a->used;
    a->used += size;
    a->total += size;
    memset(p, 0, size);
    return p;
}

char *tp_arena_strndup(struct tp_arena *a, const char *s, size_t len)
{
    char *p = tp_arena_alloc(a, len + 1);
    if (len)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *tp_arena_strdup(struct tp_arena *a, const char *s)
{
    return tp_arena_strndup(a, s, strlen(s));
}

void *tp_arena_grow(struct tp_arena *a, void *items, size_t count, size_t *cap, size_t size)
{
    if (count < *cap)
        return items;
    size_t new_cap = *cap ? *cap * 2 : 8;
    void *bigger = tp_arena_alloc(a, new_cap * size);
    if (count)
        memcpy(bigger, items, count * size);
    *cap = new_cap;
    return bigger;
}

char *tp_arena_printf(struct tp_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    char *p = tp_arena_alloc(a, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}
