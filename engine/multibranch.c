/* SPDX-License-Identifier: MIT */
/*
 * Multibranch pipelines: branch indexing. A multibranch item's properties name its git
 * repository and script path; indexing fetches the repository's branches into a bare cache
 * under the data directory (with the git CLI, as a child process: the loop never waits) and
 * lists the branches whose head holds the script. Each becomes a branch job "<mbp>/<name>"
 * (a '/' in the branch name encoded as %2F, as Jenkins names branch jobs) whose runs read their
 * Jenkinsfile from the branch (the "script from SCM" path of engine.c); a new branch, or one
 * whose head moved, is built ("Branch indexing"); a branch that is gone is deleted with its
 * runs (unless one is going).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/mem.h"
#include "engine/engine_int.h"

enum {
    MAX_BRANCHES = 1000,  /* branches of one repository */
    MAX_LISTING = 1 << 20 /* bytes of the indexer's output */
};

struct indexing {
    struct tp_engine *engine;
    char *mbp, *url, *script_path, *out;
    int64_t mbp_id;
};

void tp_branch_job_name(const char *mbp, const char *branch, struct tp_buf *out)
{
    tp_buf_printf(out, "%s/", mbp);
    for (const char *p = branch; *p; p++) {
        if (*p == '%')
            tp_buf_puts(out, "%25");
        else if (*p == '/')
            tp_buf_puts(out, "%2F");
        else
            tp_buf_putc(out, *p);
    }
}

static void indexing_free(struct indexing *ix)
{
    free(ix->mbp);
    free(ix->url);
    free(ix->script_path);
    free(ix->out);
    free(ix);
}

struct children {
    const char *prefix;
    size_t len;
    struct tp_pipeline_rec *items;
    size_t count, cap;
    struct tp_arena *arena;
};

static int collect_child(void *ctx, const struct tp_pipeline_rec *rec)
{
    struct children *c = ctx;
    if (strncmp(rec->name, c->prefix, c->len) != 0 || rec->name[c->len] != '/' ||
        strchr(rec->name + c->len + 1, '/') != NULL)
        return 0;
    c->items = tp_arena_grow(c->arena, c->items, c->count, &c->cap, sizeof(*c->items));
    c->items[c->count++] = *rec;
    return 0;
}

/* The head commit a branch job was last indexed at ("" when none). */
static const char *indexed_head(const struct tp_pipeline_rec *job, struct tp_arena *arena)
{
    cJSON *props = job->properties != NULL ? cJSON_Parse(job->properties) : NULL;
    const cJSON *head = cJSON_GetObjectItemCaseSensitive(props, "head");
    const char *out = tp_arena_strdup(arena, cJSON_IsString(head) ? head->valuestring : "");
    cJSON_Delete(props);
    return out;
}

static char *branch_properties(const struct indexing *ix, const char *branch, const char *head,
                               bool primary)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *scm = cJSON_AddObjectToObject(o, "scm");
    cJSON_AddStringToObject(scm, "url", ix->url);
    cJSON_AddStringToObject(scm, "branch", branch);
    cJSON_AddStringToObject(scm, "scriptPath", ix->script_path);
    cJSON_AddStringToObject(o, "branch", branch);
    cJSON_AddStringToObject(o, "head", head);
    cJSON_AddBoolToObject(o, "primary", primary);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

static void apply_listing(struct indexing *ix, const char *listing)
{
    struct tp_engine *engine = ix->engine;
    struct tp_store *store = tp_engine_store(engine);
    struct tp_arena arena;
    tp_arena_init(&arena);
    struct children kids = { .prefix = ix->mbp, .len = strlen(ix->mbp), .arena = &arena };
    tp_store_pipeline_list(store, &arena, collect_child, &kids);
    bool *seen = tp_arena_alloc(&arena, (kids.count + 1) * sizeof(bool));
    memset(seen, 0, (kids.count + 1) * sizeof(bool));
    int branches = 0;
    struct tp_buf name;
    tp_buf_init(&name);
    const char *primary = ""; /* the repository's default branch: its HEAD */
    for (const char *p = listing; *p != '\0' && branches < MAX_BRANCHES;) {
        size_t len = strcspn(p, "\n");
        char *line = tp_arena_strndup(&arena, p, len);
        p += len + (p[len] == '\n');
        char *tab = strchr(line, '\t');
        if (tab == NULL)
            continue;
        *tab = '\0';
        const char *head = line, *branch = tab + 1;
        if (strcmp(head, "HEAD") == 0) {
            primary = branch;
            continue;
        }
        branches++;
        tp_buf_reset(&name);
        tp_branch_job_name(ix->mbp, branch, &name);
        const struct tp_pipeline_rec *job = NULL;
        for (size_t i = 0; i < kids.count; i++) {
            if (strcmp(kids.items[i].name, tp_buf_str(&name)) == 0) {
                job = &kids.items[i];
                seen[i] = true;
            }
        }
        char *props = branch_properties(ix, branch, head, strcmp(branch, primary) == 0);
        if (job != NULL && strcmp(indexed_head(job, &arena), head) == 0) {
            /* nothing new on this branch (its being the default one may have changed) */
            if (job->properties == NULL || strcmp(job->properties, props) != 0)
                tp_store_pipeline_set_properties(store, job->id, props);
            free(props);
            continue;
        }
        struct tp_pipeline_rec rec;
        int err = job == NULL ? tp_engine_pipeline_put(engine, tp_buf_str(&name), "", NULL) : 0;
        if (err == 0)
            err = tp_store_pipeline_get(store, tp_buf_str(&name), &arena, &rec);
        if (err == 0)
            err = tp_store_pipeline_set_properties(store, rec.id, props);
        free(props);
        if (err == 0)
            err = tp_engine_start_pipeline(engine, &rec, "Branch indexing", &arena);
        tp_log(err == 0 ? TP_LOG_INFO : TP_LOG_WARN, "engine",
               "branch indexed pipeline=%s branch=%s head=%s err=%s", ix->mbp, branch, head,
               err == 0 ? "none" : tp_strerror(err));
    }
    tp_buf_close(&name);
    for (size_t i = 0; i < kids.count; i++) {
        if (seen[i])
            continue;
        int err = tp_engine_item_delete(engine, kids.items[i].name);
        tp_log(TP_LOG_INFO, "engine", "branch %s pipeline=%s", err == 0 ? "removed" : "kept",
               kids.items[i].name);
    }
    tp_store_flush(store);
    tp_arena_close(&arena);
}

