/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE /* POSIX_SPAWN_SETSID, posix_spawn_file_actions_addchdir_np */
#include "executor/exec.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
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
 *
 * The child is started with posix_spawn (glibc's is a vfork-style clone: no copy of the
 * server's page tables, which made fork the largest cost of a short step) and its exit is
 * seen through a pidfd watched by the loop; where the kernel has no pidfd (before 5.3), a
 * timer polls waitpid instead.
 */
enum child_state {
    CHILD_RUNNING,
    CHILD_EXITED,
    CHILD_CLOSING
};

struct tp_child {
    struct tp_child *next_live; /* in `live` while its process has not been reaped */
    pid_t pid;
    int pidfd;            /* -1: no pidfd, `exit_poll` polls instead */
    uv_poll_t exit_watch; /* readable when the process has exited */
    uv_timer_t exit_poll;
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

/* The children whose process this module reaps itself (loop thread only): the orphan reaper
 * leaves them alone. */
static struct tp_child *live;

static void unlist(struct tp_child *child)
{
    for (struct tp_child **p = &live; *p != NULL; p = &(*p)->next_live) {
        if (*p == child) {
            *p = child->next_live;
            return;
        }
    }
}

enum {
    EOF_GRACE_MS = 100,
    EXIT_POLL_MS = 5 /* without a pidfd */
};

static void on_closed(uv_handle_t *handle)
{
    struct tp_child *child = handle->data;
    if (handle == (uv_handle_t *)&child->exit_watch && child->pidfd >= 0)
        close(child->pidfd);
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
    if (child->pidfd >= 0)
        uv_close((uv_handle_t *)&child->exit_watch, on_closed);
    else
        uv_close((uv_handle_t *)&child->exit_poll, on_closed);
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

static void process_exited(struct tp_child *child, int64_t exit_status, int term_signal)
{
    unlist(child);
    child->exit_status = term_signal ? 128 + term_signal : exit_status;
    child->term_signal = term_signal;
    child->state = CHILD_EXITED;
    uv_timer_stop(&child->timer);
    if (child->output_done)
        finish(child);
    else
        uv_timer_start(&child->timer, on_eof_grace, EOF_GRACE_MS, 0);
}

/* Reaps the child if it has exited: returns whether it had, and its status. */
static bool reap(struct tp_child *child, int64_t *exit_status, int *term_signal)
{
    int status = 0;
    pid_t r;
    do
        r = waitpid(child->pid, &status, WNOHANG);
    while (r < 0 && errno == EINTR);
    if (r == 0)
        return false;
    *exit_status = r > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : 0;
    /* r < 0: not ours any more (someone else reaped it): report it as killed. */
    *term_signal = r < 0 ? SIGKILL : WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    return true;
}

static void on_exit_readable(uv_poll_t *poll, int status, int events)
{
    struct tp_child *child = poll->data;
    int64_t exit_status;
    int term_signal;
    (void)status;
    (void)events;
    if (child->state == CHILD_RUNNING && reap(child, &exit_status, &term_signal)) {
        uv_poll_stop(poll);
        process_exited(child, exit_status, term_signal);
    }
}

static void on_exit_poll(uv_timer_t *timer)
{
    struct tp_child *child = timer->data;
    int64_t exit_status;
    int term_signal;
    if (child->state == CHILD_RUNNING && reap(child, &exit_status, &term_signal)) {
        uv_timer_stop(timer);
        process_exited(child, exit_status, term_signal);
    }
}

/* Starts `opts` in a new session (so one kill(-pid) reaches everything it starts), stdin
 * from /dev/null, stdout (or the stdout_path file) and stderr to `out_fd`, every signal at its
 * default. Returns the pid, or a negative errno. */
static pid_t spawn(const struct tp_exec_options *opts, int out_fd)
{
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    if (opts->stdout_path != NULL)
        posix_spawn_file_actions_addopen(&actions, 1, opts->stdout_path,
                                         O_WRONLY | O_CREAT | O_TRUNC, 0600);
    else
        posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
    posix_spawn_file_actions_adddup2(&actions, out_fd, 2);
    if (opts->cwd != NULL)
        posix_spawn_file_actions_addchdir_np(&actions, opts->cwd);
    posix_spawnattr_setflags(&attr,
                             POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    pid_t pid = -1;
    int r = strchr(opts->file, '/') != NULL
                ? posix_spawn(&pid, opts->file, &actions, &attr, opts->argv, opts->env)
                : posix_spawnp(&pid, opts->file, &actions, &attr, opts->argv, opts->env);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    return r != 0 ? -r : pid;
}

int tp_exec_spawn(uv_loop_t *loop, const struct tp_exec_options *opts, struct tp_child **out)
{
    uv_file fds[2];
    int r = uv_pipe(fds, 0, 0);
    if (r < 0)
        return r;
    pid_t pid = spawn(opts, fds[1]);
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        return pid; /* -errno is libuv's error code on Unix */
    }
    struct tp_child *child = tp_xcalloc(1, sizeof(*child));
    child->pid = pid;
    child->next_live = live;
    live = child;
    child->on_output = opts->on_output;
    child->on_exit = opts->on_exit;
    child->data = opts->data;
    child->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (child->pidfd >= 0 && uv_poll_init(loop, &child->exit_watch, child->pidfd) == 0) {
        child->exit_watch.data = child;
        uv_poll_start(&child->exit_watch, UV_READABLE, on_exit_readable);
    } else {
        if (child->pidfd >= 0)
            close(child->pidfd);
        child->pidfd = -1;
        uv_timer_init(loop, &child->exit_poll);
        child->exit_poll.data = child;
        uv_timer_start(&child->exit_poll, on_exit_poll, EXIT_POLL_MS, EXIT_POLL_MS);
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
        kill(-child->pid, SIGKILL);
}

void tp_exec_kill(struct tp_child *child, int grace_ms)
{
    if (child->state != CHILD_RUNNING || child->killing)
        return;
    child->killing = true;
    kill(-child->pid, SIGTERM);
    uv_timer_start(&child->timer, on_kill_grace, (uint64_t)(grace_ms > 0 ? grace_ms : 0), 0);
}

int tp_exec_pid(const struct tp_child *child)
{
    return (int)child->pid;
}

/* Whether the NUL-separated environment block `env` (`len` bytes) holds every mark. */
static bool has_marks(const char *env, size_t len, const char *const *marks)
{
    for (const char *const *m = marks; *m != NULL; m++) {
        bool found = false;
        for (size_t at = 0; at < len && !found;) {
            size_t n = strnlen(env + at, len - at);
            found = strlen(*m) == n && memcmp(env + at, *m, n) == 0;
            at += n + 1;
        }
        if (!found)
            return false;
    }
    return true;
}

int tp_exec_kill_strays(const char *const *marks)
{
    enum {
        ENV_MAX = 256 * 1024
    }; /* environments are bounded by ARG_MAX in practice */

    DIR *proc = opendir("/proc");
    if (proc == NULL)
        return 0;
    char *env = tp_xmalloc(ENV_MAX);
    int killed = 0;
    pid_t self = getpid();
    struct dirent *entry;
    while ((entry = readdir(proc)) != NULL) {
        char *end = NULL;
        long pid = strtol(entry->d_name, &end, 10);
        if (*end != '\0' || pid <= 1 || pid == self)
            continue;
        char path[64];
        snprintf(path, sizeof(path), "/proc/%ld/environ", pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue; /* gone, or another user's */
        size_t len = 0;
        ssize_t n;
        while (len < ENV_MAX && (n = read(fd, env + len, ENV_MAX - len)) > 0)
            len += (size_t)n;
        close(fd);
        if (len > 0 && has_marks(env, len, marks) && kill((pid_t)pid, SIGKILL) == 0)
            killed++;
    }
    closedir(proc);
    free(env);
    return killed;
}

/* --- orphans --- */

static bool tracked(pid_t pid)
{
    for (const struct tp_child *c = live; c != NULL; c = c->next_live) {
        if (c->pid == pid)
            return true;
    }
    return false;
}

/* Calls `each` for every child of ours that is not a step's own process (what steps left
 * behind, handed to us as the subreaper); stops early when it returns false. */
static void each_orphan(bool (*each)(pid_t pid, void *ctx), void *ctx)
{
    DIR *tasks = opendir("/proc/self/task");
    if (tasks == NULL)
        return;
    bool more = true;
    for (struct dirent *t; more && (t = readdir(tasks)) != NULL;) {
        if (t->d_name[0] == '.')
            continue;
        char path[64];
        snprintf(path, sizeof(path), "/proc/self/task/%.20s/children", t->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        char text[8192];
        ssize_t n = read(fd, text, sizeof(text) - 1);
        close(fd);
        text[n > 0 ? n : 0] = '\0';
        for (char *save = NULL, *p = strtok_r(text, " \n", &save); more && p != NULL;
             p = strtok_r(NULL, " \n", &save)) {
            pid_t pid = (pid_t)strtol(p, NULL, 10);
            if (pid > 0 && !tracked(pid))
                more = each(pid, ctx);
        }
    }
    closedir(tasks);
}

static bool reap_one(pid_t pid, void *ctx)
{
    (void)ctx;
    waitpid(pid, NULL, WNOHANG); /* only if it has exited: a running one is let be */
    return true;
}

static bool found(pid_t pid, void *ctx)
{
    (void)pid;
    *(bool *)ctx = true;
    return false;
}

bool tp_exec_has_orphans(void)
{
    bool any = false;
    each_orphan(found, &any);
    return any;
}

/* SIGCHLD: reaps what steps left behind once it exits. */
static void on_sigchld(uv_signal_t *signal, int signum)
{
    (void)signal;
    (void)signum;
    each_orphan(reap_one, NULL);
}

int tp_exec_reaper_start(uv_loop_t *loop, uv_signal_t *signal)
{
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
        return -errno;
    int err = uv_signal_init(loop, signal);
    if (err == 0)
        err = uv_signal_start(signal, on_sigchld, SIGCHLD);
    if (err == 0)
        uv_unref((uv_handle_t *)signal); /* it never keeps the loop alive by itself */
    return err;
}
