/* SPDX-License-Identifier: MIT */
/*
 * Cuts a child's output into whole lines for the log. Pure and bounded: a line longer than
 * TP_LINEBUF_MAX is cut there; a chunk never ends between '\r' and '\n' (so the store can
 * count lone '\n' per chunk for the CRLF view).
 */
#ifndef TP_ENGINE_LINEBUF_H
#define TP_ENGINE_LINEBUF_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"

enum {
    TP_LINEBUF_MAX = 64 * 1024
};

struct tp_linebuf {
    struct tp_buf pending; /* bytes of an unfinished line */
};

void tp_linebuf_init(struct tp_linebuf *lb);
void tp_linebuf_close(struct tp_linebuf *lb);

/* Emits (via `emit`) the complete lines among pending + data, keeping the rest. */
typedef void (*tp_linebuf_emit_fn)(void *ctx, const char *data, size_t len);
void tp_linebuf_feed(struct tp_linebuf *lb, const char *data, size_t len, tp_linebuf_emit_fn emit,
                     void *ctx);
/* Emits whatever is pending, adding a '\n' when it did not end with one. Returns whether a
 * newline had to be added. */
bool tp_linebuf_finish(struct tp_linebuf *lb, tp_linebuf_emit_fn emit, void *ctx);

#endif
