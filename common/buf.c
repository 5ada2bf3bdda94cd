/* SPDX-License-Identifier: MIT */
#include "common/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"

void tp_buf_init(struct tp_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void tp_buf_close(struct tp_buf *b)
{
    free(b->data);
    tp_buf_init(b);
}

void tp_buf_reset(struct tp_buf *b)
{
    b->len = 0;
    if (b->data != NULL)
        b->data[0] = '\0';
}

void tp_buf_reserve(struct tp_buf *b, size_t extra)
{
    if (b->cap - b->len > extra)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap - b->len <= extra)
        cap *= 2;
    b->data = tp_xrealloc(b->data, cap);
    b->cap = cap;
}

void tp_buf_append(struct tp_buf *b, const void *data, size_t len)
{
    tp_buf_reserve(b, len);
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void tp_buf_puts(struct tp_buf *b, const char *s)
{
    tp_buf_append(b, s, strlen(s));
}

void tp_buf_putc(struct tp_buf *b, char c)
{
    tp_buf_append(b, &c, 1);
}

void tp_buf_printf(struct tp_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    tp_buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void tp_buf_consume(struct tp_buf *b, size_t n)
{
    if (n >= b->len) {
        tp_buf_reset(b);
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    b->data[b->len] = '\0';
}

const char *tp_buf_str(const struct tp_buf *b)
{
    return b->data != NULL ? b->data : "";
}

char *tp_buf_take(struct tp_buf *b)
{
    char *p = b->data != NULL ? b->data : tp_xstrdup("");
    tp_buf_init(b);
    return p;
}
