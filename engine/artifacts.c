/* SPDX-License-Identifier: MIT */
/*
 * A run's archived artifacts, under <data>/artifacts/<job>/<number>/: listed and opened for the
 * HTTP room, confined to that directory (a `..` or a symbolic link out of it is not found).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/mem.h"
#include "engine/engine.h"

enum {
    MAX_ARTIFACTS = 10000,
    MAX_DEPTH = 32
};

static char *run_dir(struct tp_engine *engine, const char *pipeline, int64_t number)
{
    size_t n = strlen(tp_engine_data_dir(engine)) + strlen(pipeline) + 64;
    char *dir = tp_xmalloc(n);
    snprintf(dir, n, "%s/artifacts/%s/%lld", tp_engine_data_dir(engine), pipeline,
             (long long)number);
    return dir;
}

struct listing {
    struct tp_arena *arena;
    struct tp_artifact *items;
    size_t count, cap;
};

static void walk(struct listing *l, const char *root, const char *rel, int depth)
{
    if (depth > MAX_DEPTH || l->count >= MAX_ARTIFACTS)
        return;
    size_t n = strlen(root) + strlen(rel) + 2;
    char *path = tp_xmalloc(n);
    snprintf(path, n, rel[0] ? "%s/%s" : "%s%s", root, rel);
    DIR *d = opendir(path);
    free(path);
    if (d == NULL)
        return;
    for (struct dirent *e; (e = readdir(d)) != NULL && l->count < MAX_ARTIFACTS;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *child = tp_arena_printf(l->arena, rel[0] ? "%s/%s" : "%s%s", rel, e->d_name);
        char *full = tp_arena_printf(l->arena, "%s/%s", root, child);
        struct stat st;
        if (lstat(full, &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            walk(l, root, child, depth + 1);
        } else if (S_ISREG(st.st_mode)) {
            l->items = tp_arena_grow(l->arena, l->items, l->count, &l->cap, sizeof(*l->items));
            l->items[l->count++] = (struct tp_artifact){ .path = child, .size = st.st_size };
        }
    }
    closedir(d);
}

static int by_path(const void *a, const void *b)
{
    return strcmp(((const struct tp_artifact *)a)->path, ((const struct tp_artifact *)b)->path);
}

int tp_engine_artifacts(struct tp_engine *engine, const char *pipeline, int64_t number,
                        struct tp_arena *arena, struct tp_artifact **out, size_t *n)
{
    char *dir = run_dir(engine, pipeline, number);
    struct listing l = { .arena = arena };
    walk(&l, dir, "", 0);
    free(dir);
    if (l.count > 1)
        qsort(l.items, l.count, sizeof(*l.items), by_path);
    *out = l.items;
    *n = l.count;
    return 0;
}

bool tp_engine_has_artifacts(struct tp_engine *engine, const char *pipeline, int64_t number)
{
    char *dir = run_dir(engine, pipeline, number);
    DIR *d = opendir(dir);
    free(dir);
    if (d == NULL)
        return false;
    bool any = false;
    for (struct dirent *e; !any && (e = readdir(d)) != NULL;)
        any = strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return any;
}

int tp_engine_artifact_open(struct tp_engine *engine, const char *pipeline, int64_t number,
                            const char *path, int *fd, int64_t *size)
{
    char *dir = run_dir(engine, pipeline, number);
    char real_dir[PATH_MAX], real[PATH_MAX];
    size_t n = strlen(dir) + strlen(path) + 2;
    char *full = tp_xmalloc(n);
    snprintf(full, n, "%s/%s", dir, path);
    int err = 0;
    /* The resolved file must be inside the run's resolved artifact directory. */
    if (realpath(dir, real_dir) == NULL || realpath(full, real) == NULL ||
        strncmp(real, real_dir, strlen(real_dir)) != 0 || real[strlen(real_dir)] != '/')
        err = TP_ENOTFOUND;
    free(dir);
    free(full);
    if (err < 0)
        return err;
    *fd = open(real, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (*fd < 0 || fstat(*fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        if (*fd >= 0)
            close(*fd);
        return TP_ENOTFOUND;
    }
    *size = st.st_size;
    return 0;
}
