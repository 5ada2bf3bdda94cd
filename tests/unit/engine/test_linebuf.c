/* SPDX-License-Identifier: MIT */
/* engine/linebuf */
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"
#include "engine/eval.h"
#include "engine/linebuf.h"
#include "engine/runstate.h"
#include "harness/tp_test.h"
#include "jenkinsfile/parser.h"

struct collected {
    struct tp_buf all;
    int pieces;
    int bad_cut; /* a piece that ended between '\r' and '\n' */
};

static void collect(void *ctx, const char *data, size_t len)
{
    struct collected *c = ctx;
    tp_buf_append(&c->all, data, len);
    c->pieces++;
    if (len > 0 && data[len - 1] == '\r')
        c->bad_cut++;
}

TP_TEST(linebuf_emits_whole_lines)
{
    struct tp_linebuf lb;
    struct collected c = { .pieces = 0 };
    tp_linebuf_init(&lb);
    tp_buf_init(&c.all);
    tp_linebuf_feed(&lb, "abc", 3, collect, &c);
    ASSERT_EQ(0, c.pieces);
    tp_linebuf_feed(&lb, "def\nghi", 7, collect, &c);
    ASSERT_EQ(1, c.pieces);
    ASSERT_STR_EQ("abcdef\n", c.all.data);
    tp_linebuf_feed(&lb, "\r\n", 2, collect, &c);
    ASSERT_STR_EQ("abcdef\nghi\r\n", c.all.data);
    ASSERT_TRUE(!tp_linebuf_finish(&lb, collect, &c));
    tp_linebuf_feed(&lb, "tail", 4, collect, &c);
    ASSERT_TRUE(tp_linebuf_finish(&lb, collect, &c));
    ASSERT_STR_EQ("abcdef\nghi\r\ntail\n", c.all.data);
    tp_buf_close(&c.all);
    tp_linebuf_close(&lb);
}

TP_TEST(linebuf_cuts_endless_lines_but_never_inside_crlf)
{
    struct tp_linebuf lb;
    struct collected c = { .pieces = 0 };
    tp_linebuf_init(&lb);
    tp_buf_init(&c.all);
    static char big[TP_LINEBUF_MAX + 10];
    memset(big, 'x', sizeof(big));
    big[TP_LINEBUF_MAX - 1] = '\r';
    tp_linebuf_feed(&lb, big, sizeof(big), collect, &c);
    ASSERT_EQ(1, c.pieces);
    ASSERT_EQ(0, c.bad_cut);
    ASSERT_EQ(TP_LINEBUF_MAX - 1, c.all.len);
    ASSERT_TRUE(lb.pending.len < TP_LINEBUF_MAX);
    tp_buf_close(&c.all);
    tp_linebuf_close(&lb);
}

TP_TEST_LIST(TP_CASE(linebuf_emits_whole_lines),
             TP_CASE(linebuf_cuts_endless_lines_but_never_inside_crlf))
