/* SPDX-License-Identifier: MIT */
/*
 * Workspace files selected by Ant patterns: stash / unstash (saved by one stage for a later
 * one, kept under <data>/stashes/<run id>/<name>/ for the life of the run), archiveArtifacts
 * (kept under <data>/artifacts/<job>/<run number>/ with the run), and the walk junit reads
 * its reports with.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fs.h"
#include "common/str.h"
#include "engine/engine_int.h"
#include "engine/runstate.h"

enum {
    MAX_DEPTH = 64 /* directories deeper than this are not walked */
};

/* Ant's default excludes (the part of them a workspace meets): version control metadata and
 * editor leftovers. */
static const char *const default_excludes[] = { "**/.git/**",   "**/.git",   "**/.svn/**",
                                                "**/.hg/**",    "**/CVS/**", "**/*~",
                                                "**/.DS_Store", NULL };

struct patterns {
    char **items;
    size_t count;
};

/* Splits a comma-separated Ant pattern list into patterns (spaces around each ignored). */
static void split_patterns(struct frame *f, const char *text, struct patterns *out)
{
    out->items = NULL;
    out->count = 0;
    char *copy = tp_arena_strdup(&f->run->arena, text);
    size_t cap = 0;
    for (char *save = NULL, *p = strtok_r(copy, ",", &save); p != NULL;
         p = strtok_r(NULL, ",", &save)) {
        while (*p == ' ' || *p == '\t')
            p++;
        size_t n = strlen(p);
        while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            p[--n] = '\0';
        if (n == 0)
            continue;
        if (out->count == cap) {
            cap = cap ? cap * 2 : 4;
            char **grown = tp_arena_alloc(&f->run->arena, cap * sizeof(char *));
            if (out->count > 0)
                memcpy(grown, out->items, out->count * sizeof(char *));
            out->items = grown;
        }
        out->items[out->count++] = p;
    }
}

static bool matches_any(const struct patterns *p, const char *rel, bool case_sensitive)
{
    for (size_t i = 0; i < p->count; i++) {
        if (tp_str_glob(p->items[i], rel, case_sensitive))
            return true;
    }
    return false;
}

static int copy_file(const char *from, const char *to)
{
    char *dir = tp_xstrdup(to);
    char *slash = strrchr(dir, '/');
    if (slash != NULL && slash != dir) {
        *slash = '\0';
        tp_fs_mkdir_p(dir);
    }
    free(dir);
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return -errno;
    struct stat st;
    fstat(in, &st);
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, st.st_mode & 0777);
    if (out < 0) {
        int err = -errno;
        close(in);
        return err;
    }
    char buffer[65536];
    ssize_t n;
    int err = 0;
    while (err == 0 && (n = read(in, buffer, sizeof(buffer))) != 0) {
        if (n < 0) {
            err = -errno;
            break;
        }
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(out, buffer + done, (size_t)(n - done));
            if (w < 0) {
                err = -errno;
                break;
            }
            done += w;
        }
    }
    close(in);
    close(out);
    return err;
}

struct walk {
    const char *from, *to; /* roots */
    const struct patterns *includes, *excludes;
    bool default_excludes, case_sensitive;
    /* What happens to a selected file: copied to `to` when NULL. */
    int (*visit)(void *ctx, const char *path, const char *rel);
    void *ctx;
    long copied;
    int err;
};

