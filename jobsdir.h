/* SPDX-License-Identifier: MIT */
/*
 * The jobs directory (`serve --jobs DIR`), part of main's wiring: `NAME.Jenkinsfile` and
 * `NAME/Jenkinsfile` are pipelines, any other sub-directory that holds pipelines is a folder
 * (items "dir/NAME"). It is loaded at start and watched (libuv fs events on the directory and
 * every sub-directory, debounced): a new, changed or removed Jenkinsfile is picked up without a
 * restart, the next run uses it, and SSE listeners hear job_crud_created/updated/deleted.
 * Items made through the API are never touched. Loop thread only.
 */
#ifndef TP_JOBSDIR_H
#define TP_JOBSDIR_H

#include <uv.h>

struct tp_engine;
struct tp_sse;
struct tp_store;
struct tp_jobsdir;

enum {
    TP_JOBSDIR_MAX_DEPTH = 8,     /* folders inside folders */
    TP_JOBSDIR_MAX_WATCHES = 512, /* directories watched */
    TP_JOBSDIR_DEBOUNCE_MS = 100  /* quiet time after a change before the rescan */
};

/*
 * Loads `dir` and starts watching it. `sse` may be NULL. Returns the number of items loaded
 * (with *out set), or a negative error when `dir` cannot be read.
 */
int tp_jobsdir_open(uv_loop_t *loop, const char *dir, struct tp_engine *engine,
                    struct tp_store *store, struct tp_sse *sse, struct tp_jobsdir **out);
/* Stops watching; the memory goes when the loop has closed the handles. NULL is fine. */
void tp_jobsdir_close(struct tp_jobsdir *jobs);

#endif
