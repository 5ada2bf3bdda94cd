/* SPDX-License-Identifier: MIT */
/*
 * A small HTTP load client for the benchmarks (what wrk would do): C keep-alive connections,
 * each sending one GET at a time for a number of seconds; prints requests per second and
 * latency percentiles. Every response must be 200 with a Content-Length.
 *
 *   tp_load PORT PATH [CONNECTIONS=64] [SECONDS=3]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

enum {
    MAX_LATENCIES = 1 << 24,
    BUFFER = 1 << 20
};

struct conn {
    uv_tcp_t tcp;
    uv_connect_t connect;
    uv_write_t write;
    char *in;
    size_t len;
    uint64_t sent_ns;
};

static struct {
    uv_loop_t *loop;
    char request[4096];
    size_t request_len;
    uint64_t *latencies;
    size_t count, errors;
    int stopping;
    uint64_t start_ns, end_ns;
} bench;

static void send_request(struct conn *c);

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    struct conn *c = handle->data;
    (void)suggested;
    buf->base = c->in + c->len;
    buf->len = BUFFER - c->len;
}

/* A whole response in c->in: its length, or 0 when more is needed. */
static size_t response_length(const struct conn *c)
{
    const char *end = memmem(c->in, c->len, "\r\n\r\n", 4);
    if (end == NULL)
        return 0;
    const char *cl = memmem(c->in, (size_t)(end - c->in), "Content-Length:", 15);
    if (cl == NULL)
        return 0;
    size_t body = strtoul(cl + 15, NULL, 10);
    size_t total = (size_t)(end - c->in) + 4 + body;
    return c->len >= total ? total : 0;
}

static void on_read(uv_stream_t *stream, ssize_t n, const uv_buf_t *buf)
{
    struct conn *c = stream->data;
    (void)buf;
    if (n < 0) {
        bench.errors++;
        uv_close((uv_handle_t *)stream, NULL);
        return;
    }
    c->len += (size_t)n;
    size_t total = response_length(c);
    if (total == 0)
        return;
    if (strncmp(c->in, "HTTP/1.1 200", 12) != 0)
        bench.errors++;
    if (bench.count < MAX_LATENCIES)
        bench.latencies[bench.count++] = uv_hrtime() - c->sent_ns;
    memmove(c->in, c->in + total, c->len - total);
    c->len -= total;
    if (!bench.stopping)
        send_request(c);
    else
        uv_close((uv_handle_t *)stream, NULL);
}

static void send_request(struct conn *c)
{
    uv_buf_t buf = uv_buf_init(bench.request, (unsigned)bench.request_len);
    c->sent_ns = uv_hrtime();
    uv_write(&c->write, (uv_stream_t *)&c->tcp, &buf, 1, NULL);
}

static void on_connect(uv_connect_t *req, int status)
{
    struct conn *c = req->data;
    if (status < 0) {
        fprintf(stderr, "connect: %s\n", uv_strerror(status));
        exit(1);
    }
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    send_request(c);
}

static void on_stop(uv_timer_t *timer)
{
    bench.stopping = 1;
    bench.end_ns = uv_hrtime();
    uv_close((uv_handle_t *)timer, NULL);
}

static int compare(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: tp_load PORT PATH [CONNECTIONS] [SECONDS]\n");
        return 2;
    }
    int port = atoi(argv[1]);
    int nconn = argc > 3 ? atoi(argv[3]) : 64;
    int seconds = argc > 4 ? atoi(argv[4]) : 3;
    bench.loop = uv_default_loop();
    bench.request_len = (size_t)snprintf(bench.request, sizeof(bench.request),
                                         "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", argv[2]);
    bench.latencies = malloc(sizeof(uint64_t) * MAX_LATENCIES);
    struct sockaddr_in addr;
    uv_ip4_addr("127.0.0.1", port, &addr);
    struct conn *conns = calloc((size_t)nconn, sizeof(*conns));
    for (int i = 0; i < nconn; i++) {
        conns[i].in = malloc(BUFFER);
        uv_tcp_init(bench.loop, &conns[i].tcp);
        uv_tcp_nodelay(&conns[i].tcp, 1);
        conns[i].tcp.data = &conns[i];
        conns[i].connect.data = &conns[i];
        uv_tcp_connect(&conns[i].connect, &conns[i].tcp, (const struct sockaddr *)&addr,
                       on_connect);
    }
    uv_timer_t timer;
    uv_timer_init(bench.loop, &timer);
    uv_timer_start(&timer, on_stop, (uint64_t)seconds * 1000, 0);
    bench.start_ns = uv_hrtime();
    uv_run(bench.loop, UV_RUN_DEFAULT);
    double secs = (double)(bench.end_ns - bench.start_ns) / 1e9;
    qsort(bench.latencies, bench.count, sizeof(uint64_t), compare);
    double p50 = bench.count ? bench.latencies[bench.count / 2] / 1e6 : 0;
    double p99 = bench.count ? bench.latencies[(size_t)((double)bench.count * 0.99)] / 1e6 : 0;
    printf("requests %zu  errors %zu  req/s %.0f  p50 %.3f ms  p99 %.3f ms\n", bench.count,
           bench.errors, (double)bench.count / secs, p50, p99);
    for (int i = 0; i < nconn; i++)
        free(conns[i].in);
    free(conns);
    free(bench.latencies);
    return bench.errors ? 1 : 0;
}
