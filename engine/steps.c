/* SPDX-License-Identifier: MIT */
/* The steps tidepool runs, one table; each entry knows its Blue Ocean display name. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/str.h"
#include "common/timefmt.h"
#include "engine/engine_int.h"
#include "engine/tools.h"

const struct tp_expr *tp_step_arg(const struct tp_expr *call, const char *name)
{
    const struct tp_expr *named = tp_ast_named_arg(call, name);
    if (named != NULL)
        return named;
    if (call->kind == TP_EXPR_CALL && call->named.count == 0 && call->args.count == 1)
        return call->args.items[0];
    return NULL;
}

static const struct tp_expr *step_arg(const struct tp_plan_step *step, const char *name)
{
    return tp_step_arg(step->call, name);
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

/* Evaluates a step's message argument into `out`; on failure the step has failed. */
static int eval_message(struct frame *f, const struct tp_plan_step *step, struct tp_buf *out)
{
    const struct tp_expr *message = step_arg(step, "message");
    if (message == NULL) {
        fail_now(f, tp_arena_printf(&f->run->arena, "%s requires a message", step->name));
        return TP_EINVAL;
    }
    if (tp_frame_eval(f, message, out) < 0) {
        f->step.result = TP_RESULT_FAILURE;
        return TP_EINVAL;
    }
    f->step.description = describe(f, tp_buf_str(out));
    return 0;
}

