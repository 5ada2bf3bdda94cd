/* SPDX-License-Identifier: MIT */
#include "http/server.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/mem.h"

enum {
    IDLE_TIMEOUT_MS = 120 * 1000, /* a connection silent this long is closed */
    PULL_BYTES = 256 * 1024,      /* streamed bodies are produced this much at a time */
};

struct client {
    uv_tcp_t tcp;
    uv_timer_t idle;
    uv_write_t write_req;
    struct tp_conn conn;
    struct tp_buf writing; /* bytes handed to uv_write, kept alive until it completes */
    bool is_writing;
    bool closing;
    int pending_closes;
    struct tp_server *server;
    struct client *prev, *next;
};

struct tp_server {
    uv_tcp_t listener;
    uv_loop_t *loop;
    tp_conn_handler handler;
    struct tp_app *app;
    struct client *clients;
    bool stopping;
    int port;
};

static void on_client_closed(uv_handle_t *handle)
{
    struct client *client = handle->data;
    if (--client->pending_closes > 0)
        return;
    tp_conn_close(&client->conn);
    tp_buf_close(&client->writing);
    free(client);
}

static void client_close(struct client *client)
{
    if (client->closing)
        return;
    client->closing = true;
    struct tp_server *server = client->server;
    if (client->prev != NULL)
        client->prev->next = client->next;
    else
        server->clients = client->next;
    if (client->next != NULL)
        client->next->prev = client->prev;
    client->pending_closes = 2;
    uv_close((uv_handle_t *)&client->tcp, on_client_closed);
    uv_close((uv_handle_t *)&client->idle, on_client_closed);
}

static void flush(struct client *client);

static void on_write(uv_write_t *req, int status)
{
    struct client *client = req->data;
    client->is_writing = false;
    tp_buf_reset(&client->writing);
    if (client->closing)
        return;
    if (status < 0) {
        client_close(client);
        return;
    }
    flush(client);
}

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    (void)handle;
    static char slab[65536]; /* one loop thread: a single read buffer is enough */
    (void)suggested;
    buf->base = slab;
    buf->len = sizeof(slab);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);

static void on_wake(void *ctx)
{
    flush(ctx);
}

/* Writes what the connection produced; pulls more of a streamed body; closes when done. */
static void flush(struct client *client)
{
    if (client->is_writing || client->closing)
        return;
    struct tp_conn *conn = &client->conn;
    if (conn->source != NULL && conn->source->wake == NULL) {
        conn->source->wake = on_wake; /* an endless body says when it has more */
        conn->source->wake_ctx = client;
    }
    if (conn->out.len == 0 && conn->phase == TP_CONN_STREAMING)
        tp_conn_pull(conn, PULL_BYTES);
    if (conn->out.len > 0) {
        /* Swap buffers: `writing` keeps the bytes until the write completes. */
        struct tp_buf tmp = client->writing;
        client->writing = conn->out;
        conn->out = tmp;
        tp_buf_reset(&conn->out);
        uv_buf_t buf = uv_buf_init(client->writing.data, (unsigned)client->writing.len);
        client->is_writing = true;
        client->write_req.data = client;
        if (uv_write(&client->write_req, (uv_stream_t *)&client->tcp, &buf, 1, on_write) < 0) {
            client->is_writing = false;
            client_close(client);
        }
        return;
    }
    if (conn->phase == TP_CONN_CLOSING) {
        client_close(client);
        return;
    }
    if (conn->phase == TP_CONN_READING && !uv_is_active((uv_handle_t *)&client->tcp))
        uv_read_start((uv_stream_t *)&client->tcp, on_alloc, on_read);
}

static void on_idle(uv_timer_t *timer)
{
    struct client *client = timer->data;
    if (!client->is_writing && client->conn.phase != TP_CONN_STREAMING)
        client_close(client);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    struct client *client = stream->data;
    if (nread == 0)
        return;
    if (nread < 0) {
        tp_conn_eof(&client->conn);
        uv_read_stop(stream);
        flush(client);
        return;
    }
    uv_timer_again(&client->idle);
    tp_conn_feed(&client->conn, buf->base, (size_t)nread);
    /* While a body streams out, later requests wait: stop reading until it is done. An
     * endless body is the connection's last: reading goes on, to see the peer leave. */
    bool endless = client->conn.phase == TP_CONN_STREAMING && client->conn.source_left < 0;
    if (client->conn.phase != TP_CONN_READING && !endless)
        uv_read_stop(stream);
    flush(client);
}

static void on_connection(uv_stream_t *listener, int status)
{
    struct tp_server *server = listener->data;
    if (status < 0) {
        tp_log(TP_LOG_WARN, "http", "accept failed: %s", uv_strerror(status));
        return;
    }
    struct client *client = tp_xcalloc(1, sizeof(*client));
    client->server = server;
    uv_tcp_init(server->loop, &client->tcp);
    client->tcp.data = client;
    if (uv_accept(listener, (uv_stream_t *)&client->tcp) < 0) {
        client->pending_closes = 1;
        client->closing = true;
        uv_close((uv_handle_t *)&client->tcp, on_client_closed);
        return;
    }
    uv_tcp_nodelay(&client->tcp, 1);
    uv_timer_init(server->loop, &client->idle);
    client->idle.data = client;
    uv_timer_start(&client->idle, on_idle, IDLE_TIMEOUT_MS, IDLE_TIMEOUT_MS);
    tp_conn_init(&client->conn, &tp_conn_default_limits, server->handler, server->app);
    tp_buf_init(&client->writing);
    client->next = server->clients;
    if (server->clients != NULL)
        server->clients->prev = client;
    server->clients = client;
    uv_read_start((uv_stream_t *)&client->tcp, on_alloc, on_read);
}

static void on_listener_closed(uv_handle_t *handle)
{
    free(handle->data);
}

int tp_server_start(uv_loop_t *loop, const char *bind, int port, tp_conn_handler handler,
                    struct tp_app *app, struct tp_server **out)
{
    struct sockaddr_storage addr;
    int r = uv_ip4_addr(bind, port, (struct sockaddr_in *)&addr);
    if (r < 0)
        r = uv_ip6_addr(bind, port, (struct sockaddr_in6 *)&addr);
    if (r < 0)
        return r;
    struct tp_server *server = tp_xcalloc(1, sizeof(*server));
    server->loop = loop;
    server->handler = handler;
    server->app = app;
    uv_tcp_init(loop, &server->listener);
    server->listener.data = server;
    r = uv_tcp_bind(&server->listener, (const struct sockaddr *)&addr, 0);
    if (r == 0)
        r = uv_listen((uv_stream_t *)&server->listener, 511, on_connection);
    if (r < 0) {
        uv_close((uv_handle_t *)&server->listener, on_listener_closed);
        return r;
    }
    struct sockaddr_storage bound;
    int len = sizeof(bound);
    uv_tcp_getsockname(&server->listener, (struct sockaddr *)&bound, &len);
    server->port = bound.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&bound)->sin6_port)
                                               : ntohs(((struct sockaddr_in *)&bound)->sin_port);
    *out = server;
    return 0;
}

int tp_server_port(const struct tp_server *server)
{
    return server->port;
}

void tp_server_stop(struct tp_server *server)
{
    if (server->stopping)
        return;
    server->stopping = true;
    while (server->clients != NULL)
        client_close(server->clients);
    uv_close((uv_handle_t *)&server->listener, on_listener_closed);
}
