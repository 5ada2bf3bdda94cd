/* SPDX-License-Identifier: MIT */
/* engine/: the run state table, the result algebra, the line buffer, evaluation. */
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

TP_TEST(every_transition_matches_the_table)
{
    struct {
        enum tp_state from;
        enum tp_run_event event;
        int to; /* -1: illegal */
    } expected[] = {
        { TP_STATE_QUEUED, TP_RUN_EV_START, TP_STATE_RUNNING },
        { TP_STATE_QUEUED, TP_RUN_EV_ABORT, TP_STATE_FINISHED },
        { TP_STATE_QUEUED, TP_RUN_EV_FINISH, -1 },
        { TP_STATE_QUEUED, TP_RUN_EV_PAUSE, -1 },
        { TP_STATE_QUEUED, TP_RUN_EV_RESUME, -1 },
        { TP_STATE_RUNNING, TP_RUN_EV_PAUSE, TP_STATE_PAUSED },
        { TP_STATE_RUNNING, TP_RUN_EV_FINISH, TP_STATE_FINISHED },
        { TP_STATE_RUNNING, TP_RUN_EV_ABORT, TP_STATE_FINISHED },
        { TP_STATE_RUNNING, TP_RUN_EV_START, -1 },
        { TP_STATE_RUNNING, TP_RUN_EV_RESUME, -1 },
        { TP_STATE_PAUSED, TP_RUN_EV_RESUME, TP_STATE_RUNNING },
        { TP_STATE_PAUSED, TP_RUN_EV_ABORT, TP_STATE_FINISHED },
        { TP_STATE_PAUSED, TP_RUN_EV_FINISH, -1 },
        { TP_STATE_PAUSED, TP_RUN_EV_START, -1 },
        { TP_STATE_PAUSED, TP_RUN_EV_PAUSE, -1 },
    };

    for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
        enum tp_state next = TP_STATE_NONE;
        int err = tp_runstate_next(expected[i].from, expected[i].event, &next);
        if (expected[i].to < 0) {
            ASSERT_EQ(TP_ECONFLICT, err);
        } else {
            ASSERT_OK(err);
            ASSERT_EQ(expected[i].to, next);
        }
    }
    /* A finished run never changes again. */
    for (int ev = 0; ev < TP_RUN_EV_COUNT; ev++) {
        enum tp_state next;
        ASSERT_EQ(TP_ECONFLICT, tp_runstate_next(TP_STATE_FINISHED, (enum tp_run_event)ev, &next));
    }
    enum tp_state next;
    ASSERT_EQ(TP_EINVAL, tp_runstate_next(TP_STATE_COUNT, TP_RUN_EV_START, &next));
}

TP_TEST(results_only_get_worse)
{
    ASSERT_EQ(TP_RESULT_FAILURE, tp_result_worse(TP_RESULT_SUCCESS, TP_RESULT_FAILURE));
    ASSERT_EQ(TP_RESULT_FAILURE, tp_result_worse(TP_RESULT_FAILURE, TP_RESULT_UNSTABLE));
    ASSERT_EQ(TP_RESULT_ABORTED, tp_result_worse(TP_RESULT_ABORTED, TP_RESULT_FAILURE));
    ASSERT_EQ(TP_RESULT_UNSTABLE, tp_result_worse(TP_RESULT_UNKNOWN, TP_RESULT_UNSTABLE));
    ASSERT_EQ(TP_RESULT_SUCCESS, tp_result_worse(TP_RESULT_SUCCESS, TP_RESULT_NONE));
}

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

static const char *env_lookup(void *ctx, const char *name)
{
    (void)ctx;
    if (strcmp(name, "HOME") == 0)
        return "/home/me";
    if (strcmp(name, "N") == 0)
        return "7";
    return NULL;
}

static const char *no_params(void *ctx, const char *name)
{
    (void)ctx;
    (void)name;
    return NULL;
}

/* Evaluates the right-hand side of `x = <source>` and returns the value or the error. */
static int eval(const char *source, struct tp_buf *out, struct tp_buf *error)
{
    struct tp_arena arena;
    struct tp_diags diags;
    struct tp_script script;
    tp_arena_init(&arena);
    tp_diags_init(&diags, &arena);
    char text[512];
    snprintf(text, sizeof(text), "x = %s\n", source);
    int err = tp_parse(text, strlen(text), &arena, &diags, &script);
    if (err == 0) {
        struct tp_eval_ctx ctx = { .env = env_lookup, .param = no_params };
        err = tp_eval_string(script.body->items[0]->expr->b, &ctx, out, error);
    }
    tp_arena_close(&arena);
    return err;
}

TP_TEST(eval_strings_and_interpolation)
{
    struct tp_buf out, error;
    tp_buf_init(&out);
    tp_buf_init(&error);
    ASSERT_OK(eval("'$HOME ${N}'", &out, &error));
    ASSERT_STR_EQ("$HOME ${N}", out.data);
    tp_buf_reset(&out);
    ASSERT_OK(eval("\"home=$HOME n=${env.N}${N} miss=${env.NOPE} p=${params.P}\"", &out, &error));
    ASSERT_STR_EQ("home=/home/me n=77 miss=null p=null", out.data);
    tp_buf_reset(&out);
    ASSERT_OK(eval("'a' + \"b$N\" + 3 + true", &out, &error));
    ASSERT_STR_EQ("ab73true", out.data);
    tp_buf_reset(&out);
    ASSERT_EQ(TP_EINVAL, eval("\"${UNDEFINED}\"", &out, &error));
    ASSERT_STR_EQ("groovy.lang.MissingPropertyException: No such property: UNDEFINED for class: "
                  "groovy.lang.Binding",
                  error.data);
    tp_buf_reset(&error);
    ASSERT_EQ(TP_EUNSUPPORTED, eval("\"${N.toInteger() * 2}\"", &out, &error));
    ASSERT_TRUE(strstr(error.data, "cannot evaluate") != NULL);
    tp_buf_close(&out);
    tp_buf_close(&error);
}

TP_TEST_LIST(TP_CASE(every_transition_matches_the_table), TP_CASE(results_only_get_worse),
             TP_CASE(linebuf_emits_whole_lines),
             TP_CASE(linebuf_cuts_endless_lines_but_never_inside_crlf),
             TP_CASE(eval_strings_and_interpolation))