static void on_index_output(void *data, const char *bytes, size_t len)
{
    struct indexing *ix = data;
    tp_log(TP_LOG_WARN, "engine", "branch indexing pipeline=%s: %.*s", ix->mbp,
           (int)(len > 0 && bytes[len - 1] == '\n' ? len - 1 : len), bytes);
}

static void on_index_exit(void *data, int64_t status, int term_signal)
{
    struct indexing *ix = data;
    (void)term_signal;
    struct tp_buf listing;
    tp_buf_init(&listing);
    if (status == 0 && tp_fs_read_file(ix->out, MAX_LISTING, &listing) == 0)
        apply_listing(ix, tp_buf_str(&listing));
    else
        tp_log(TP_LOG_WARN, "engine", "branch indexing failed pipeline=%s status=%lld", ix->mbp,
               (long long)status);
    remove(ix->out);
    tp_buf_close(&listing);
    struct tp_engine *engine = ix->engine;
    indexing_free(ix);
    tp_engine_indexing(engine, -1);
}

int tp_engine_index(struct tp_engine *engine, const char *mbp)
{
    struct tp_arena arena;
    tp_arena_init(&arena);
    struct tp_pipeline_rec rec;
    int err = tp_store_pipeline_get(tp_engine_store(engine), mbp, &arena, &rec);
    if (err == 0 && !rec.multibranch)
        err = TP_EINVAL;
    cJSON *props = err == 0 && rec.properties != NULL ? cJSON_Parse(rec.properties) : NULL;
    const cJSON *mb = cJSON_GetObjectItemCaseSensitive(props, "multibranch");
    const cJSON *url = cJSON_GetObjectItemCaseSensitive(mb, "url");
    const cJSON *path = cJSON_GetObjectItemCaseSensitive(mb, "scriptPath");
    if (err == 0 && !cJSON_IsString(url))
        err = TP_EINVAL;
    if (err < 0) {
        cJSON_Delete(props);
        tp_arena_close(&arena);
        return err;
    }
    struct indexing *ix = tp_xcalloc(1, sizeof(*ix));
    ix->engine = engine;
    ix->mbp = tp_xstrdup(mbp);
    ix->mbp_id = rec.id;
    ix->url = tp_xstrdup(url->valuestring);
    ix->script_path = tp_xstrdup(cJSON_IsString(path) ? path->valuestring : "Jenkinsfile");
    cJSON_Delete(props);
    const char *data = tp_engine_data_dir(engine);
    char *cache = tp_arena_printf(&arena, "%s/caches/%lld.git", data, (long long)rec.id);
    ix->out = tp_xstrdup(tp_arena_printf(&arena, "%s.branches", cache));
    err = tp_fs_mkdir_p(cache);
    struct tp_buf script;
    tp_buf_init(&script);
    tp_buf_puts(&script, "set -e\nURL=");
    tp_shell_quote(&script, ix->url);
    tp_buf_puts(&script, "\nSCRIPT_PATH=");
    tp_shell_quote(&script, ix->script_path);
    tp_buf_puts(&script,
                "\n[ -f HEAD ] || git init -q --bare .\n"
                "git fetch -q --prune --force --no-tags -- \"$URL\" '+refs/heads/*:refs/heads/*'\n"
                "git ls-remote --symref -- \"$URL\" HEAD 2>/dev/null |\n"
                "  awk '$1 == \"ref:\" && $3 == \"HEAD\" { sub(\"^refs/heads/\", \"\", $2);"
                " print \"HEAD\\t\" $2 }'\n"
                "git for-each-ref --format='%(objectname) %(refname:strip=2)' refs/heads |\n"
                "while read -r sha branch; do\n"
                "  if git cat-file -e \"$sha:$SCRIPT_PATH\" 2>/dev/null; then\n"
                "    printf '%s\\t%s\\n' \"$sha\" \"$branch\"\n"
                "  fi\n"
                "done\n");
    char sh[] = "/bin/sh", c[] = "-c";
    char *argv[] = { sh, c, script.data, NULL };
    struct tp_exec_options options = {
        .file = "/bin/sh",
        .argv = argv,
        .env = tp_engine_base_env(engine),
        .cwd = cache,
        .stdout_path = ix->out,
        .on_output = on_index_output,
        .on_exit = on_index_exit,
        .data = ix,
    };
    struct tp_child *child;
    if (err == 0)
        err = tp_exec_spawn(tp_engine_loop(engine), &options, &child);
    if (err == 0)
        tp_engine_indexing(engine, +1);
    tp_buf_close(&script);
    tp_arena_close(&arena);
    if (err < 0)
        indexing_free(ix);
    return err;
}
