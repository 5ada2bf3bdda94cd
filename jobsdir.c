/* SPDX-License-Identifier: MIT */
#include "jobsdir.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/str.h"
#include "engine/engine.h"
#include "http/sse.h"
#include "jenkinsfile/lexer.h"
#include "store/store.h"

struct tp_jobsdir {
    uv_loop_t *loop;
    char *dir;
    struct tp_engine *engine;
    struct tp_store *store;
    struct tp_sse *sse;
    uv_timer_t debounce;
    uv_fs_event_t *watches[TP_JOBSDIR_MAX_WATCHES];
    size_t nwatches;
    int open_handles; /* the debounce timer and the watches not closed yet */
    bool closing;
    /* What the last scan found: "name\n" for each item (a folder ends in "/\n"). */
    struct tp_buf seen;
    /* The directories the last scan went through, watched for changes. */
    char *dirs[TP_JOBSDIR_MAX_WATCHES];
    size_t ndirs;
};

/* One scan: what it found, and whether to announce what changed. */
struct scan {
    struct tp_jobsdir *jobs;
    struct tp_buf seen;
    bool announce;
    struct tp_arena arena;
};

static void announce(struct scan *scan, const char *event, const char *name, bool folder)
{
    if (scan->announce)
        tp_sse_on_item(scan->jobs->sse, event, name, folder, NULL);
    tp_log(TP_LOG_INFO, "jobs", "%s name=%s", event + 9, name);
}

/* Loads (or reloads) job `job` from Jenkinsfile `path`. Returns 1 when it is an item now. */
static int load_job(struct scan *scan, const char *job, const char *path)
{
    struct tp_jobsdir *jobs = scan->jobs;
    struct tp_buf text;
    tp_buf_init(&text);
    int err = tp_fs_read_file(path, TP_LEX_MAX_SOURCE, &text);
    struct tp_pipeline_rec old;
    int found = err == 0 ? tp_store_pipeline_get(jobs->store, job, &scan->arena, &old) : err;
    bool same = found == 0 && !old.folder && strcmp(old.script, tp_buf_str(&text)) == 0 &&
                old.source != NULL && strcmp(old.source, path) == 0;
    if (err == 0 && !same)
        err = tp_engine_pipeline_put(jobs->engine, job, tp_buf_str(&text), path);
    tp_buf_close(&text);
    if (err < 0) {
        tp_log(TP_LOG_WARN, "jobs", "job skipped path=%s err=%s", path, tp_strerror(err));
        return 0;
    }
    if (!same)
        announce(scan, found == 0 ? "job_crud_updated" : "job_crud_created", job, false);
    tp_buf_printf(&scan->seen, "%s\n", job);
    return 1;
}

/* A multibranch pipeline `job` over the git repository at `url`: made (or kept) and indexed.
 * Returns 1 when it is an item now. */
static int load_multibranch(struct scan *scan, const char *job, const char *url)
{
    struct tp_jobsdir *jobs = scan->jobs;
    int made = tp_store_folder_put(jobs->store, job, url, true);
    struct tp_pipeline_rec rec;
    if (made < 0 || tp_store_pipeline_get(jobs->store, job, &scan->arena, &rec) < 0 ||
        !rec.multibranch) {
        tp_log(TP_LOG_WARN, "jobs", "multibranch pipeline skipped name=%s: the name is taken", job);
        return 0;
    }
    cJSON *props = cJSON_CreateObject();
    cJSON *mb = cJSON_AddObjectToObject(props, "multibranch");
    cJSON_AddStringToObject(mb, "url", url);
    cJSON_AddStringToObject(mb, "scriptPath", "Jenkinsfile");
    char *text = cJSON_PrintUnformatted(props);
    cJSON_Delete(props);
    int err = tp_store_pipeline_set_properties(jobs->store, rec.id, text);
    free(text);
    if (made > 0)
        announce(scan, "job_crud_created", job, true);
    tp_buf_printf(&scan->seen, "%s/\n", job);
    tp_store_flush(jobs->store);
    if (err == 0)
        err = tp_engine_index(jobs->engine, job);
    if (err < 0)
        tp_log(TP_LOG_WARN, "jobs", "branch indexing not started name=%s: %s", job,
               tp_strerror(err));
    return 1;
}

