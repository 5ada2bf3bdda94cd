/* SPDX-License-Identifier: MIT */
/*
 * A growable byte buffer. The caller owns the struct (tp_buf_init / tp_buf_close); data is
 * always NUL-terminated so it can be used as a C string. Callers that take bytes from outside
 * check their own limits before appending (see tp_buf_room).
 */
#ifndef TP_COMMON_BUF_H
#define TP_COMMON_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct tp_buf {
    char *data; /* NUL-terminated, or NULL while empty and never grown */
    size_t len;
    size_t cap;
};

void tp_buf_init(struct tp_buf *b);
void tp_buf_close(struct tp_buf *b);
/* Empties the buffer, keeping its memory. */
void tp_buf_reset(struct tp_buf *b);
void tp_buf_reserve(struct tp_buf *b, size_t extra);
void tp_buf_append(struct tp_buf *b, const void *data, size_t len);
void tp_buf_puts(struct tp_buf *b, const char *s);
void tp_buf_putc(struct tp_buf *b, char c);
void tp_buf_printf(struct tp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Removes the first n bytes. */
void tp_buf_consume(struct tp_buf *b, size_t n);
/* Returns the data as a C string ("" when empty); borrowed until the next mutation. */
const char *tp_buf_str(const struct tp_buf *b);
/* Hands the data to the caller (free() it) and leaves the buffer empty. */
char *tp_buf_take(struct tp_buf *b);

#endif
