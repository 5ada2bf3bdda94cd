/* SPDX-License-Identifier: MIT */
/*
 * git and checkout: a checkout with the git CLI into the step's directory, logged as the Git
 * plugin logs it, its value the map of GIT_* variables (GIT_COMMIT, GIT_BRANCH, GIT_URL,
 * GIT_LOCAL_BRANCH). The repository is any URL the git CLI fetches from (a local path or
 * file:// URL in a sandbox); credentials are not used.
 *
 * `checkout scm` checks out the job's own repository (a "Pipeline script from SCM" job made
 * from a config.xml); jobs from a jobs directory are inline scripts (as Jenkins' "Pipeline
 * script" jobs are), where it fails as Jenkins fails it.
 */
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "engine/engine_int.h"

static enum tp_step_status fail(struct frame *f, const char *message)
{
    tp_frame_fail(f, TP_RESULT_FAILURE, true, message);
    f->step.result = TP_RESULT_FAILURE;
    return TP_STEP_DONE;
}

void tp_shell_quote(struct tp_buf *out, const char *text)
{
    tp_buf_putc(out, '\'');
    for (const char *p = text; *p; p++) {
        if (*p == '\'')
            tp_buf_puts(out, "'\\''");
        else
            tp_buf_putc(out, *p);
    }
    tp_buf_putc(out, '\'');
}

const char *tp_scm_branch_name(const char *spec)
{
    static const char *const prefixes[] = { "*/", "origin/", "refs/heads/",
                                            "refs/remotes/origin/" };
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        size_t n = strlen(prefixes[i]);
        if (strncmp(spec, prefixes[i], n) == 0)
            return spec + n;
    }
    return spec;
}

/* Starts the checkout of `branch` of `url` into the step's directory; `local` also makes a
 * local branch of that name (the git step), else the revision is checked out detached. */
static enum tp_step_status checkout(struct frame *f, const char *url, const char *branch,
                                    bool local)
{
    if (strpbrk(url, "\"\\\n") != NULL || strpbrk(branch, "\"\\\n'*? ") != NULL)
        return fail(f, "tidepool cannot check out this repository URL or branch name");
    struct tp_buf script;
    tp_buf_init(&script);
    tp_buf_puts(&script, "#!/bin/sh\nset -e\nexec 3>&1 1>&2\nURL=");
    tp_shell_quote(&script, url);
    tp_buf_puts(&script, "\nBRANCH=");
    tp_shell_quote(&script, branch);
    tp_buf_printf(
        &script,
        "\nif [ -d .git ]; then\n"
        "  echo 'Fetching changes from the remote Git repository'\n"
        "else\n"
        "  echo 'Cloning the remote Git repository'\n"
        "  echo \"Cloning repository $URL\"\n"
        "  echo \" > git init $PWD # timeout=10\"\n"
        "  git init -q .\n"
        "fi\n"
        "echo \"Fetching upstream changes from $URL\"\n"
        "echo \" > git fetch --no-tags --force --progress -- $URL "
        "+refs/heads/*:refs/remotes/origin/* # timeout=10\"\n"
        "git fetch -q --no-tags --force -- \"$URL\" '+refs/heads/*:refs/remotes/origin/*'\n"
        "COMMIT=$(git rev-parse --verify -q \"refs/remotes/origin/$BRANCH^{commit}\") || {\n"
        "  echo \"ERROR: Couldn't find any revision to build. Verify the repository and branch "
        "configuration for this job.\"\n"
        "  exit 128\n"
        "}\n"
        "echo \"Checking out Revision $COMMIT (refs/remotes/origin/$BRANCH)\"\n"
        "echo \" > git checkout -f $COMMIT # timeout=10\"\n"
        "git -c advice.detachedHead=false checkout -q -f %s\"$COMMIT\"\n"
        "echo \"Commit message: \\\"$(git log -1 --pretty=%%s \"$COMMIT\")\\\"\"\n"
        "printf '{\"GIT_COMMIT\":\"%%s\",\"GIT_BRANCH\":\"origin/%%s\",\"GIT_URL\":\"%%s\","
        "\"GIT_LOCAL_BRANCH\":\"%%s\"}' \"$COMMIT\" \"$BRANCH\" \"$URL\" \"$BRANCH\" >&3\n",
        local ? "-B \"$BRANCH\" " : "");
    f->step.description = tp_arena_strdup(&f->run->arena, url);
    enum tp_step_status status = tp_frame_run_script(f, tp_buf_str(&script), TP_SCRIPT_JSON);
    tp_buf_close(&script);
    return status;
}