static void remember_dir(struct tp_jobsdir *jobs, const char *path)
{
    if (jobs->ndirs < TP_JOBSDIR_MAX_WATCHES)
        jobs->dirs[jobs->ndirs++] = tp_xstrdup(path);
}

/* Loads the items of `dir` under the full-name prefix `prefix` ("" at the top). Returns how
 * many items it holds, or a negative error for an unreadable top directory. */
static int scan_dir(struct scan *scan, const char *dir, const char *prefix, int depth)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return depth == 0 ? -errno : 0;
    remember_dir(scan->jobs, dir);
    struct dirent *entry;
    int count = 0;
    while ((entry = readdir(d)) != NULL) {
        const char *name = entry->d_name;
        if (name[0] == '.')
            continue;
        char path[PATH_MAX], job[PATH_MAX];
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        if (stat(path, &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            snprintf(job, sizeof(job), "%s%s%s", prefix, prefix[0] ? "/" : "", name);
            snprintf(path, sizeof(path), "%s/%s/.git", dir, name);
            if (access(path, F_OK) == 0) {
                snprintf(path, sizeof(path), "%s/%s", dir, name);
                count += load_multibranch(scan, job, path);
                continue;
            }
            snprintf(path, sizeof(path), "%s/%s/Jenkinsfile", dir, name);
            if (access(path, R_OK) == 0) {
                snprintf(path, sizeof(path), "%s/%s", dir, name);
                remember_dir(scan->jobs, path);
                snprintf(path, sizeof(path), "%s/%s/Jenkinsfile", dir, name);
                count += load_job(scan, job, path);
                continue;
            }
            snprintf(path, sizeof(path), "%s/%s", dir, name);
            if (depth + 1 >= TP_JOBSDIR_MAX_DEPTH || scan_dir(scan, path, job, depth + 1) <= 0)
                continue;
            int made = tp_store_folder_put(scan->jobs->store, job, path, false);
            if (made < 0)
                continue;
            if (made > 0)
                announce(scan, "job_crud_created", job, true);
            tp_buf_printf(&scan->seen, "%s/\n", job);
            count++;
        } else if (tp_str_ends_with(name, ".git") && strlen(name) > 4) {
            /* NAME.git: a file naming a repository (path or URL) on its first line */
            snprintf(job, sizeof(job), "%s%s%.*s", prefix, prefix[0] ? "/" : "",
                     (int)(strlen(name) - 4), name);
            struct tp_buf url;
            tp_buf_init(&url);
            if (tp_fs_read_file(path, 4096, &url) == 0) {
                url.len = strcspn(tp_buf_str(&url), "\r\n");
                url.data[url.len] = '\0';
                if (url.len > 0)
                    count += load_multibranch(scan, job, url.data);
            }
            tp_buf_close(&url);
        } else if (tp_str_ends_with(name, ".Jenkinsfile") && strlen(name) > 12) {
            snprintf(job, sizeof(job), "%s%s%.*s", prefix, prefix[0] ? "/" : "",
                     (int)(strlen(name) - 12), name);
            count += load_job(scan, job, path);
        }
    }
    closedir(d);
    return count;
}

/* Items the previous scan found that this one did not: removed from the directory. */
static void remove_gone(struct scan *scan)
{
    struct tp_jobsdir *jobs = scan->jobs;
    const char *now = tp_buf_str(&scan->seen);
    for (const char *p = tp_buf_str(&jobs->seen); *p != '\0';) {
        size_t len = strcspn(p, "\n");
        char *line = tp_arena_strndup(&scan->arena, p, len);
        p += len + (p[len] == '\n');
        if (len == 0 || strstr(now, tp_arena_printf(&scan->arena, "\n%s\n", line)) != NULL)
            continue;
        bool folder = len > 0 && line[len - 1] == '/';
        if (folder)
            line[len - 1] = '\0';
        int err = tp_engine_item_delete(jobs->engine, line);
        if (err == TP_ECONFLICT) {
            tp_log(TP_LOG_WARN, "jobs", "kept name=%s: a run of it is queued or going", line);
        } else if (err == 0) {
            announce(scan, "job_crud_deleted", line, folder);
        }
    }
}

static void on_watch_closed(uv_handle_t *handle);
static void on_change(uv_fs_event_t *handle, const char *filename, int events, int status);

