/* SPDX-License-Identifier: MIT */
#include "http/logview.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/str.h"
#include "store/store.h"

/* A streamed range of one log: raw bytes [pos, end) then an optional trailer. */
struct segment {
    int64_t step_id;
    int64_t pos, end;
    char *trailer; /* sent as is after the bytes (error text + "\n"), may be NULL */
    size_t trailer_sent;
};

struct log_source {
    struct tp_body_source base;
    struct tp_store *store;
    int64_t run_id;
    bool raw; /* bytes as stored (the classic API), not '\n' as CRLF (Blue Ocean) */
    struct segment *segments;
    size_t nsegments, current;
};

struct copy_ctx {
    bool raw;
    struct segment *seg;
    struct tp_buf *out;
    size_t max;
    size_t start_len;
};

/* Copies chunk bytes within [seg->pos, seg->end) to out, '\n' alone becoming "\r\n". */
static int copy_chunk(void *ctx, const struct tp_log_chunk *chunk)
{
    struct copy_ctx *c = ctx;
    struct segment *seg = c->seg;
    int64_t from = seg->pos - chunk->offset;
    if (from < 0 || from >= (int64_t)chunk->len)
        return from < 0 ? 1 : 0;
    int64_t to = (int64_t)chunk->len;
    if (chunk->offset + to > seg->end)
        to = seg->end - chunk->offset;
    if (c->raw) {
        tp_buf_append(c->out, chunk->data + from, (size_t)(to - from));
    } else {
        for (int64_t i = from; i < to; i++) {
            char ch = chunk->data[i];
            if (ch == '\n' && (i == 0 || chunk->data[i - 1] != '\r'))
                tp_buf_putc(c->out, '\r');
            tp_buf_putc(c->out, ch);
        }
    }
    seg->pos = chunk->offset + to;
    if (seg->pos >= seg->end || c->out->len - c->start_len >= c->max)
        return 1;
    return 0;
}

static int source_read(struct tp_body_source *base, struct tp_buf *out, size_t max)
{
    struct log_source *src = (struct log_source *)base;
    size_t start_len = out->len;
    while (src->current < src->nsegments && out->len - start_len < max) {
        struct segment *seg = &src->segments[src->current];
        if (seg->pos < seg->end) {
            int64_t before = seg->pos;
            struct copy_ctx ctx = {
                .raw = src->raw, .seg = seg, .out = out, .max = max, .start_len = start_len
            };
            if (tp_store_log_read(src->store, src->run_id, seg->step_id, seg->pos, 16, copy_chunk,
                                  &ctx) < 0)
                return -1;
            if (seg->pos == before)
                return -1; /* the stored log is shorter than measured: cannot go on */
            continue;
        }
        if (seg->trailer != NULL) {
            tp_buf_puts(out, seg->trailer + seg->trailer_sent);
            seg->trailer_sent = strlen(seg->trailer);
        }
        src->current++;
    }
    return src->current == src->nsegments ? 1 : 0;
}

static void source_free(struct tp_body_source *base)
{
    struct log_source *src = (struct log_source *)base;
    for (size_t i = 0; i < src->nsegments; i++)
        free(src->segments[i].trailer);
    free(src->segments);
    free(src);
}

static struct log_source *source_new(struct tp_store *store, int64_t run_id, size_t nsegments)
{
    struct log_source *src = tp_xcalloc(1, sizeof(*src));
    src->base.read = source_read;
    src->base.free = source_free;
    src->store = store;
    src->run_id = run_id;
    src->segments = tp_xcalloc(nsegments ? nsegments : 1, sizeof(*src->segments));
    src->nsegments = nsegments;
    return src;
}

static int parse_number(const char *text, int64_t *out)
{
    return tp_str_to_i64(text, strlen(text), out);
}

static void set_text_headers(struct tp_req *req, struct tp_resp *resp)
{
    const char *download;
    resp->content_type = "text/plain;charset=UTF-8";
    if (tp_req_query(req, "download", &download) && strcmp(download, "true") == 0)
        tp_resp_header(resp, "Content-Disposition", "attachment; filename=log.txt");
}

int tp_logview_respond(struct tp_req *req, struct tp_resp *resp, struct tp_store *store,
                       int64_t run_id, int64_t step_id, bool complete, const char *error)
{
    const char *text;
    int64_t start = -1, threshold_kb = 150, total_raw, total_lf;
    if (tp_req_query(req, "start", &text) && parse_number(text, &start) < 0)
        return tp_resp_error(resp, 400, "start must be a number");
    if (start < -1)
        return tp_resp_error(resp, 400, "start must not be negative");
    if (tp_req_query(req, "thresholdInKB", &text) &&
        (parse_number(text, &threshold_kb) < 0 || threshold_kb < 0))
        return tp_resp_error(resp, 400, "thresholdInKB must be a non-negative number");
    int err = tp_store_log_measure(store, run_id, step_id, 0, &total_raw, &total_lf);
    if (err < 0)
        return err;
    if (step_id != 0 && total_raw == 0 && (error == NULL || !complete))
        return tp_resp_error(resp, 404, "Step %lld has no log", (long long)step_id);
    if (start < 0)
        start = total_raw > threshold_kb * 1024 ? total_raw - threshold_kb * 1024 : 0;

    int64_t raw = 0, lf = 0;
    if (start < total_raw) {
        err = tp_store_log_measure(store, run_id, step_id, start, &raw, &lf);
        if (err < 0)
            return err;
    }
    struct log_source *src = source_new(store, run_id, 1);
    src->segments[0] = (struct segment){ .step_id = step_id, .pos = start, .end = start + raw };
    int64_t length = raw + lf, text_size = start + raw;
    /* A finished step log ends with the error that ended its step (plain '\n'). */
    if (complete && error != NULL && step_id != 0 && start <= total_raw) {
        size_t n = strlen(error);
        src->segments[0].trailer = tp_xmalloc(n + 2);
        memcpy(src->segments[0].trailer, error, n);
        memcpy(src->segments[0].trailer + n, "\n", 2);
        length += (int64_t)n + 1;
        text_size += (int64_t)n + 1;
    }
    set_text_headers(req, resp);
    tp_resp_header(resp, "X-Text-Size", "%lld", (long long)text_size);
    tp_resp_header(resp, "X-Text-Delivered", "%lld", (long long)(text_size - start));
    if (!complete)
        tp_resp_header(resp, "X-More-Data", "true");
    resp->source = &src->base;
    resp->source_length = length;
    return 0;
}

