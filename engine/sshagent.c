/* SPDX-License-Identifier: MIT */
/*
 * The sshagent step (ssh-agent plugin): `sshagent(['git-key']) { ... }` or
 * `sshagent(credentials: [...], ignoreMissing: true) { ... }`. OpenSSH's ssh-agent is started
 * (in a child shell, never blocking the loop) with the SSH keys of those credentials added
 * (a passphrase through SSH_ASKPASS); the body runs with SSH_AUTH_SOCK and SSH_AGENT_PID; the
 * agent is killed when the block ends. The log reads as the plugin's.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uv.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/fs.h"
#include "common/mem.h"
#include "engine/credentials.h"
#include "engine/engine_int.h"
#include "executor/exec.h"

static void on_agent_output(void *data, const char *bytes, size_t len)
{
    struct frame *f = data;
    tp_frame_log(f->run, NULL, bytes, len);
}

static void opened(struct frame *f)
{
    tp_run_puts(f->run, "[Pipeline] {\n");
}

static void on_agent_started(void *data, int64_t status, int term_signal)
{
    struct frame *f = data;
    (void)term_signal;
    f->child = NULL;
    f->agent_starting = false;
    struct tp_buf pid;
    tp_buf_init(&pid);
    const char *pid_path = tp_arena_printf(&f->run->arena, "%s/pid", f->agent_dir);
    if (status == 0 && tp_fs_read_file(pid_path, 32, &pid) == 0)
        f->agent_pid = atol(tp_buf_str(&pid));
    tp_buf_close(&pid);
    if (f->kill_sent || status != 0 || f->agent_pid <= 0) {
        if (f->kill_sent)
            tp_frame_fail(f, TP_RESULT_ABORTED, true, NULL);
        else
            tp_frame_fail(f, TP_RESULT_FAILURE, true,
                          "[ssh-agent] Could not start ssh-agent (is OpenSSH's ssh-agent there?)");
    } else {
        tp_env_set(&f->env, "SSH_AUTH_SOCK",
                   tp_arena_printf(&f->run->arena, "%s/agent.sock", f->agent_dir));
        tp_env_set(&f->env, "SSH_AGENT_PID",
                   tp_arena_printf(&f->run->arena, "%ld", (long)f->agent_pid));
        tp_run_puts(f->run, "[ssh-agent] Started.\n");
    }
    opened(f);
    tp_frame_resume_later(f);
}

void tp_sshagent_enter(struct frame *f)
{
    struct run *run = f->run;
    const struct tp_expr *list = tp_step_arg(f->block->call, "credentials");
    const struct tp_expr *ignore = tp_ast_named_arg(f->block->call, "ignoreMissing");
    bool ignore_missing = ignore != NULL && ignore->kind == TP_EXPR_BOOL && ignore->flag;
    if (list == NULL || list->kind != TP_EXPR_LIST) {
        tp_frame_fail(f, TP_RESULT_FAILURE, true, "sshagent expects a list of credentials ids");
        opened(f);
        return;
    }
    unsigned char random[4];
    if (uv_random(NULL, NULL, random, sizeof(random), 0, NULL) < 0)
        memset(random, 0, sizeof(random));
    f->agent_dir = tp_arena_printf(&run->arena, "%s@tmp/ssh-agent-%02x%02x%02x%02x", run->workspace,
                                   random[0], random[1], random[2], random[3]);
    int err = tp_fs_mkdir_p(f->agent_dir);
    if (err == 0 && chmod(f->agent_dir, 0700) < 0)
        err = TP_EINVAL;
    if (err < 0) {
        tp_frame_fail(
            f, TP_RESULT_FAILURE, true,
            tp_arena_printf(&run->arena, "cannot create %s: %s", f->agent_dir, tp_strerror(err)));
        f->agent_dir = NULL;
        opened(f);
        return;
    }
    struct tp_buf script;
    tp_buf_init(&script);
    tp_buf_puts(&script, "set -e\nDIR=");
    tp_shell_quote(&script, f->agent_dir);
    tp_buf_puts(&script, "\neval \"$(ssh-agent -s -a \"$DIR/agent.sock\")\" > /dev/null\n"
                         "printf '%s\\n' \"$SSH_AGENT_PID\" > \"$DIR/pid\"\n"
                         "echo \"SSH_AUTH_SOCK=$SSH_AUTH_SOCK\"\n"
                         "echo \"SSH_AGENT_PID=$SSH_AGENT_PID\"\n");
    for (size_t i = 0; i < list->args.count && !f->failed; i++) {
        const char *id = NULL, *key = NULL, *user = NULL, *passphrase = NULL;
        if (tp_frame_eval_text(f, list->args.items[i], &id) < 0 || id == NULL)
            break;
        err = tp_credentials_ssh_key(f, id, ignore_missing, &key, &user, &passphrase);
        if (err == TP_ENOTFOUND && ignore_missing) {
            tp_run_logf(run, "[ssh-agent] Could not find specified credentials: %s\n", id);
            continue;
        }
        if (err < 0)
            break;
        tp_run_logf(run, "[ssh-agent] Using credentials %s\n", user[0] ? user : id);
        if (passphrase[0] != '\0') {
            /* ssh-add asks SSH_ASKPASS for the passphrase */
            const char *askpass = tp_arena_printf(&run->arena, "%s/askpass-%zu", f->agent_dir, i);
            struct tp_buf text;
            tp_buf_init(&text);
            tp_buf_puts(&text, "#!/bin/sh\nprintf '%s\\n' ");
            tp_shell_quote(&text, passphrase);
            tp_buf_putc(&text, '\n');
            err = tp_fs_write_file(askpass, text.data, text.len, 0700);
            tp_buf_close(&text);
            if (err < 0) {
                tp_frame_fail(f, TP_RESULT_FAILURE, true, "cannot write the key's passphrase");
                break;
            }
            tp_buf_puts(&script, "SSH_ASKPASS=");
            tp_shell_quote(&script, askpass);
            tp_buf_puts(&script, " SSH_ASKPASS_REQUIRE=force DISPLAY=none ");
        }
        tp_buf_puts(&script, "ssh-add ");
        tp_shell_quote(&script, key);
        tp_buf_puts(&script, " < /dev/null\n");
    }
    if (f->failed) {
        tp_buf_close(&script);
        opened(f);
        return;
    }
    tp_run_puts(run, "[ssh-agent] Looking for ssh-agent implementation...\n"
                     "[ssh-agent]   Exec ssh-agent (binary ssh-agent on a remote machine)\n"
                     "$ ssh-agent\n");
    char sh[] = "/bin/sh", c[] = "-c";
    char *argv[] = { sh, c, script.data, NULL };
    struct tp_envlist env;
    tp_frame_child_env(f, &env);
    struct tp_exec_options options = {
        .file = "/bin/sh",
        .argv = argv,
        .env = env.items,
        .cwd = f->cwd,
        .on_output = on_agent_output,
        .on_exit = on_agent_started,
        .data = f,
    };
    err = tp_exec_spawn(tp_engine_loop(run->engine), &options, &f->child);
    tp_env_close(&env);
    tp_buf_close(&script);
    if (err < 0) {
        tp_frame_fail(f, TP_RESULT_FAILURE, true, "[ssh-agent] Could not start ssh-agent");
        opened(f);
        return;
    }
    f->agent_starting = true;
}

void tp_sshagent_leave(struct frame *f)
{
    if (f->agent_dir == NULL)
        return;
    if (f->agent_pid > 0) {
        kill((pid_t)f->agent_pid, SIGTERM);
        tp_run_logf(f->run,
                    "$ ssh-agent -k\nunset SSH_AUTH_SOCK;\nunset SSH_AGENT_PID;\n"
                    "echo Agent pid %ld killed;\n[ssh-agent] Stopped.\n",
                    (long)f->agent_pid);
        f->agent_pid = 0;
    }
    tp_fs_remove_tree(f->agent_dir);
    f->agent_dir = NULL;
}
