/* SPDX-License-Identifier: MIT */
#include "executor/exec.h"

#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/mem.h"

/*
 * Life of a child:
 *
 *   RUNNING --process exits--> EXITED --pipe EOF (or 100 ms grace)--> CLOSING --last close--> freed
 *      \--pipe EOF first--------^
 *
 * The exit callback runs on entering CLOSING, after the last byte of output, because a step
 * must see its whole output before its result. The grace timer covers a grandchild that
 * keeps the pipe open after the shell is gone (`sleep 100 &`): Jenkins ends the step when
 * the shell exits, and so do we. The object embeds three libuv handles and is freed only
 * from the last close callback (libuv's rule).
 */
enum child_state {
    CHILD_RUNNING,
    CHILD_EXITED,
    CHILD_CLOSING
};

struct tp_child {
    uv_process_t process;
    uv_pipe_t output;
    uv_timer_t timer; /* SIGKILL after the kill grace, then the EOF grace after exit */
    enum child_state state;
    bool output_done;
    bool killing;
    int pending_closes;
    int64_t exit_status;
    int term_signal;
    tp_exec_output_cb on_output;
    tp_exec_exit_cb on_exit;
    void *data;
    char buffer[65536];
};

enum {
    EOF_GRACE_MS = 100
};

static void on_closed(uv_handle_t *handle)
{
    struct tp_child *child = handle->data;
    if (--child->pending_closes == 0)
        free(child);
}

static void finish(struct tp_child *child)
{
    if (child->state == CHILD_CLOSING)
        return;
    child->state = CHILD_CLOSING;
    uv_timer_stop(&child->timer);
    child->on_exit(child->data, child->exit_status, child->term_signal);
    child->pending_closes = 3;
    uv_close((uv_handle_t *)&child->process, on_closed);
    uv_close((uv_handle_t *)&child->output, on_closed);
    uv_close((uv_handle_t *)&child->timer, on_closed);
}

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    struct tp_child *child = handle->data;
    (void)suggested;
    buf->base = child->buffer;
    buf->len = sizeof(child->buffer);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    struct tp_child *child = stream->data;
    if (nread > 0) {
        child->on_output(child->data, buf->base, (size_t)nread);
        return;
    }
    if (nread == 0)
        return;
    /* EOF or a read error: either way no more output will come. */
    uv_read_stop(stream);
    child->output_done = true;
    if (child->state == CHILD_EXITED)
        finish(child);
}

static void on_eof_grace(uv_timer_t *timer)
{
    finish(timer->data);
}

static void on_process_exit(uv_process_t *process, int64_t exit_status, int term_signal)
{
    struct tp_child *child = process->data;
    child->exit_status = term_signal ? 128 + term_signal : exit_status;
    child->term_signal = term_signal;
    child->state = CHILD_EXITED;
    uv_timer_stop(&child->timer);
    if (child->output_done)
        finish(child);
    else
        uv_timer_start(&child->timer, on_eof_grace, EOF_GRACE_MS, 0);
}

int tp_exec_spawn(uv_loop_t *loop, const struct tp_exec_options *opts, struct tp_child **out)
{
    uv_file fds[2];
    int r = uv_pipe(fds, 0, 0);
    if (r < 0)
        return r;
    struct tp_child *child = tp_xcalloc(1, sizeof(*child));
    child->on_output = opts->on_output;
    child->on_exit = opts->on_exit;
    child->data = opts->data;

    uv_stdio_container_t stdio[3] = {
        { .flags = UV_IGNORE },
        { .flags = UV_INHERIT_FD, .data.fd = fds[1] },
        { .flags = UV_INHERIT_FD, .data.fd = fds[1] },
    };
    uv_process_options_t options = {
        .exit_cb = on_process_exit,
        .file = opts->file,
        .args = opts->argv,
        .env = opts->env,
        .cwd = opts->cwd,
        /* DETACHED makes the child a session and process-group leader, so one kill(-pid)
         * reaches everything the script started. */
        .flags = UV_PROCESS_DETACHED,
        .stdio_count = 3,
        .stdio = stdio,
    };
    child->process.data = child;
    r = uv_spawn(loop, &child->process, &options);
    close(fds[1]);
    if (r < 0) {
        close(fds[0]);
        /* A failed uv_spawn still initialised the handle: it must be closed. */
        child->pending_closes = 1;
        uv_close((uv_handle_t *)&child->process, on_closed);
        return r;
    }
    uv_pipe_init(loop, &child->output, 0);
    uv_pipe_open(&child->output, fds[0]);
    child->output.data = child;
    uv_timer_init(loop, &child->timer);
    child->timer.data = child;
    uv_read_start((uv_stream_t *)&child->output, on_alloc, on_read);
    *out = child;
    return 0;
}

static void on_kill_grace(uv_timer_t *timer)
{
    struct tp_child *child = timer->data;
    if (child->state == CHILD_RUNNING)
        uv_kill(-child->process.pid, SIGKILL);
}

void tp_exec_kill(struct tp_child *child, int grace_ms)
{
    if (child->state != CHILD_RUNNING || child->killing)
        return;
    child->killing = true;
    uv_kill(-child->process.pid, SIGTERM);
    uv_timer_start(&child->timer, on_kill_grace, (uint64_t)(grace_ms > 0 ? grace_ms : 0), 0);
}

int tp_exec_pid(const struct tp_child *child)
{
    return child->process.pid;
}