/* Copies the files under from/rel that the patterns select to to/rel. */
static void walk(struct walk *w, const char *rel, int depth)
{
    char *dir_path = rel[0] ? tp_xmalloc(strlen(w->from) + strlen(rel) + 2) : tp_xstrdup(w->from);
    if (rel[0])
        sprintf(dir_path, "%s/%s", w->from, rel);
    DIR *dir = opendir(dir_path);
    free(dir_path);
    if (dir == NULL || depth > MAX_DEPTH) {
        if (dir != NULL)
            closedir(dir);
        return;
    }
    struct dirent *e;
    while (w->err == 0 && (e = readdir(dir)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        size_t n = strlen(rel) + strlen(e->d_name) + 2;
        char *child = tp_xmalloc(n);
        snprintf(child, n, rel[0] ? "%s/%s" : "%s%s", rel, e->d_name);
        char *path = tp_xmalloc(strlen(w->from) + n + 1);
        sprintf(path, "%s/%s", w->from, child);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            walk(w, child, depth + 1);
        } else if (S_ISREG(st.st_mode) && matches_any(w->includes, child, w->case_sensitive) &&
                   !matches_any(w->excludes, child, w->case_sensitive)) {
            bool excluded = false;
            for (const char *const *d = default_excludes; w->default_excludes && *d && !excluded;
                 d++)
                excluded = tp_str_glob(*d, child, true);
            if (!excluded && w->visit != NULL) {
                w->err = w->visit(w->ctx, path, child);
                w->copied += w->err == 0;
            } else if (!excluded) {
                char *target = tp_xmalloc(strlen(w->to) + n + 1);
                sprintf(target, "%s/%s", w->to, child);
                w->err = copy_file(path, target);
                w->copied += w->err == 0;
                free(target);
            }
        }
        free(path);
        free(child);
    }
    closedir(dir);
}

/* <data>/stashes/<run id>[/<name>] */
static char *stash_path(struct frame *f, const char *name)
{
    const char *home = tp_env_get(&f->run->env, "JENKINS_HOME");
    return name != NULL ? tp_arena_printf(&f->run->arena, "%s/stashes/%lld/%s", home,
                                          (long long)f->run->rec.id, name)
                        : tp_arena_printf(&f->run->arena, "%s/stashes/%lld", home,
                                          (long long)f->run->rec.id);
}

static enum tp_step_status fail_step(struct frame *f, const char *message)
{
    tp_frame_fail(f, TP_RESULT_FAILURE, true, message);
    f->step.result = TP_RESULT_FAILURE;
    return TP_STEP_DONE;
}

/* Evaluates an optional string argument; `fallback` when absent. NULL: the step failed. */
static const char *string_arg(struct frame *f, const struct tp_expr *e, const char *fallback)
{
    const char *value = NULL;
    if (tp_frame_eval_text(f, e, &value) < 0) {
        f->step.result = TP_RESULT_FAILURE;
        return NULL;
    }
    return e != NULL ? value : fallback;
}

/* A stash name may not leave its directory. */
static bool valid_name(const char *name)
{
    return name[0] != '\0' && strchr(name, '/') == NULL && strcmp(name, ".") != 0 &&
           strcmp(name, "..") != 0;
}

enum tp_step_status tp_step_stash(struct frame *f, const struct tp_plan_step *step)
{
    const char *name = string_arg(f, tp_step_arg(step->call, "name"), NULL);
    if (f->step.result == TP_RESULT_FAILURE)
        return TP_STEP_DONE;
    if (name == NULL || !valid_name(name))
        return fail_step(f, "stash requires a name (without '/')");
    const char *includes = string_arg(f, tp_ast_named_arg(step->call, "includes"), "**");
    const char *excludes =
        includes ? string_arg(f, tp_ast_named_arg(step->call, "excludes"), "") : NULL;
    if (includes == NULL || excludes == NULL)
        return TP_STEP_DONE;
    const struct tp_expr *allow = tp_ast_named_arg(step->call, "allowEmpty");
    const struct tp_expr *defaults = tp_ast_named_arg(step->call, "useDefaultExcludes");
    f->step.description = name;
    struct patterns inc, exc;
    split_patterns(f, includes[0] ? includes : "**", &inc);
    split_patterns(f, excludes, &exc);
    char *target = stash_path(f, name);
    struct stat st;
    if (stat(target, &st) == 0) /* a stash of the same name is replaced */
        tp_fs_remove_tree(target);
    struct walk w = { .from = f->cwd,
                      .to = target,
                      .includes = &inc,
                      .excludes = &exc,
                      .case_sensitive = true,
                      .default_excludes = !(defaults != NULL && defaults->kind == TP_EXPR_BOOL &&
                                            !defaults->flag) };
    walk(&w, "", 0);
    if (w.err < 0)
        return fail_step(f, tp_arena_printf(&f->run->arena, "cannot stash into %s: %s", target,
                                            tp_strerror(w.err)));
    if (w.copied == 0 && !(allow != NULL && allow->kind == TP_EXPR_BOOL && allow->flag))
        return fail_step(f,
                         tp_arena_printf(&f->run->arena, "No files included in stash ‘%s’", name));
    tp_run_logf(f->run, "Stashed %ld file(s)\n", w.copied);
    f->step.result = TP_RESULT_SUCCESS;
    return TP_STEP_DONE;
}

