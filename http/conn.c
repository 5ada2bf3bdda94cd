/* SPDX-License-Identifier: MIT */
#include "http/conn.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "common/err.h"
#include "common/str.h"

const struct tp_conn_limits tp_conn_default_limits = {
    .max_header_bytes = 64 * 1024,
    .max_body_bytes = 8 * 1024 * 1024,
    .max_headers = 100,
};

/* --- request and response helpers (declared in http.h) --- */

const char *tp_req_header(const struct tp_req *req, const char *name)
{
    for (size_t i = 0; i < req->nheaders; i++) {
        if (strcasecmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    }
    return NULL;
}

bool tp_req_query(const struct tp_req *req, const char *name, const char **value)
{
    struct tp_buf decoded;
    tp_buf_init(&decoded);
    bool found = tp_str_form_value(req->query, strlen(req->query), name, &decoded);
    if (found)
        *value = tp_arena_strndup(req->arena, tp_buf_str(&decoded), decoded.len);
    tp_buf_close(&decoded);
    return found;
}

void tp_resp_header(struct tp_resp *resp, const char *name, const char *fmt, ...)
{
    char value[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(value, sizeof(value), fmt, ap);
    va_end(ap);
    /* Header values never carry line breaks from anywhere. */
    for (char *p = value; *p; p++) {
        if (*p == '\r' || *p == '\n')
            *p = ' ';
    }
    tp_buf_printf(&resp->headers, "%s: %s\r\n", name, value);
}

int tp_resp_error(struct tp_resp *resp, int status, const char *fmt, ...)
{
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    resp->status = status;
    resp->content_type = "application/json;charset=UTF-8";
    tp_buf_reset(&resp->body);
    /* Jenkins' ErrorMessage, as Jackson pretty-prints it. */
    cJSON *text = cJSON_CreateString(message);
    char *quoted = cJSON_PrintUnformatted(text);
    tp_buf_printf(&resp->body, "{\n  \"message\" : %s,\n  \"code\" : %d,\n  \"errors\" : [ ]\n}",
                  quoted, status);
    free(quoted);
    cJSON_Delete(text);
    return 0;
}

/* --- llhttp callbacks --- */

static struct tp_conn *conn_of(llhttp_t *parser)
{
    return parser->data;
}

static int over_limit(struct tp_conn *conn, int status)
{
    conn->error_status = status;
    return -1;
}

static int count_header_bytes(struct tp_conn *conn, size_t len)
{
    conn->header_bytes += len;
    if (conn->header_bytes > conn->limits->max_header_bytes)
        return over_limit(conn, 413);
    return 0;
}

static int on_message_begin(llhttp_t *parser)
{
    struct tp_conn *conn = conn_of(parser);
    tp_arena_close(&conn->arena);
    tp_arena_init(&conn->arena);
    tp_buf_reset(&conn->url);
    tp_buf_reset(&conn->field);
    tp_buf_reset(&conn->value);
    tp_buf_reset(&conn->body);
    conn->headers = NULL;
    conn->nheaders = conn->cap_headers = 0;
    conn->header_bytes = 0;
    conn->last_was_value = false;
    return 0;
}

static int on_url(llhttp_t *parser, const char *at, size_t len)
{
    struct tp_conn *conn = conn_of(parser);
    if (count_header_bytes(conn, len) < 0)
        return -1;
    tp_buf_append(&conn->url, at, len);
    return 0;
}

static int push_header(struct tp_conn *conn)
{
    if (conn->nheaders >= conn->limits->max_headers)
        return over_limit(conn, 413);
    if (conn->nheaders == conn->cap_headers) {
        size_t cap = conn->cap_headers ? conn->cap_headers * 2 : 16;
        struct tp_header *items = tp_arena_alloc(&conn->arena, cap * sizeof(*items));
        if (conn->nheaders)
            memcpy(items, conn->headers, conn->nheaders * sizeof(*items));
        conn->headers = items;
        conn->cap_headers = cap;
    }
    conn->headers[conn->nheaders].name =
        tp_arena_strndup(&conn->arena, tp_buf_str(&conn->field), conn->field.len);
    conn->headers[conn->nheaders].value =
        tp_arena_strndup(&conn->arena, tp_buf_str(&conn->value), conn->value.len);
    conn->nheaders++;
    tp_buf_reset(&conn->field);
    tp_buf_reset(&conn->value);
    return 0;
}

static int on_header_field(llhttp_t *parser, const char *at, size_t len)
{
    struct tp_conn *conn = conn_of(parser);
    if (count_header_bytes(conn, len) < 0)
        return -1;
    if (conn->last_was_value && push_header(conn) < 0)
        return -1;
    conn->last_was_value = false;
    tp_buf_append(&conn->field, at, len);
    return 0;
}

static int on_header_value(llhttp_t *parser, const char *at, size_t len)
{
    struct tp_conn *conn = conn_of(parser);
    if (count_header_bytes(conn, len) < 0)
        return -1;
    conn->last_was_value = true;
    tp_buf_append(&conn->value, at, len);
    return 0;
}

static int on_headers_complete(llhttp_t *parser)
{
    struct tp_conn *conn = conn_of(parser);
    if (conn->last_was_value && push_header(conn) < 0)
        return -1;
    conn->last_was_value = false;
    if ((parser->flags & F_CONTENT_LENGTH) && parser->content_length > conn->limits->max_body_bytes)
        return over_limit(conn, 413);
    for (size_t i = 0; i < conn->nheaders; i++) {
        if (strcasecmp(conn->headers[i].name, "Expect") == 0 &&
            strcasecmp(conn->headers[i].value, "100-continue") == 0)
            tp_buf_puts(&conn->out, "HTTP/1.1 100 Continue\r\n\r\n");
    }
    return 0;
}

static int on_body(llhttp_t *parser, const char *at, size_t len)
{
    struct tp_conn *conn = conn_of(parser);
    if (conn->body.len + len > conn->limits->max_body_bytes)
        return over_limit(conn, 413);
    tp_buf_append(&conn->body, at, len);
    return 0;
}

static const char *reason(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 204:
        return "No Content";
    case 302:
        return "Found";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    default:
        return "Unknown";
    }
}

/* Serializes the status line and headers, then the body (or starts streaming it). */
static void write_response(struct tp_conn *conn, struct tp_resp *resp, bool head, bool close)
{
    struct tp_buf *out = &conn->out;
    int64_t length = resp->source ? resp->source_length : (int64_t)resp->body.len;
    tp_buf_printf(out, "HTTP/1.1 %d %s\r\n", resp->status, reason(resp->status));
    if (conn->app != NULL && conn->app->version != NULL) {
        tp_buf_printf(out, "X-Jenkins: %s\r\nX-Jenkins-Session: %s\r\n", conn->app->version,
                      conn->app->session ? conn->app->session : "");
    }
    if (resp->content_type != NULL)
        tp_buf_printf(out, "Content-Type: %s\r\n", resp->content_type);
    if (length >= 0)
        tp_buf_printf(out, "Content-Length: %lld\r\n", (long long)length);
    else
        close = true; /* an endless body ends with the connection */
    if (close)
        tp_buf_puts(out, "Connection: close\r\n");
    tp_buf_append(out, tp_buf_str(&resp->headers), resp->headers.len);
    tp_buf_puts(out, "\r\n");
    if (resp->source != NULL) {
        if (head || length == 0) {
            resp->source->free(resp->source);
        } else {
            conn->source = resp->source;
            conn->source_left = length;
            conn->close_after_stream = close;
            conn->phase = TP_CONN_STREAMING;
        }
        resp->source = NULL;
    } else if (!head) {
        tp_buf_append(out, tp_buf_str(&resp->body), resp->body.len);
    }
    if (close && conn->phase != TP_CONN_STREAMING)
        conn->phase = TP_CONN_CLOSING;
}

static void resp_init(struct tp_resp *resp)
{
    memset(resp, 0, sizeof(*resp));
    resp->status = 200;
    tp_buf_init(&resp->headers);
    tp_buf_init(&resp->body);
}

static void resp_close(struct tp_resp *resp)
{
    if (resp->source != NULL)
        resp->source->free(resp->source);
    tp_buf_close(&resp->headers);
    tp_buf_close(&resp->body);
}

static void answer_error(struct tp_conn *conn, int status, const char *message)
{
    struct tp_resp resp;
    resp_init(&resp);
    tp_resp_error(&resp, status, "%s", message);
    write_response(conn, &resp, false, true);
    resp_close(&resp);
}

static int on_message_complete(llhttp_t *parser)
{
    struct tp_conn *conn = conn_of(parser);
    struct tp_req req = { 0 };
    struct tp_resp resp;
    resp_init(&resp);
    req.arena = &conn->arena;
    req.app = conn->app;
    req.method = parser->method;
    req.head = parser->method == HTTP_HEAD;
    char *url = tp_arena_strndup(&conn->arena, tp_buf_str(&conn->url), conn->url.len);
    char *question = strchr(url, '?');
    if (question != NULL) {
        *question = '\0';
        req.query = question + 1;
    } else {
        req.query = "";
    }
    req.path = url;
    req.headers = conn->headers;
    req.nheaders = conn->nheaders;
    req.body = tp_arena_strndup(&conn->arena, tp_buf_str(&conn->body), conn->body.len);
    req.body_len = conn->body.len;

    int err = conn->handler(&req, &resp);
    if (err < 0)
        tp_resp_error(&resp, tp_err_http_status(err), "%s", tp_strerror(err));
    bool close = !llhttp_should_keep_alive(parser);
    write_response(conn, &resp, req.head, close);
    resp_close(&resp);
    if (conn->phase == TP_CONN_STREAMING) {
        /* A streamed body owns what it reads: the request's memory goes now, not when the
         * next request comes (an event stream may last for days with nothing after it). */
        tp_arena_close(&conn->arena);
        tp_arena_init(&conn->arena);
        conn->headers = NULL;
        conn->nheaders = conn->cap_headers = 0;
        tp_buf_close(&conn->url);
        tp_buf_close(&conn->body);
    }
    if (conn->phase == TP_CONN_STREAMING || conn->phase == TP_CONN_CLOSING)
        return HPE_PAUSED;
    return 0;
}

static const llhttp_settings_t settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

void tp_conn_init(struct tp_conn *conn, const struct tp_conn_limits *limits,
                  tp_conn_handler handler, struct tp_app *app)
{
    memset(conn, 0, sizeof(*conn));
    llhttp_init(&conn->parser, HTTP_REQUEST, &settings);
    conn->parser.data = conn;
    conn->limits = limits;
    conn->handler = handler;
    conn->app = app;
    tp_arena_init(&conn->arena);
    tp_buf_init(&conn->out);
    tp_buf_init(&conn->input);
    tp_buf_init(&conn->url);
    tp_buf_init(&conn->field);
    tp_buf_init(&conn->value);
    tp_buf_init(&conn->body);
}

void tp_conn_close(struct tp_conn *conn)
{
    if (conn->source != NULL)
        conn->source->free(conn->source);
    conn->source = NULL;
    tp_arena_close(&conn->arena);
    tp_buf_close(&conn->out);
    tp_buf_close(&conn->input);
    tp_buf_close(&conn->url);
    tp_buf_close(&conn->field);
    tp_buf_close(&conn->value);
    tp_buf_close(&conn->body);
}

static void execute(struct tp_conn *conn, const char *data, size_t len)
{
    llhttp_errno_t err = llhttp_execute(&conn->parser, data, len);
    if (err == HPE_OK)
        return;
    if (err == HPE_PAUSED) {
        /* A response paused parsing: keep what follows for later. */
        const char *pos = llhttp_get_error_pos(&conn->parser);
        if (conn->phase == TP_CONN_STREAMING && pos != NULL && pos >= data && pos < data + len)
            tp_buf_append(&conn->input, pos, (size_t)(data + len - pos));
        llhttp_resume(&conn->parser);
        return;
    }
    if (err == HPE_PAUSED_UPGRADE) {
        conn->phase = TP_CONN_CLOSING;
        return;
    }
    if (conn->phase == TP_CONN_CLOSING)
        return;
    if (conn->error_status == 413)
        answer_error(conn, 413, "Request is larger than this server accepts");
    else
        answer_error(conn, 400, "Bad Request: malformed HTTP");
}

int tp_conn_feed(struct tp_conn *conn, const char *data, size_t len)
{
    switch (conn->phase) {
    case TP_CONN_CLOSING:
        return 0;
    case TP_CONN_STREAMING:
        if (conn->input.len + len <= conn->limits->max_header_bytes + conn->limits->max_body_bytes)
            tp_buf_append(&conn->input, data, len);
        else
            conn->phase = TP_CONN_CLOSING;
        return 0;
    case TP_CONN_READING:
        execute(conn, data, len);
        return 0;
    }
    return 0;
}

int tp_conn_pull(struct tp_conn *conn, size_t max)
{
    if (conn->phase != TP_CONN_STREAMING)
        return 0;
    size_t before = conn->out.len;
    int done = conn->source->read(conn->source, &conn->out, max);
    if (conn->source_left < 0) {
        /* endless: it goes on until the source ends it or the connection closes */
        if (done == 0)
            return 0;
        conn->source->free(conn->source);
        conn->source = NULL;
        conn->phase = TP_CONN_CLOSING;
        return 0;
    }
    conn->source_left -= (int64_t)(conn->out.len - before);
    if (done < 0 || (done == 1 && conn->source_left != 0)) {
        /* The body could not be produced as announced: the connection cannot go on. */
        conn->source->free(conn->source);
        conn->source = NULL;
        conn->phase = TP_CONN_CLOSING;
        return 0;
    }
    if (done == 0 && conn->source_left > 0)
        return 0;
    conn->source->free(conn->source);
    conn->source = NULL;
    if (conn->close_after_stream) {
        conn->phase = TP_CONN_CLOSING;
        return 0;
    }
    conn->phase = TP_CONN_READING;
    if (conn->input.len > 0) {
        size_t len = conn->input.len;
        char *pending = tp_buf_take(&conn->input);
        execute(conn, pending, len);
        free(pending);
    }
    return 0;
}

void tp_conn_eof(struct tp_conn *conn)
{
    if (conn->phase == TP_CONN_READING)
        llhttp_finish(&conn->parser);
    conn->phase = TP_CONN_CLOSING;
}