/* Watches the directories the last scan went through (and no others). */
static void rewatch(struct tp_jobsdir *jobs)
{
    for (size_t i = 0; i < jobs->nwatches; i++)
        uv_close((uv_handle_t *)jobs->watches[i], on_watch_closed);
    jobs->nwatches = 0;
    for (size_t i = 0; i < jobs->ndirs; i++) {
        uv_fs_event_t *w = tp_xcalloc(1, sizeof(*w));
        uv_fs_event_init(jobs->loop, w);
        w->data = jobs;
        jobs->open_handles++;
        if (uv_fs_event_start(w, on_change, jobs->dirs[i], 0) < 0) {
            tp_log(TP_LOG_WARN, "jobs", "cannot watch dir=%s", jobs->dirs[i]);
            uv_close((uv_handle_t *)w, on_watch_closed);
            continue;
        }
        jobs->watches[jobs->nwatches++] = w;
    }
}

static int scan(struct tp_jobsdir *jobs, bool live)
{
    struct scan s = { .jobs = jobs, .announce = live };
    tp_buf_init(&s.seen);
    tp_arena_init(&s.arena);
    for (size_t i = 0; i < jobs->ndirs; i++)
        free(jobs->dirs[i]);
    jobs->ndirs = 0;
    /* a leading newline lets every name be looked for as "\nname\n" */
    tp_buf_putc(&s.seen, '\n');
    int count = scan_dir(&s, jobs->dir, "", 0);
    if (count >= 0 && live)
        remove_gone(&s);
    if (count >= 0) {
        tp_buf_close(&jobs->seen);
        jobs->seen = s.seen;
        tp_buf_init(&s.seen);
    }
    tp_buf_close(&s.seen);
    tp_arena_close(&s.arena);
    tp_store_flush(jobs->store);
    if (jobs->sse != NULL)
        tp_sse_commit(jobs->sse); /* what was announced is committed now */
    rewatch(jobs);
    return count;
}

static void on_debounce(uv_timer_t *timer)
{
    struct tp_jobsdir *jobs = timer->data;
    if (!jobs->closing)
        scan(jobs, true);
}

static void on_change(uv_fs_event_t *handle, const char *filename, int events, int status)
{
    (void)filename;
    (void)events;
    (void)status;
    struct tp_jobsdir *jobs = handle->data;
    if (!jobs->closing)
        uv_timer_start(&jobs->debounce, on_debounce, TP_JOBSDIR_DEBOUNCE_MS, 0);
}

static void release(struct tp_jobsdir *jobs)
{
    if (--jobs->open_handles > 0)
        return;
    for (size_t i = 0; i < jobs->ndirs; i++)
        free(jobs->dirs[i]);
    tp_buf_close(&jobs->seen);
    free(jobs->dir);
    free(jobs);
}

static void on_watch_closed(uv_handle_t *handle)
{
    struct tp_jobsdir *jobs = handle->data;
    free(handle);
    release(jobs);
}

static void on_timer_closed(uv_handle_t *handle)
{
    release(handle->data);
}

int tp_jobsdir_open(uv_loop_t *loop, const char *dir, struct tp_engine *engine,
                    struct tp_store *store, struct tp_sse *sse, struct tp_jobsdir **out)
{
    struct tp_jobsdir *jobs = tp_xcalloc(1, sizeof(*jobs));
    jobs->loop = loop;
    jobs->dir = tp_xstrdup(dir);
    jobs->engine = engine;
    jobs->store = store;
    jobs->sse = sse;
    tp_buf_init(&jobs->seen);
    uv_timer_init(loop, &jobs->debounce);
    jobs->debounce.data = jobs;
    jobs->open_handles = 1;
    int count = scan(jobs, false);
    if (count < 0) {
        fprintf(stderr, "tidepool: cannot open jobs dir %s: %s\n", dir, strerror(-count));
        tp_jobsdir_close(jobs);
        return count;
    }
    *out = jobs;
    return count;
}

void tp_jobsdir_close(struct tp_jobsdir *jobs)
{
    if (jobs == NULL || jobs->closing)
        return;
    jobs->closing = true;
    for (size_t i = 0; i < jobs->nwatches; i++)
        uv_close((uv_handle_t *)jobs->watches[i], on_watch_closed);
    jobs->nwatches = 0;
    uv_close((uv_handle_t *)&jobs->debounce, on_timer_closed);
}