enum tp_step_status tp_step_unstash(struct frame *f, const struct tp_plan_step *step)
{
    const char *name = string_arg(f, tp_step_arg(step->call, "name"), NULL);
    if (f->step.result == TP_RESULT_FAILURE)
        return TP_STEP_DONE;
    if (name == NULL || !valid_name(name))
        return fail_step(f, "unstash requires a name (without '/')");
    f->step.description = name;
    char *source = stash_path(f, name);
    struct stat st;
    if (stat(source, &st) < 0)
        return fail_step(f, tp_arena_printf(&f->run->arena, "No such saved stash ‘%s’", name));
    struct patterns all;
    split_patterns(f, "**", &all);
    struct patterns none = { 0 };
    struct walk w = { .from = source, .to = f->cwd, .includes = &all, .excludes = &none };
    walk(&w, "", 0);
    if (w.err < 0)
        return fail_step(f, tp_arena_printf(&f->run->arena, "cannot unstash into %s: %s", f->cwd,
                                            tp_strerror(w.err)));
    f->step.result = TP_RESULT_SUCCESS;
    return TP_STEP_DONE;
}

static char *stashes_of(struct run *run, int64_t run_id)
{
    const char *home = tp_env_get(&run->env, "JENKINS_HOME");
    return home != NULL ? tp_arena_printf(&run->arena, "%s/stashes/%lld", home, (long long)run_id)
                        : NULL;
}

static void remove_stashes(struct run *run, int64_t run_id)
{
    char *dir = stashes_of(run, run_id);
    struct stat st;
    if (dir != NULL && stat(dir, &st) == 0)
        tp_fs_remove_tree(dir);
}

/* options { preserveStashes(buildCount: N) }: how many builds keep theirs (0: none). */
static long long preserved(const struct run *run)
{
    for (size_t i = 0; run->plan != NULL && i < run->plan->noptions; i++) {
        const struct tp_plan_call *o = &run->plan->options[i];
        if (strcmp(o->name, "preserveStashes") != 0)
            continue;
        const struct tp_expr *count = tp_ast_named_arg(o->call, "buildCount");
        long long n = count != NULL && count->kind == TP_EXPR_INT ? count->ival : 1;
        return n < 1 ? 1 : n > 50 ? 50 : n; /* the plugin's bounds */
    }
    return 0;
}

static int drop_older(void *ctx, const struct tp_run_rec *rec)
{
    remove_stashes(ctx, rec->id);
    return 0;
}

void tp_stash_drop(struct run *run)
{
    long long keep = preserved(run);
    if (keep == 0) {
        remove_stashes(run, run->rec.id);
        return;
    }
    /* this build's stay, with those of the newest builds before it, for restarts */
    tp_store_run_list(tp_engine_store(run->engine), run->rec.pipeline_id, TP_RUNS_BUILDS, keep,
                      INT64_MAX, &run->arena, drop_older, run);
}

/* Hard-links the tree `from` into `to` (made as needed). */
static void link_tree(const char *from, const char *to, int depth)
{
    DIR *d = depth < MAX_DEPTH ? opendir(from) : NULL;
    if (d == NULL || mkdir(to, 0755) < 0) {
        if (d != NULL)
            closedir(d);
        return;
    }
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        size_t nf = strlen(from) + strlen(e->d_name) + 2, nt = strlen(to) + strlen(e->d_name) + 2;
        char *a = malloc(nf), *b = malloc(nt);
        snprintf(a, nf, "%s/%s", from, e->d_name);
        snprintf(b, nt, "%s/%s", to, e->d_name);
        struct stat st;
        if (lstat(a, &st) == 0 && S_ISDIR(st.st_mode))
            link_tree(a, b, depth + 1);
        else if (lstat(a, &st) == 0 && S_ISREG(st.st_mode) && link(a, b) < 0)
            copy_file(a, b);
        free(a);
        free(b);
    }
    closedir(d);
}

