/* SPDX-License-Identifier: MIT */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "executor/exec.h"
#include "harness/tp_test.h"

struct outcome {
    struct tp_buf output;
    int64_t status;
    int signal;
    int exits;
};

static void on_output(void *data, const char *bytes, size_t len)
{
    struct outcome *o = data;
    tp_buf_append(&o->output, bytes, len);
}

static void on_exit_cb(void *data, int64_t status, int term_signal)
{
    struct outcome *o = data;
    o->status = status;
    o->signal = term_signal;
    o->exits++;
}

static int run_shell(const char *script, struct outcome *o, int kill_after_ms)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    memset(o, 0, sizeof(*o));
    tp_buf_init(&o->output);
    char sh[] = "/bin/sh", c[] = "-c";
    char *argv[] = { sh, c, (char *)script, NULL };
    char env1[] = "GREETING=hello", env2[] = "PATH=/usr/bin:/bin";
    char *env[] = { env1, env2, NULL };
    struct tp_exec_options options = { .file = "/bin/sh",
                                       .argv = argv,
                                       .env = env,
                                       .cwd = "/tmp",
                                       .on_output = on_output,
                                       .on_exit = on_exit_cb,
                                       .data = o };
    struct tp_child *child;
    int err = tp_exec_spawn(&loop, &options, &child);
    if (err == 0 && kill_after_ms > 0) {
        /* Run until the script has started, then kill its whole group. */
        while (o->output.len == 0)
            uv_run(&loop, UV_RUN_ONCE);
        tp_exec_kill(child, kill_after_ms);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return err;
}

TP_TEST(output_is_merged_in_order_and_exit_codes_reported)
{
    struct outcome o;
    ASSERT_OK(run_shell("echo out; echo err >&2; echo $GREETING; pwd; exit 3", &o, 0));
    ASSERT_EQ(1, o.exits);
    ASSERT_EQ(3, o.status);
    ASSERT_EQ(0, o.signal);
    ASSERT_STR_EQ("out\nerr\nhello\n/tmp\n", o.output.data);
    tp_buf_close(&o.output);
    ASSERT_OK(run_shell("exit 0", &o, 0));
    ASSERT_EQ(0, o.status);
    ASSERT_EQ(0, o.output.len);
    tp_buf_close(&o.output);
}

TP_TEST(kill_reaches_the_whole_process_group)
{
    struct outcome o;
    /* The grandchild `sleep` would keep the pipe open for 30 s if only sh were killed. */
    uint64_t start = uv_hrtime();
    ASSERT_OK(run_shell("echo started; sleep 30; echo never", &o, 500));
    ASSERT_EQ(1, o.exits);
    ASSERT_EQ(SIGTERM, o.signal);
    ASSERT_EQ(128 + SIGTERM, o.status);
    ASSERT_TRUE((uv_hrtime() - start) / 1000000 < 5000);
    ASSERT_STR_EQ("started\n", o.output.data);
    tp_buf_close(&o.output);
}

TP_TEST(a_background_grandchild_does_not_hold_the_step)
{
    struct outcome o;
    uint64_t start = uv_hrtime();
    ASSERT_OK(run_shell("sleep 5 & echo done", &o, 0));
    ASSERT_EQ(0, o.status);
    ASSERT_TRUE((uv_hrtime() - start) / 1000000 < 3000);
    ASSERT_STR_EQ("done\n", o.output.data);
    tp_buf_close(&o.output);
}

TP_TEST(missing_program_is_an_error_without_callbacks)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct outcome o = { .exits = 0 };
    char prog[] = "/nonexistent/program";
    char *argv[] = { prog, NULL };
    char *env[] = { NULL };
    struct tp_exec_options options = { .file = prog,
                                       .argv = argv,
                                       .env = env,
                                       .cwd = "/tmp",
                                       .on_output = on_output,
                                       .on_exit = on_exit_cb,
                                       .data = &o };
    struct tp_child *child;
    ASSERT_EQ(UV_ENOENT, tp_exec_spawn(&loop, &options, &child));
    uv_run(&loop, UV_RUN_DEFAULT);
    ASSERT_EQ(0, o.exits);
    ASSERT_OK(uv_loop_close(&loop));
}

TP_TEST_LIST(TP_CASE(output_is_merged_in_order_and_exit_codes_reported),
             TP_CASE(kill_reaches_the_whole_process_group),
             TP_CASE(a_background_grandchild_does_not_hold_the_step),
             TP_CASE(missing_program_is_an_error_without_callbacks))
