/* SPDX-License-Identifier: MIT */
/* The steps tidepool runs, one table; each entry knows its Blue Ocean display name. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "engine/engine_int.h"

/* The argument a step takes positionally or by `name:`, or NULL. */
static const struct tp_expr *step_arg(const struct tp_plan_step *step, const char *name)
{
    const struct tp_expr *call = step->call;
    const struct tp_expr *named = tp_ast_named_arg(call, name);
    if (named != NULL)
        return named;
    if (call->kind == TP_EXPR_CALL && call->named.count == 0 && call->args.count == 1)
        return call->args.items[0];
    return NULL;
}

static bool named_flag(const struct tp_plan_step *step, const char *name)
{
    const struct tp_expr *value = tp_ast_named_arg(step->call, name);
    return value != NULL && value->kind == TP_EXPR_BOOL && value->flag;
}

/* Fails the step (synchronously) with a message and the Jenkins-style log line. */
static enum tp_step_status fail_now(struct frame *f, const char *message)
{
    tp_frame_fail(f, TP_RESULT_FAILURE, true, message);
    f->step.result = TP_RESULT_FAILURE;
    return TP_STEP_DONE;
}

/* Blue Ocean shows a one-line summary of the arguments: control characters go, except ESC
 * (Jenkins keeps ANSI colour escapes). */
static const char *describe(struct frame *f, const char *text)
{
    char *copy = tp_arena_strdup(&f->run->arena, text);
    for (char *p = copy; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 && c != 0x1b && c != '\n' && c != '\t')
            *p = ' ';
    }
    return copy;
}

/* --- echo --- */

static enum tp_step_status start_echo(struct frame *f, const struct tp_plan_step *step)
{
    const struct tp_expr *message = step_arg(step, "message");
    if (message == NULL)
        return fail_now(f, "echo requires a message");
    struct tp_buf text;
    tp_buf_init(&text);
    if (tp_frame_eval(f, message, &text) < 0) {
        tp_buf_close(&text);
        f->step.result = TP_RESULT_FAILURE;
        return TP_STEP_DONE;
    }
    f->step.description = describe(f, tp_buf_str(&text));
    tp_buf_putc(&text, '\n');
    tp_frame_log(f->run, f, text.data, text.len);
    tp_buf_close(&text);
    f->step.result = TP_RESULT_SUCCESS;
    return TP_STEP_DONE;
}

/* --- sh --- */

static void sh_emit(void *ctx, const char *data, size_t len)
{
    struct frame *f = ctx;
    tp_frame_log(f->run, f, data, len);
}

static void on_sh_output(void *data, const char *bytes, size_t len)
{
    struct frame *f = data;
    tp_linebuf_feed(&f->lines, bytes, len, sh_emit, f);
}

static void remove_script_dir(struct frame *f)
{
    if (f->script_dir == NULL)
        return;
    char path[4096];
    snprintf(path, sizeof(path), "%s/script.sh", f->script_dir);
    unlink(path);
    rmdir(f->script_dir);
    free(f->script_dir);
    f->script_dir = NULL;
}

static void on_sh_exit(void *data, int64_t exit_status, int term_signal)
{
    struct frame *f = data;
    (void)term_signal;
    tp_linebuf_finish(&f->lines, sh_emit, f);
    f->child = NULL;
    remove_script_dir(f);
    if (f->kill_sent) {
        /* Stopped from outside (stop, shutdown, or a failing sibling under failFast). */
        tp_frame_step_finished(f, TP_RESULT_ABORTED, NULL);
        return;
    }
    if (exit_status == 0 || f->step.result == TP_RESULT_SUCCESS) {
        tp_frame_step_finished(f, TP_RESULT_SUCCESS, NULL);
        return;
    }
    char message[64];
    snprintf(message, sizeof(message), "script returned exit code %lld", (long long)exit_status);
    tp_frame_step_finished(f, TP_RESULT_FAILURE, message);
}

/* Writes the script to <workspace>@tmp/durable-XXXXXXXX/script.sh, as durable-task does. */
static int write_script(struct frame *f, const char *text, char **path_out)
{
    unsigned char random[4];
    if (uv_random(NULL, NULL, random, sizeof(random), 0, NULL) < 0)
        memset(random, 0, sizeof(random));
    char *dir = tp_arena_printf(&f->run->arena, "%s@tmp/durable-%02x%02x%02x%02x",
                                f->run->workspace, random[0], random[1], random[2], random[3]);
    if (mkdir(dir, 0700) < 0)
        return -errno;
    f->script_dir = tp_xstrdup(dir);
    char *path = tp_arena_printf(&f->run->arena, "%s/script.sh", dir);
    bool shebang = strncmp(text, "#!", 2) == 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, shebang ? 0700 : 0600);
    if (fd < 0)
        return -errno;
    size_t len = strlen(text), done = 0;
    while (done < len) {
        ssize_t n = write(fd, text + done, len - done);
        if (n < 0) {
            int err = -errno;
            close(fd);
            return err;
        }
        done += (size_t)n;
    }
    close(fd);
    *path_out = path;
    return 0;
}