int tp_logview_respond_raw(struct tp_req *req, struct tp_resp *resp, struct tp_store *store,
                           int64_t run_id, int64_t start, bool progressive, bool complete)
{
    (void)req;
    int64_t total_raw = 0, total_lf = 0, raw = 0, lf = 0;
    int err = tp_store_log_measure(store, run_id, 0, 0, &total_raw, &total_lf);
    if (err < 0)
        return err;
    if (start > total_raw)
        start = total_raw;
    if (start < total_raw) {
        err = tp_store_log_measure(store, run_id, 0, start, &raw, &lf);
        if (err < 0)
            return err;
    }
    struct log_source *src = source_new(store, run_id, 1);
    src->raw = true;
    src->segments[0] = (struct segment){ .step_id = 0, .pos = start, .end = start + raw };
    resp->content_type = "text/plain;charset=utf-8";
    if (progressive) {
        tp_resp_header(resp, "X-Text-Size", "%lld", (long long)(start + raw));
        if (!complete)
            tp_resp_header(resp, "X-More-Data", "true");
    }
    resp->source = &src->base;
    resp->source_length = raw;
    return 0;
}

int tp_logview_respond_html(struct tp_req *req, struct tp_resp *resp, struct tp_store *store,
                            int64_t run_id, int64_t start, bool complete)
{
    (void)req;
    int64_t total_raw = 0, total_lf = 0, raw = 0, lf = 0;
    int err = tp_store_log_measure(store, run_id, 0, 0, &total_raw, &total_lf);
    if (err < 0)
        return err;
    if (start > total_raw)
        start = total_raw;
    if (start < total_raw) {
        err = tp_store_log_measure(store, run_id, 0, start, &raw, &lf);
        if (err < 0)
            return err;
    }
    /* the text is escaped in memory, so one answer carries a bounded part of it; the
     * client asks again from X-Text-Size for the rest */
    bool more = false;
    if (raw > TP_LOGVIEW_HTML_MAX) {
        raw = TP_LOGVIEW_HTML_MAX;
        more = true;
    }
    struct log_source *src = source_new(store, run_id, 1);
    src->raw = true;
    src->segments[0] = (struct segment){ .step_id = 0, .pos = start, .end = start + raw };
    struct tp_buf text;
    tp_buf_init(&text);
    int done = 0;
    while (done == 0 && (int64_t)text.len < raw)
        done = src->base.read(&src->base, &text, 64 * 1024);
    source_free(&src->base);
    if (done < 0) {
        tp_buf_close(&text);
        return TP_EDB;
    }
    /* a part ends at a line's end when it can, so no line is split between answers */
    if (more) {
        size_t end = text.len;
        while (end > 0 && text.data[end - 1] != '\n')
            end--;
        if (end > 0)
            text.len = end;
    }
    for (size_t i = 0; i < text.len; i++) {
        char c = text.data[i];
        if (c == '<')
            tp_buf_puts(&resp->body, "&lt;");
        else if (c == '>')
            tp_buf_puts(&resp->body, "&gt;");
        else if (c == '&')
            tp_buf_puts(&resp->body, "&amp;");
        else
            tp_buf_putc(&resp->body, c);
    }
    resp->content_type = "text/html;charset=utf-8";
    tp_resp_header(resp, "X-Text-Size", "%lld", (long long)(start + (int64_t)text.len));
    if (!complete || more)
        tp_resp_header(resp, "X-More-Data", "true");
    /* Jenkins' annotator state, which clients send back as they got it */
    tp_resp_header(resp, "X-ConsoleAnnotator", "dGlkZXBvb2w6cGxhaW4=");
    tp_buf_close(&text);
    return 0;
}

int tp_logview_respond_node(struct tp_req *req, struct tp_resp *resp, struct tp_store *store,
                            int64_t run_id, const struct tp_logview_part *parts, size_t nparts)
{
    struct log_source *src = source_new(store, run_id, nparts);
    int64_t length = 0, text_size = 0;
    for (size_t i = 0; i < nparts; i++) {
        int64_t raw, lf;
        int err = tp_store_log_measure(store, run_id, parts[i].step_id, 0, &raw, &lf);
        if (err < 0) {
            source_free(&src->base);
            return err;
        }
        struct segment *seg = &src->segments[i];
        seg->step_id = parts[i].step_id;
        seg->end = raw;
        length += raw + lf;
        text_size += raw;
        if (parts[i].error != NULL) {
            size_t n = strlen(parts[i].error);
            seg->trailer = tp_xmalloc(n + 2);
            memcpy(seg->trailer, parts[i].error, n);
            memcpy(seg->trailer + n, "\n", 2);
            length += (int64_t)n + 1;
            text_size += (int64_t)n + 1;
        }
    }
    set_text_headers(req, resp);
    if (text_size > 0)
        tp_resp_header(resp, "X-Text-Size", "%lld", (long long)text_size);
    resp->source = &src->base;
    resp->source_length = length;
    return 0;
}