void tp_stash_inherit(struct run *run, int64_t from_run_id)
{
    char *from = stashes_of(run, from_run_id), *to = stashes_of(run, run->rec.id);
    struct stat st;
    if (from == NULL || stat(from, &st) < 0)
        return;
    char *parent = tp_arena_printf(&run->arena, "%s/..", to);
    mkdir(parent, 0755);
    link_tree(from, to, 0);
}

static bool flag_arg(const struct tp_plan_step *step, const char *name, bool fallback)
{
    const struct tp_expr *e = tp_ast_named_arg(step->call, name);
    return e != NULL && e->kind == TP_EXPR_BOOL ? e->flag : fallback;
}

enum tp_step_status tp_step_archive(struct frame *f, const struct tp_plan_step *step)
{
    const char *artifacts = string_arg(f, tp_step_arg(step->call, "artifacts"), NULL);
    if (f->step.result == TP_RESULT_FAILURE)
        return TP_STEP_DONE;
    if (artifacts == NULL || artifacts[0] == '\0')
        return fail_step(f, "archiveArtifacts requires artifacts (an Ant pattern)");
    const char *excludes = string_arg(f, tp_ast_named_arg(step->call, "excludes"), "");
    if (excludes == NULL)
        return TP_STEP_DONE;
    f->step.description = artifacts;
    if (flag_arg(step, "onlyIfSuccessful", false) &&
        tp_result_worse(f->run->result_floor, f->result) != TP_RESULT_SUCCESS) {
        tp_run_puts(f->run, "Skipped archiving because build is not successful\n");
        f->step.result = TP_RESULT_SUCCESS;
        return TP_STEP_DONE;
    }
    tp_run_puts(f->run, "Archiving artifacts\n");
    struct patterns inc, exc;
    split_patterns(f, artifacts, &inc);
    split_patterns(f, excludes, &exc);
    const char *home = tp_env_get(&f->run->env, "JENKINS_HOME");
    char *target = tp_arena_printf(&f->run->arena, "%s/artifacts/%s/%lld", home,
                                   f->run->rec.pipeline, (long long)f->run->rec.number);
    struct walk w = { .from = f->cwd,
                      .to = target,
                      .includes = &inc,
                      .excludes = &exc,
                      .case_sensitive = flag_arg(step, "caseSensitive", true),
                      .default_excludes = flag_arg(step, "defaultExcludes", true) };
    walk(&w, "", 0);
    if (w.err < 0)
        return fail_step(f, tp_arena_printf(&f->run->arena, "cannot archive into %s: %s", target,
                                            tp_strerror(w.err)));
    if (w.copied == 0) {
        const char *message = tp_arena_printf(
            &f->run->arena,
            "No artifacts found that match the file pattern \"%s\". Configuration error?",
            artifacts);
        if (!flag_arg(step, "allowEmptyArchive", false))
            return fail_step(f, message);
        tp_run_logf(f->run, "%s\n", message);
    }
    f->step.result = TP_RESULT_SUCCESS;
    return TP_STEP_DONE;
}

long tp_files_each(struct frame *f, const char *root, const char *includes, const char *excludes,
                   bool case_sensitive, int (*visit)(void *ctx, const char *path, const char *rel),
                   void *ctx)
{
    struct patterns inc, exc;
    split_patterns(f, includes, &inc);
    split_patterns(f, excludes != NULL ? excludes : "", &exc);
    struct walk w = { .from = root,
                      .includes = &inc,
                      .excludes = &exc,
                      .default_excludes = true,
                      .case_sensitive = case_sensitive,
                      .visit = visit,
                      .ctx = ctx };
    walk(&w, "", 0);
    return w.err < 0 ? w.err : w.copied;
}
