/* SPDX-License-Identifier: MIT */
/* http/conn and http/router, sans I/O: bytes in, bytes out. */
#include <llhttp.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/json.h"
#include "harness/tp_test.h"
#include "http/conn.h"
#include "http/router.h"

static int hello(struct tp_req *req, struct tp_resp *resp)
{
    resp->content_type = "text/plain";
    tp_buf_printf(&resp->body, "%s %s|%s|%zu|%s", req->params[0], req->path, req->query,
                  req->body_len, tp_req_header(req, "x-test") ? tp_req_header(req, "x-test") : "-");
    return 0;
}

static int failing(struct tp_req *req, struct tp_resp *resp)
{
    (void)req;
    (void)resp;
    return -5001; /* TP_ENOTFOUND */
}

static const struct tp_route routes[] = {
    { HTTP_GET, "/api/{name}/", hello },
    { HTTP_POST, "/api/{name}/", hello },
    { HTTP_GET, "/fail", failing },
};

static void finish(struct tp_req *req, struct tp_resp *resp)
{
    (void)req;
    tp_resp_header(resp, "X-Table", "yes");
}

static const struct tp_route_table table = {
    .prefix = "/", .routes = routes, .count = 3, .json_writes = true, .finish = finish
};

static int handle(struct tp_req *req, struct tp_resp *resp)
{
    const struct tp_route_table *tables[] = { &table };
    return tp_router_dispatch(tables, 1, req, resp);
}

static const struct tp_conn_limits small = { .max_header_bytes = 256,
                                             .max_body_bytes = 64,
                                             .max_headers = 8 };

/* Feeds `request` in pieces of `step` bytes and returns the response bytes. */
static char *exchange(const char *request, size_t step)
{
    struct tp_conn conn;
    tp_conn_init(&conn, &small, handle, NULL);
    size_t len = strlen(request);
    for (size_t i = 0; i < len; i += step)
        tp_conn_feed(&conn, request + i, i + step <= len ? step : len - i);
    char *out = tp_buf_take(&conn.out);
    tp_conn_close(&conn);
    return out;
}

TP_TEST(request_split_at_every_offset_gives_the_same_answer)
{
    const char *request = "POST /api/caf%C3%A9?q=1&r HTTP/1.1\r\nHost: x\r\nX-Test: v\r\n"
                          "Content-Type: application/json\r\nContent-Length: 4\r\n\r\n{}{}";
    char *whole = exchange(request, strlen(request));
    ASSERT_TRUE(strstr(whole, "HTTP/1.1 200 OK\r\n") == whole);
    ASSERT_TRUE(strstr(whole, "\r\n\r\ncafé /api/caf%C3%A9|q=1&r|4|v") != NULL);
    ASSERT_TRUE(strstr(whole, "Content-Length: 30\r\n") != NULL);
    ASSERT_TRUE(strstr(whole, "X-Table: yes\r\n") != NULL);
    for (size_t step = 1; step < strlen(request); step++) {
        char *piecewise = exchange(request, step);
        ASSERT_STR_EQ(whole, piecewise);
        free(piecewise);
    }
    free(whole);
}

TP_TEST(pipelined_requests_are_answered_in_order)
{
    char *out = exchange("GET /api/a HTTP/1.1\r\n\r\nGET /nope HTTP/1.1\r\n\r\n"
                         "GET /api/b/ HTTP/1.1\r\nConnection: close\r\n\r\n",
                         1000);
    const char *a = strstr(out, "a /api/a"), *nope = strstr(out, "404 Not Found");
    const char *b = strstr(out, "b /api/b/");
    ASSERT_TRUE(a && nope && b && a < nope && nope < b);
    ASSERT_TRUE(strstr(b - 200 > out ? b - 200 : out, "Connection: close") != NULL);
    free(out);
}

