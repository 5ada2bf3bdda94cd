/* SPDX-License-Identifier: MIT */
/*
 * One HTTP/1.1 connection, sans I/O: bytes in (tp_conn_feed), response bytes out (the `out`
 * buffer). llhttp parses; every size from the peer is bounded (header bytes, body) and
 * over-size input gets a 413, malformed input a 400, and then the connection closes.
 * Keep-alive and pipelining work; a streamed body pauses parsing of further requests until
 * it is done (tp_conn_pull). Used the same way by the server, the unit tests and the fuzzer.
 */
#ifndef TP_HTTP_CONN_H
#define TP_HTTP_CONN_H

#include <stdbool.h>
#include <stddef.h>

#include <llhttp.h>

#include "common/buf.h"
#include "common/mem.h"
#include "http/http.h"

struct tp_conn_limits {
    size_t max_header_bytes; /* request line + headers */
    size_t max_body_bytes;
    size_t max_headers;
};

/* Produces the response for one complete request. Returns 0 or an error code, which the
 * connection turns into a JSON error body. */
typedef int (*tp_conn_handler)(struct tp_req *req, struct tp_resp *resp);

enum conn_phase {
    TP_CONN_READING,   /* parsing requests */
    TP_CONN_STREAMING, /* a streamed body is being produced; input waits */
    TP_CONN_CLOSING    /* flush `out`, then close */
};

struct tp_conn {
    llhttp_t parser;
    const struct tp_conn_limits *limits;
    tp_conn_handler handler;
    struct tp_app *app;
    enum conn_phase phase;
    struct tp_buf out;   /* response bytes waiting to be written */
    struct tp_buf input; /* received bytes not parsed yet (while streaming) */

    /* The request being parsed. */
    struct tp_arena arena;
    struct tp_buf url;
    struct tp_buf field;
    struct tp_buf value;
    struct tp_buf body;
    struct tp_header *headers;
    size_t nheaders, cap_headers;
    size_t header_bytes;
    bool last_was_value;
    int error_status; /* a limit was exceeded: answer with this and close */

    /* The response being streamed. */
    struct tp_body_source *source;
    int64_t source_left; /* < 0: an endless body */
    bool close_after_stream;
};

extern const struct tp_conn_limits tp_conn_default_limits;

void tp_conn_init(struct tp_conn *conn, const struct tp_conn_limits *limits,
                  tp_conn_handler handler, struct tp_app *app);
void tp_conn_close(struct tp_conn *conn);

/*
 * Parses `len` received bytes, answering every complete request into conn->out.
 * Returns 0; afterwards conn->phase says whether to close once `out` is written.
 */
int tp_conn_feed(struct tp_conn *conn, const char *data, size_t len);
/*
 * While streaming: appends up to about `max` more body bytes to `out`; when the body is
 * complete, goes back to parsing any input that waited. Returns 0.
 */
int tp_conn_pull(struct tp_conn *conn, size_t max);
/* The peer closed its side: nothing more will be fed. */
void tp_conn_eof(struct tp_conn *conn);

#endif