static enum tp_step_status start_sh(struct frame *f, const struct tp_plan_step *step)
{
    const struct tp_expr *script = step_arg(step, "script");
    if (script == NULL)
        return fail_now(f, "sh requires a script");
    if (named_flag(step, "returnStdout") && named_flag(step, "returnStatus"))
        return fail_now(f, "You may not select both returnStdout and returnStatus.");
    if (named_flag(step, "returnStdout"))
        return fail_now(f, "tidepool does not support sh(returnStdout: true) yet");
    const struct tp_expr *label = step_arg(step, "label");
    struct tp_buf text;
    tp_buf_init(&text);
    if (tp_frame_eval(f, script, &text) < 0)
        goto failed;
    f->step.description = describe(f, tp_buf_str(&text));
    if (label != NULL && label != script) {
        struct tp_buf name;
        tp_buf_init(&name);
        if (tp_frame_eval(f, label, &name) == 0 && name.len > 0) {
            if (name.len > 100) {
                name.len = 100;
                name.data[100] = '\0';
            }
            f->step.display_name = tp_arena_strdup(&f->run->arena, tp_buf_str(&name));
        }
        tp_buf_close(&name);
        if (f->failed)
            goto failed;
    }
    /* returnStatus: the exit code is the step's value and never fails it. */
    f->step.result = named_flag(step, "returnStatus") ? TP_RESULT_SUCCESS : TP_RESULT_UNKNOWN;

    char *path = NULL;
    int err = write_script(f, tp_buf_str(&text), &path);
    tp_buf_close(&text);
    if (err < 0) {
        char message[256];
        snprintf(message, sizeof(message), "cannot write the script: %s", tp_strerror(err));
        remove_script_dir(f);
        return fail_now(f, message);
    }
    bool shebang = strncmp(f->step.description, "#!", 2) == 0;
    char sh_name[] = "sh", sh_flags[] = "-xe";
    char *argv_sh[] = { sh_name, sh_flags, path, NULL };
    char *argv_direct[] = { path, NULL };
    struct tp_envlist env;
    tp_frame_child_env(f, &env);
    struct tp_exec_options options = {
        .file = shebang ? path : "/bin/sh",
        .argv = shebang ? argv_direct : argv_sh,
        .env = env.items,
        .cwd = f->run->workspace,
        .on_output = on_sh_output,
        .on_exit = on_sh_exit,
        .data = f,
    };
    f->kill_sent = false;
    err = tp_exec_spawn(tp_engine_loop(f->run->engine), &options, &f->child);
    tp_env_close(&env);
    if (err < 0) {
        char message[256];
        snprintf(message, sizeof(message), "cannot run the script: %s", uv_strerror(err));
        remove_script_dir(f);
        return fail_now(f, message);
    }
    return TP_STEP_PENDING;
failed:
    tp_buf_close(&text);
    f->step.result = TP_RESULT_FAILURE;
    return TP_STEP_DONE;
}

static const struct tp_step_def steps[] = {
    { "echo", "Print Message", false, start_echo },
    { "sh", "Shell Script", true, start_sh },
};

/* Steps Jenkins has (core and the common plugins) that tidepool does not run yet. */
static const char *const jenkins_steps[] = { "archiveArtifacts",
                                             "bat",
                                             "build",
                                             "catchError",
                                             "checkout",
                                             "cleanWs",
                                             "deleteDir",
                                             "dir",
                                             "emailext",
                                             "error",
                                             "fileExists",
                                             "git",
                                             "input",
                                             "isUnix",
                                             "junit",
                                             "load",
                                             "lock",
                                             "mail",
                                             "milestone",
                                             "parallel",
                                             "powershell",
                                             "pwd",
                                             "pwsh",
                                             "readFile",
                                             "retry",
                                             "script",
                                             "sleep",
                                             "sshagent",
                                             "stash",
                                             "step",
                                             "timeout",
                                             "timestamps",
                                             "tool",
                                             "unstable",
                                             "unstash",
                                             "waitUntil",
                                             "warnError",
                                             "withCredentials",
                                             "withEnv",
                                             "writeFile",
                                             "ws",
                                             NULL };

bool tp_steps_is_jenkins(const char *name)
{
    for (const char *const *p = jenkins_steps; *p != NULL; p++) {
        if (strcmp(*p, name) == 0)
            return true;
    }
    return false;
}

const struct tp_step_def *tp_steps_find(const char *name)
{
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        if (strcmp(steps[i].name, name) == 0)
            return &steps[i];
    }
    return NULL;
}

void tp_steps_list(struct tp_buf *out)
{
    tp_buf_putc(out, '[');
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
        tp_buf_printf(out, "%s%s", i ? ", " : "", steps[i].name);
    tp_buf_putc(out, ']');
}