TP_TEST(errors_limits_and_status_codes)
{
    char *out = exchange("DELETE /api/x/ HTTP/1.1\r\n\r\n", 100);
    ASSERT_TRUE(strncmp(out, "HTTP/1.1 405 ", 13) == 0);
    free(out);
    out = exchange("POST /api/x/ HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}", 100);
    ASSERT_TRUE(strncmp(out, "HTTP/1.1 415 ", 13) == 0);
    ASSERT_TRUE(strstr(out, "Content-Type: application/json required") != NULL);
    free(out);
    out = exchange("GET /fail HTTP/1.1\r\n\r\n", 100);
    ASSERT_TRUE(strncmp(out, "HTTP/1.1 404 ", 13) == 0);
    ASSERT_TRUE(strstr(out, "\"message\" : \"not found\"") != NULL);
    free(out);
    out = exchange("POST /api/x/ HTTP/1.1\r\nContent-Length: 65\r\n\r\n", 100);
    ASSERT_TRUE(strncmp(out, "HTTP/1.1 413 ", 13) == 0);
    free(out);
    char big[600];
    snprintf(big, sizeof(big), "GET /api/x/ HTTP/1.1\r\nX: %0400d\r\n\r\n", 0);
    out = exchange(big, 7);
    ASSERT_TRUE(strncmp(out, "HTTP/1.1 413 ", 13) == 0);
    free(out);
    out = exchange("GET /api/x/ HTTP/1.1\r\nA: 1\r\nB: 1\r\nC: 1\r\nD: 1\r\nE: 1\r\nF: 1\r\n"
                   "G: 1\r\nH: 1\r\nI: 1\r\n\r\n",
                   3);
    ASSERT_TRUE(strncmp(out, "HTTP/1.1 413 ", 13) == 0);
    free(out);
    out = exchange("NONSENSE\r\n\r\nGET /api/x/ HTTP/1.1\r\n\r\n", 100);
    ASSERT_TRUE(strncmp(out, "HTTP/1.1 400 ", 13) == 0);
    ASSERT_TRUE(strstr(out + 5, "HTTP/1.1") == NULL); /* nothing after the error: closing */
    free(out);
    out = exchange("GET /api/%zz/ HTTP/1.1\r\n\r\n", 100);
    ASSERT_TRUE(strncmp(out, "HTTP/1.1 404 ", 13) == 0);
    free(out);
    out = exchange("HEAD /api/x/ HTTP/1.1\r\n\r\n", 100);
    ASSERT_TRUE(strstr(out, "Content-Length: 14\r\n") != NULL);
    ASSERT_TRUE(strstr(out, "\r\n\r\n")[4] == '\0');
    free(out);
}

TP_TEST(router_matches_segments)
{
    struct tp_arena arena;
    tp_arena_init(&arena);
    const char *params[TP_ROUTE_MAX_PARAMS];
    size_t n = 0;
    ASSERT_TRUE(tp_router_match("/a/{x}/b/{y}/", "/a/1/b/two", &arena, params, &n));
    ASSERT_EQ(2, n);
    ASSERT_STR_EQ("1", params[0]);
    ASSERT_STR_EQ("two", params[1]);
    ASSERT_TRUE(tp_router_match("/a/{x}", "/a/x%2Fy/", &arena, params, &n));
    ASSERT_STR_EQ("x/y", params[0]);
    ASSERT_TRUE(!tp_router_match("/a/{x}/", "/a/", &arena, params, &n));
    ASSERT_TRUE(!tp_router_match("/a/{x}/", "/a/1/2/", &arena, params, &n));
    ASSERT_TRUE(!tp_router_match("/a/b/", "/a/c/", &arena, params, &n));
    ASSERT_TRUE(!tp_router_match("/a/{x}/", "/a//", &arena, params, &n));
    tp_arena_close(&arena);
}

TP_TEST(router_folds_folder_paths)
{
    struct tp_arena arena;
    tp_arena_init(&arena);
    static const char *const cases[][2] = {
        { "/job/a/job/b/api/json", "/job/a%2Fb/api/json" },
        { "/job/a/job/b/job/c/", "/job/a%2Fb%2Fc/" },
        { "/job/a/job/b", "/job/a%2Fb" },
        { "/job/a/5/api/json", "/job/a/5/api/json" },
        { "/job/a/job/", "/job/a/job/" },
        { "/job/a/createItem", "/job/a/createItem" },
        { "/queue/job/a/job/b", "/queue/job/a/job/b" },
        { "/blue/rest/organizations/jenkins/pipelines/f/pipelines/p/runs/1/",
          "/blue/rest/organizations/jenkins/pipelines/f%2Fp/runs/1/" },
        { "/blue/rest/organizations/jenkins/pipelines/f/pipelines/",
          "/blue/rest/organizations/jenkins/pipelines/f/pipelines/" },
        { "/blue/rest/organizations/jenkins/pipelines/",
          "/blue/rest/organizations/jenkins/pipelines/" },
        { "/blue/rest/search/", "/blue/rest/search/" },
        { "/blue/rest/organizations/jenkins/pipelines/m/branches/feature%252Fx/runs/",
          "/blue/rest/organizations/jenkins/pipelines/m%2Ffeature%252Fx/runs/" },
        { "/blue/rest/organizations/jenkins/pipelines/m/branches/",
          "/blue/rest/organizations/jenkins/pipelines/m/branches/" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        ASSERT_STR_EQ(cases[i][1], tp_router_fold_items(cases[i][0], &arena));
    tp_arena_close(&arena);
}

TP_TEST_LIST(TP_CASE(request_split_at_every_offset_gives_the_same_answer),
             TP_CASE(pipelined_requests_are_answered_in_order),
             TP_CASE(errors_limits_and_status_codes), TP_CASE(router_matches_segments),
             TP_CASE(router_folds_folder_paths))
