/* SPDX-License-Identifier: MIT */
#include "engine/linebuf.h"

#include <string.h>

void tp_linebuf_init(struct tp_linebuf *lb)
{
    tp_buf_init(&lb->pending);
}

void tp_linebuf_close(struct tp_linebuf *lb)
{
    tp_buf_close(&lb->pending);
}

void tp_linebuf_feed(struct tp_linebuf *lb, const char *data, size_t len, tp_linebuf_emit_fn emit,
                     void *ctx)
{
    tp_buf_append(&lb->pending, data, len);
    struct tp_buf *p = &lb->pending;
    /* Emit up to and including the last '\n'. */
    size_t cut = 0;
    for (size_t i = p->len; i > 0; i--) {
        if (p->data[i - 1] == '\n') {
            cut = i;
            break;
        }
    }
    if (cut == 0 && p->len >= TP_LINEBUF_MAX) {
        /* An endless line: cut it, but never right after a '\r'. */
        cut = TP_LINEBUF_MAX;
        if (p->data[cut - 1] == '\r')
            cut--;
    }
    if (cut > 0) {
        emit(ctx, p->data, cut);
        tp_buf_consume(p, cut);
    }
}

bool tp_linebuf_finish(struct tp_linebuf *lb, tp_linebuf_emit_fn emit, void *ctx)
{
    struct tp_buf *p = &lb->pending;
    if (p->len == 0)
        return false;
    tp_buf_putc(p, '\n');
    emit(ctx, p->data, p->len);
    tp_buf_reset(p);
    return true;
}