static enum tp_step_status start_echo(struct frame *f, const struct tp_plan_step *step)
{
    struct tp_buf text;
    tp_buf_init(&text);
    if (eval_message(f, step, &text) == 0) {
        tp_buf_putc(&text, '\n');
        tp_frame_log(f->run, f, text.data, text.len);
        f->step.result = TP_RESULT_SUCCESS;
    }
    tp_buf_close(&text);
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

static void remove_script(struct frame *f)
{
    if (f->script_path == NULL)
        return;
    unlink(f->script_path);
    free(f->script_path);
    f->script_path = NULL;
}

/* The largest stdout `sh(returnStdout: true)` returns. */
enum {
    SH_STDOUT_MAX = 16 << 20
};

/* returnStdout: the captured output is the step's value; on a failure it goes to the log. */
static void take_stdout(struct frame *f, bool failed)
{
    if (f->stdout_path == NULL)
        return;
    struct tp_buf out;
    tp_buf_init(&out);
    int err = tp_fs_read_file(f->stdout_path, SH_STDOUT_MAX, &out);
    unlink(f->stdout_path);
    free(f->stdout_path);
    f->stdout_path = NULL;
    if (err == 0 && failed)
        tp_frame_log(f->run, f, out.data, out.len);
    else if (err == 0 && f->stdout_json)
        f->step_value = cJSON_Parse(tp_buf_str(&out));
    else if (err == 0)
        f->step_value = cJSON_CreateString(tp_buf_str(&out));
    else
        tp_run_logf(f->run, "tidepool: cannot read the script's output: %s\n", tp_strerror(err));
    tp_buf_close(&out);
}

static void on_sh_exit(void *data, int64_t exit_status, int term_signal)
{
    struct frame *f = data;
    (void)term_signal;
    tp_linebuf_finish(&f->lines, sh_emit, f);
    f->child = NULL;
    remove_script(f);
    take_stdout(f, f->kill_sent || (exit_status != 0 && f->step.result != TP_RESULT_SUCCESS));
    if (f->return_status && !f->kill_sent)
        f->step_value = cJSON_CreateNumber((double)exit_status);
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

/* The largest script given to the shell as an argument (sh -c); a longer one, or one with its
 * own #! interpreter, is written to its file. Linux takes up to 128 KiB in one argument. */
enum {
    SH_INLINE_MAX = 64 << 10
};

/*
 * The script's path: <workspace>@tmp/durable-XXXXXXXX/script-N.sh, as durable-task names it
 * (one directory per run, made on its first script and removed at its end: a directory per
 * step costs more than the step's own bookkeeping). The file is written only when `write` is
 * set: an inline script is run as `sh -xe -c TEXT PATH`, which gives it the same $0 and the
 * same error messages ("PATH: 1: x: not found") without creating and removing a file a step.
 */
static int script_path(struct frame *f, const char *text, bool write_file, char **path_out)
{
    struct run *run = f->run;
    if (run->script_dir == NULL) {
        unsigned char random[4];
        if (uv_random(NULL, NULL, random, sizeof(random), 0, NULL) < 0)
            memset(random, 0, sizeof(random));
        char *dir = tp_arena_printf(&run->arena, "%s@tmp/durable-%02x%02x%02x%02x", run->workspace,
                                    random[0], random[1], random[2], random[3]);
        if (mkdir(dir, 0700) < 0)
            return -errno;
        run->script_dir = dir;
    }
    char *path =
        tp_arena_printf(&run->arena, "%s/script-%lld.sh", run->script_dir, (long long)f->step.seq);
    *path_out = path;
    if (!write_file)
        return 0;
    f->script_path = tp_xstrdup(path);
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
    return 0;
}

static enum tp_step_status start_sh(struct frame *f, const struct tp_plan_step *step)
{
    const struct tp_expr *script = step_arg(step, "script");
    if (script == NULL)
        return fail_now(f, "sh requires a script");
    if (named_flag(step, "returnStdout") && named_flag(step, "returnStatus"))
        return fail_now(f, "You may not select both returnStdout and returnStatus.");
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
    enum tp_step_status status =
        tp_frame_run_script(f, tp_buf_str(&text),
                            named_flag(step, "returnStdout")   ? TP_SCRIPT_STDOUT
                            : named_flag(step, "returnStatus") ? TP_SCRIPT_STATUS
                                                               : TP_SCRIPT_LOG);
    tp_buf_close(&text);
    return status;
failed:
    tp_buf_close(&text);
    f->step.result = TP_RESULT_FAILURE;
    return TP_STEP_DONE;
}

enum tp_step_status tp_frame_run_script(struct frame *f, const char *text,
                                        enum tp_script_output output)
{
    /* returnStatus: the exit code is the step's value and never fails it. */
    f->return_status = output == TP_SCRIPT_STATUS;
    f->stdout_json = output == TP_SCRIPT_JSON;
    f->step.result = f->return_status ? TP_RESULT_SUCCESS : TP_RESULT_UNKNOWN;

    bool shebang = strncmp(text, "#!", 2) == 0;
    bool inline_text = !shebang && strlen(text) <= SH_INLINE_MAX;
    char *path = NULL;
    int err = script_path(f, text, !inline_text, &path);
    if (err < 0) {
        char message[256];
        snprintf(message, sizeof(message), "cannot write the script: %s", tp_strerror(err));
        remove_script(f);
        return fail_now(f, message);
    }
    char sh_name[] = "sh", sh_flags[] = "-xe", sh_c[] = "-c";
    char *argv_sh[] = { sh_name, sh_flags, path, NULL };
    char *argv_inline[] = { sh_name, sh_flags, sh_c, (char *)text, path, NULL };
    char *argv_direct[] = { path, NULL };
    struct tp_envlist env;
    tp_frame_child_env(f, &env);
    free(f->stdout_path);
    f->stdout_path = output == TP_SCRIPT_STDOUT || output == TP_SCRIPT_JSON
                         ? tp_xstrdup(tp_arena_printf(&f->run->arena, "%s.out", path))
                         : NULL;
    struct tp_exec_options options = {
        .stdout_path = f->stdout_path,
        .file = shebang ? path : "/bin/sh",
        .argv = shebang       ? argv_direct
                : inline_text ? argv_inline
                              : argv_sh,
        .env = env.items,
        .cwd = f->cwd,
        .on_output = on_sh_output,
        .on_exit = on_sh_exit,
        .data = f,
    };
    f->kill_sent = false;
    /* The run is on disk before its first process exists: a restart after a kill finds the
     * run, and the processes it left. */
    if (!f->run->spawned) {
        f->run->spawned = true;
        tp_store_flush(tp_engine_store(f->run->engine));
    }
    err = tp_exec_spawn(tp_engine_loop(f->run->engine), &options, &f->child);
    tp_env_close(&env);
    if (err < 0) {
        char message[256];
        snprintf(message, sizeof(message), "cannot run the script: %s", uv_strerror(err));
        remove_script(f);
        take_stdout(f, true);
        return fail_now(f, message);
    }
    return TP_STEP_PENDING;
}

/* --- error, unstable --- */

/* error 'message': fails the build with that message ("ERROR: message" at the end). */
static enum tp_step_status start_error(struct frame *f, const struct tp_plan_step *step)
{
    struct tp_buf text;
    tp_buf_init(&text);
    if (eval_message(f, step, &text) == 0)
        fail_now(f, tp_buf_str(&text));
    tp_buf_close(&text);
    return TP_STEP_DONE;
}

/* unstable 'message': the step, its stage and the build become UNSTABLE; the flow goes on. */
static enum tp_step_status start_unstable(struct frame *f, const struct tp_plan_step *step)
{
    struct tp_buf text;
    tp_buf_init(&text);
    if (eval_message(f, step, &text) == 0) {
        tp_run_logf(f->run, "WARNING: %s\n", tp_buf_str(&text));
        tp_frame_mark(f, TP_RESULT_UNSTABLE, TP_RESULT_UNSTABLE);
        f->step.result = TP_RESULT_UNSTABLE;
    }
    tp_buf_close(&text);
    return TP_STEP_DONE;
}

/* --- sleep --- */

static enum tp_step_status start_sleep(struct frame *f, const struct tp_plan_step *step)
{
    uint64_t ms = 0;
    if (tp_frame_duration(f, "sleep", step->call, "SECONDS", &ms) < 0) {
        f->step.result = TP_RESULT_FAILURE;
        return TP_STEP_DONE;
    }
    char span[64];
    tp_time_span(ms, span, sizeof(span));
    f->step.description = tp_arena_strdup(&f->run->arena, span);
    tp_run_logf(f->run, "Sleeping for %s\n", span);
    tp_frame_sleep(f, ms);
    return TP_STEP_PENDING;
}

/* --- files in the workspace --- */

/* The path a file argument names: relative ones are inside the frame's directory. */
static const char *eval_path(struct frame *f, const struct tp_plan_step *step, const char *arg)
{
    const struct tp_expr *e = step_arg(step, arg);
    if (e == NULL) {
        fail_now(f, tp_arena_printf(&f->run->arena, "%s requires a %s", step->name, arg));
        return NULL;
    }
    const char *text;
    if (tp_frame_eval_text(f, e, &text) < 0) {
        f->step.result = TP_RESULT_FAILURE;
        return NULL;
    }
    f->step.description = describe(f, text);
    return tp_frame_path(f, text);
}

static enum tp_step_status fail_errno(struct frame *f, const char *what, const char *path, int err)
{
    return fail_now(f, tp_arena_printf(&f->run->arena, "%s %s: %s", what, path, tp_strerror(err)));
}

/* writeFile file: 'a/b.txt', text: '...': creates missing directories, replaces the file. */
static enum tp_step_status start_write_file(struct frame *f, const struct tp_plan_step *step)
{
    const struct tp_expr *text_arg = tp_ast_named_arg(step->call, "text");
    const struct tp_expr *file_arg = tp_ast_named_arg(step->call, "file");
    if (file_arg == NULL || text_arg == NULL)
        return fail_now(f, "writeFile requires file and text");
    const char *path = eval_path(f, step, "file");
    if (path == NULL)
        return TP_STEP_DONE;
    struct tp_buf text;
    tp_buf_init(&text);
    if (tp_frame_eval(f, text_arg, &text) < 0) {
        tp_buf_close(&text);
        f->step.result = TP_RESULT_FAILURE;
        return TP_STEP_DONE;
    }
    char *dir = tp_arena_strdup(&f->run->arena, path);
    char *slash = strrchr(dir, '/');
    if (slash != NULL && slash != dir) {
        *slash = '\0';
        tp_fs_mkdir_p(dir);
    }
    int err = 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        err = -errno;
    for (size_t done = 0; err == 0 && done < text.len;) {
        ssize_t n = write(fd, text.data + done, text.len - done);
        if (n < 0)
            err = -errno;
        else
            done += (size_t)n;
    }
    if (fd >= 0)
        close(fd);
    tp_buf_close(&text);
    if (err < 0)
        return fail_errno(f, "cannot write", path, err);
    f->step.result = TP_RESULT_SUCCESS;
    return TP_STEP_DONE;
}

/* The largest file readFile returns. */
enum {
    READ_FILE_MAX = 64 << 20
};

/* readFile 'x' (its text) and fileExists 'x' (a boolean): values for Groovy. */
static enum tp_step_status start_read_file(struct frame *f, const struct tp_plan_step *step)
{
    const char *path = eval_path(f, step, "file");
    if (path == NULL)
        return TP_STEP_DONE;
    struct stat st;
    if (stat(path, &st) < 0 || S_ISDIR(st.st_mode))
        return fail_now(
            f, tp_arena_printf(&f->run->arena, "java.nio.file.NoSuchFileException: %s", path));
    struct tp_buf text;
    tp_buf_init(&text);
    int err = tp_fs_read_file(path, READ_FILE_MAX, &text);
    if (err == 0)
        f->step_value = cJSON_CreateString(tp_buf_str(&text));
    tp_buf_close(&text);
    if (err < 0)
        return fail_errno(f, "cannot read", path, err);
    f->step.result = TP_RESULT_SUCCESS;
    return TP_STEP_DONE;
}

static enum tp_step_status start_file_exists(struct frame *f, const struct tp_plan_step *step)
{
    const char *path = eval_path(f, step, "file");
    if (path == NULL)
        return TP_STEP_DONE;
    struct stat st;
    f->step_value = cJSON_CreateBool(stat(path, &st) == 0);
    f->step.result = TP_RESULT_SUCCESS;
    return TP_STEP_DONE;
}

/* deleteDir(): removes the frame's directory and everything in it; only ever inside the
 * data directory's workspaces. */
static enum tp_step_status start_delete_dir(struct frame *f, const struct tp_plan_step *step)
{
    (void)step;
    char *real = realpath(f->cwd, NULL);
    if (real == NULL) {
        f->step.result = TP_RESULT_SUCCESS; /* nothing to delete */
        return TP_STEP_DONE;
    }
    const char *env_ws = tp_env_get(&f->run->env, "JENKINS_HOME");
    char *home = realpath(env_ws != NULL ? env_ws : "/nonexistent", NULL);
    char *root = home != NULL ? tp_arena_printf(&f->run->arena, "%s/workspace/", home) : NULL;
    free(home);
    if (root == NULL || strncmp(real, root, strlen(root)) != 0) {
        enum tp_step_status status = fail_now(
            f, tp_arena_printf(&f->run->arena,
                               "tidepool deletes directories only inside its workspaces, not %s",
                               real));
        free(real);
        return status;
    }
    int err = tp_fs_remove_tree(real);
    if (err < 0) {
        enum tp_step_status status = fail_errno(f, "cannot delete", real, err);
        free(real);
        return status;
    }
    free(real);
    f->step.result = TP_RESULT_SUCCESS;
    return TP_STEP_DONE;
}

/* cleanWs() (ws-cleanup): empties the run's workspace, wherever the step runs. */
static enum tp_step_status start_clean_ws(struct frame *f, const struct tp_plan_step *step)
{
    if (tp_ast_named_arg(step->call, "patterns") != NULL)
        return fail_now(f, "tidepool's cleanWs does not take patterns yet");
    tp_run_puts(f->run, "[WS-CLEANUP] Deleting project workspace...\n");
    int err = tp_fs_remove_tree(f->run->workspace);
    if (err == 0 || err == -ENOENT)
        err = tp_fs_mkdir_p(f->run->workspace);
    if (err < 0) {
        const struct tp_expr *tolerant = tp_ast_named_arg(step->call, "notFailBuild");
        if (!(tolerant != NULL && tolerant->kind == TP_EXPR_BOOL && tolerant->flag))
            return fail_errno(f, "cannot delete", f->run->workspace, err);
    }
    tp_run_puts(f->run, "[WS-CLEANUP] done\n");
    f->step.result = TP_RESULT_SUCCESS;
    return TP_STEP_DONE;
}

static enum tp_step_status start_pwd(struct frame *f, const struct tp_plan_step *step)
{
    /* pwd(tmp: true) is the workspace's temporary directory, <workspace>@tmp */
    f->step_value = cJSON_CreateString(
        named_flag(step, "tmp") ? tp_arena_printf(&f->run->arena, "%s@tmp", f->run->workspace)
                                : f->cwd);
    f->step.result = TP_RESULT_SUCCESS;
    return TP_STEP_DONE;
}

static enum tp_step_status start_is_unix(struct frame *f, const struct tp_plan_step *step)
{
    (void)step;
    f->step_value = cJSON_CreateBool(true);
    f->step.result = TP_RESULT_SUCCESS;
    return TP_STEP_DONE;
}

/* tool 'M3' or tool(name: 'M3', type: 'maven'): the home of that installation (--tools). */
static enum tp_step_status start_tool(struct frame *f, const struct tp_plan_step *step)
{
    const struct tp_expr *name_arg = step_arg(step, "name");
    const struct tp_expr *type_arg = tp_ast_named_arg(step->call, "type");
    const char *name = NULL, *type_text = NULL, *type = NULL;
    if (name_arg == NULL)
        return fail_now(f, "tool requires a name");
    if (tp_frame_eval_text(f, name_arg, &name) < 0 ||
        (type_arg != NULL && tp_frame_eval_text(f, type_arg, &type_text) < 0)) {
        f->step.result = TP_RESULT_FAILURE;
        return TP_STEP_DONE;
    }
    f->step.description = describe(f, name);
    if (type_text != NULL && (type = tp_tools_type(type_text)) == NULL)
        return fail_now(f, tp_arena_printf(&f->run->arena, "No such tool type %s", type_text));
    const struct tp_tool *tool = tp_tools_find(tp_engine_tools(f->run->engine), type, name);
    if (tool == NULL)
        return fail_now(f, tp_arena_printf(&f->run->arena, "No %s named %s found",
                                           type_text != NULL ? type_text : "tool", name));
    f->step_value = cJSON_CreateString(tool->home);
    f->step.result = TP_RESULT_SUCCESS;
    return TP_STEP_DONE;
}

/* A named argument's text, or "" (the frame has failed when it could not be evaluated). */
static const char *arg_text(struct frame *f, const struct tp_plan_step *step, const char *name)
{
    const char *text = NULL;
    if (tp_frame_eval_text(f, tp_ast_named_arg(step->call, name), &text) < 0 || text == NULL)
        return "";
    return text;
}

/*
 * mail, emailext, slackSend: a sandbox sends no notifications. The step says what it would
 * have sent and succeeds; a --stubs line (`slackSend shell:...`) replaces it.
 */
static enum tp_step_status start_notify(struct frame *f, const struct tp_plan_step *step)
{
    struct tp_buf what;
    tp_buf_init(&what);
    if (strcmp(step->name, "slackSend") == 0) {
        const char *channel = arg_text(f, step, "channel");
        const struct tp_expr *message = step_arg(step, "message");
        const char *text = NULL;
        if (tp_frame_eval_text(f, message, &text) < 0 || text == NULL)
            text = "";
        tp_buf_printf(&what, "Slack message%s%s: %s", channel[0] ? " to " : "", channel, text);
        f->step.description = describe(f, text);
    } else {
        const char *to = arg_text(f, step, "to"), *subject = arg_text(f, step, "subject");
        tp_buf_printf(&what, "mail%s%s, subject \"%s\"", to[0] ? " to " : "", to, subject);
        f->step.description = describe(f, subject);
    }
    if (f->failed) {
        tp_buf_close(&what);
        f->step.result = TP_RESULT_FAILURE;
        return TP_STEP_DONE;
    }
    tp_run_logf(f->run,
                "tidepool: %s not sent (a sandbox sends no notifications; --stubs can "
                "map %s to a command)\n",
                tp_buf_str(&what), step->name);
    tp_buf_close(&what);
    f->step.result = TP_RESULT_SUCCESS;
    return TP_STEP_DONE;
}

static const struct tp_step_def steps[] = {
    { "echo", "Print Message", false, start_echo, false },
    { "sh", "Shell Script", true, start_sh, false },
    { "error", "Error signal", false, start_error, false },
    { "unstable", "Set stage result to unstable", false, start_unstable, false },
    { "sleep", "Sleep", false, start_sleep, false },
    { "writeFile", "Write file to workspace", true, start_write_file, false },
    { "readFile", "Read file from workspace", true, start_read_file, false },
    { "fileExists", "Verify if file exists in workspace", true, start_file_exists, false },
    { "deleteDir", "Recursively delete the current directory from the workspace", true,
      start_delete_dir, false },
    { "pwd", "Determine current directory", true, start_pwd, false },
    { "stash", "Stash some files to be used later in the build", true, tp_step_stash, false },
    { "unstash", "Restore files previously stashed", true, tp_step_unstash, false },
    { "input", "Wait for interactive input", false, tp_step_input, false },
    { "isUnix", "Checks if running on a Unix-like node", true, start_is_unix, false },
    { "archiveArtifacts", "Archive the artifacts", true, tp_step_archive, false },
    { "junit", "Archive JUnit-formatted test results", true, tp_step_junit, false },
    { "git", "Git", true, tp_step_git, false },
    { "checkout", "Check out from version control", true, tp_step_checkout, false },
    { "cleanWs", "Delete workspace when build is done", true, start_clean_ws, false },
    { "tool", "Use a tool from a predefined Tool Installation", false, start_tool, false },
    { "build", "Build a job", false, tp_step_build, false },
    { "mail", "Mail", false, start_notify, true },
    { "emailext", "Extended Email", false, start_notify, true },
    { "slackSend", "Send Slack Message", false, start_notify, true },
    { "milestone", "The milestone step forces all builds to go through in order", false,
      tp_step_milestone, false },
};

/* The block steps: each runs its body as a frame (see engine.c). */
static const char *const block_steps[] = {
    "dir",       "withEnv",         "timeout",    "retry",     "catchError", "warnError",
    "waitUntil", "withCredentials", "timestamps", "ansiColor", "lock",       "sshagent",
    NULL
};

bool tp_steps_is_block(const char *name)
{
    return tp_str_in(name, block_steps);
}

/* Steps Jenkins has (core and the common plugins) that tidepool does not run yet. */
static const char *const jenkins_steps[] = { "bat",  "load", "parallel", "powershell",
                                             "pwsh", "step", "ws",       NULL };

bool tp_steps_is_jenkins(const char *name)
{
    return tp_str_in(name, jenkins_steps);
}

const struct tp_step_def *tp_steps_find(const char *name)
{
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        if (strcmp(steps[i].name, name) == 0)
            return &steps[i];
    }
    for (const struct tp_step_def *d = tp_utility_steps; d->name != NULL; d++) {
        if (strcmp(d->name, name) == 0)
            return d;
    }
    return NULL;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void tp_steps_list(struct tp_buf *out)
{
    enum {
        NSTEPS = sizeof(steps) / sizeof(steps[0])
    };

    enum {
        NUTILITY = 8 /* room for tp_utility_steps */
    };

    const char *names[NSTEPS + NUTILITY + sizeof(block_steps) / sizeof(block_steps[0]) + 1];
    size_t n = 0;
    names[n++] = "script";
    for (size_t i = 0; i < NSTEPS; i++)
        names[n++] = steps[i].name;
    for (size_t i = 0; tp_utility_steps[i].name != NULL && i < NUTILITY; i++)
        names[n++] = tp_utility_steps[i].name;
    for (const char *const *p = block_steps; *p != NULL; p++)
        names[n++] = *p;
    qsort(names, n, sizeof(names[0]), compare_names); /* Jenkins lists them sorted */
    tp_buf_putc(out, '[');
    for (size_t i = 0; i < n; i++)
        tp_buf_printf(out, "%s%s", i ? ", " : "", names[i]);
    tp_buf_putc(out, ']');
}
