/* SPDX-License-Identifier: MIT */
/*
 * The executor: runs one child process and reports what it does. It knows nothing about
 * runs, stages or steps: it spawns an argv with an environment and a working directory in
 * its own process group, stdout and stderr merged into one pipe (so their order is kept),
 * stdin from /dev/null; it reports output bytes as they arrive and, once, the exit status
 * after the last output byte; and it kills the whole group on request.
 *
 * This is the seam where another backend (a Kubernetes pod) would slot in: nothing above it
 * may assume the child is a local process. Loop thread only.
 */
#ifndef TP_EXECUTOR_EXEC_H
#define TP_EXECUTOR_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

struct tp_child;

/* Output bytes (borrowed for the duration of the call). */
typedef void (*tp_exec_output_cb)(void *data, const char *bytes, size_t len);
/*
 * The child has exited and its output has been delivered: `exit_status` is its exit code,
 * or 128 + signal when `term_signal` != 0. Called exactly once; the child object is gone
 * after it returns (do not call tp_exec_kill on it any more).
 */
typedef void (*tp_exec_exit_cb)(void *data, int64_t exit_status, int term_signal);

struct tp_exec_options {
    const char *file; /* program to run (searched in PATH if it has no '/') */
    char **argv;      /* NULL-terminated; borrowed for the call only */
    char **env;       /* NULL-terminated KEY=VALUE list; borrowed for the call only */
    const char *cwd;  /* working directory, must exist */
    /* When set, stdout goes to this file (created or truncated, absolute path) instead of
     * the output pipe; stderr still reaches on_output. */
    const char *stdout_path;
    tp_exec_output_cb on_output;
    tp_exec_exit_cb on_exit;
    void *data;
};

/*
 * Starts the child. On success `*out` is the handle to kill it with, valid until on_exit
 * has been called.
 * Returns 0, or a libuv error (UV_ENOENT — program not found, UV_EACCES, ...); on error no
 * callback is ever called.
 */
int tp_exec_spawn(uv_loop_t *loop, const struct tp_exec_options *opts, struct tp_child **out);

/*
 * Sends SIGTERM to the child's process group, then SIGKILL after `grace_ms` if it has not
 * exited. Calling it again only shortens nothing; it is idempotent.
 */
void tp_exec_kill(struct tp_child *child, int grace_ms);

/*
 * Kills (SIGKILL) every process of this user whose environment holds all of `marks`
 * ("KEY=VALUE" strings, NULL-terminated) — how leftovers of a server that was killed are
 * found, as Jenkins finds them by their cookie variables. Never the calling process.
 * Returns how many were killed.
 */
int tp_exec_kill_strays(const char *const *marks);

/*
 * Makes this process the child subreaper (PR_SET_CHILD_SUBREAPER): a process a step leaves
 * behind, once its parent is gone, becomes our child, and is reaped when it exits (on
 * SIGCHLD, never the processes tp_exec_spawn started, which it reaps itself). `signal` is the
 * caller's storage for the watcher (close it with uv_close before freeing it).
 * Returns 0, or a negative errno / libuv error.
 */
int tp_exec_reaper_start(uv_loop_t *loop, uv_signal_t *signal);

/* Whether a process steps left behind is our child now (the subreaper's orphans, running or
 * not yet reaped). A cheap check before looking for leftovers. */
bool tp_exec_has_orphans(void);

/* The child's process id (for logs and /proc lookups). */
int tp_exec_pid(const struct tp_child *child);

#endif