/* A named argument's text, evaluated; `fallback` when absent, NULL after a failure. */
static const char *text_arg(struct frame *f, const struct tp_expr *e, const char *fallback)
{
    const char *text = NULL;
    if (tp_frame_eval_text(f, e, &text) < 0)
        return NULL;
    return text != NULL ? text : fallback;
}

enum tp_step_status tp_step_git(struct frame *f, const struct tp_plan_step *step)
{
    const char *url = text_arg(f, tp_step_arg(step->call, "url"), NULL);
    const char *branch = text_arg(f, tp_ast_named_arg(step->call, "branch"), "master");
    if (f->failed || url == NULL || branch == NULL) {
        f->step.result = TP_RESULT_FAILURE;
        return url == NULL && !f->failed ? fail(f, "git requires a url") : TP_STEP_DONE;
    }
    return checkout(f, url, tp_scm_branch_name(branch), true);
}

/* The first item of a list argument that is a map (or a call's named arguments). */
static const struct tp_expr *first_map(const struct tp_expr *list)
{
    if (list == NULL || list->kind != TP_EXPR_LIST || list->args.count == 0)
        return NULL;
    return list->args.items[0];
}

enum tp_step_status tp_step_checkout(struct frame *f, const struct tp_plan_step *step)
{
    const struct tp_expr *scm = tp_step_arg(step->call, "scm");
    if (scm == NULL && step->call->named.count > 0)
        scm = step->call; /* checkout $class: 'GitSCM', ... */
    if (scm == NULL)
        return fail(f, "checkout requires an scm");
    bool job_scm = (scm->kind == TP_EXPR_IDENT && strcmp(scm->text, "scm") == 0) ||
                   (scm->kind == TP_EXPR_STRING && strcmp(scm->text, "hudson.scm.NullSCM") == 0);
    if (job_scm && f->run->scm_url != NULL)
        return checkout(f, f->run->scm_url, f->run->scm_branch, false);
    if (job_scm)
        return fail(f, "‘checkout scm’ is only available when using “Multibranch Pipeline” or "
                       "“Pipeline script from SCM”");
    const struct tp_expr *cls = tp_ast_named_arg(scm, "$class");
    bool git = (scm->kind == TP_EXPR_CALL && scm->text != NULL &&
                (strcmp(scm->text, "scmGit") == 0 || strcmp(scm->text, "checkout") == 0)) ||
               (cls != NULL && cls->kind == TP_EXPR_STRING && strcmp(cls->text, "GitSCM") == 0);
    if (!git || (cls != NULL && cls->kind == TP_EXPR_STRING && strcmp(cls->text, "GitSCM") != 0))
        return fail(f, "tidepool checks out git repositories only (GitSCM, scmGit)");
    const struct tp_expr *remote = first_map(tp_ast_named_arg(scm, "userRemoteConfigs"));
    const struct tp_expr *branches = first_map(tp_ast_named_arg(scm, "branches"));
    const char *url = remote != NULL ? text_arg(f, tp_ast_named_arg(remote, "url"), NULL) : NULL;
    const char *branch =
        branches != NULL ? text_arg(f, tp_ast_named_arg(branches, "name"), "master") : "master";
    if (f->failed) {
        f->step.result = TP_RESULT_FAILURE;
        return TP_STEP_DONE;
    }
    if (url == NULL)
        return fail(f, "checkout: userRemoteConfigs has no url");
    return checkout(f, url, branch != NULL ? tp_scm_branch_name(branch) : "master", false);
}
