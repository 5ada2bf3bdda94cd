/* SPDX-License-Identifier: MIT */
/*
 * The lock step (lockable-resources): `lock('db') { ... }` or `lock(resource: 'db',
 * inversePrecedence: true, variable: 'LOCKED', skipIfLocked: true) { ... }`. A resource is a
 * name, made the first time a build asks for it; one block of one build holds it at a time,
 * the others wait in line (the newest first with inversePrecedence). In memory: a restart
 * ends every run that held or waited for one.
 */
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/mem.h"
#include "common/str.h"
#include "engine/engine_int.h"

struct resource {
    char *name;
    struct frame *holder;
    struct frame **waiters; /* in the order they came */
    size_t nwaiters, cap;
};

struct tp_locks {
    struct resource *items;
    size_t count, cap;
};

struct tp_locks *tp_locks_new(void)
{
    return tp_xcalloc(1, sizeof(struct tp_locks));
}

void tp_locks_free(struct tp_locks *locks)
{
    if (locks == NULL)
        return;
    for (size_t i = 0; i < locks->count; i++) {
        free(locks->items[i].name);
        free(locks->items[i].waiters);
    }
    free(locks->items);
    free(locks);
}

static struct resource *find(struct tp_locks *locks, const char *name, bool make, bool *made)
{
    for (size_t i = 0; i < locks->count; i++) {
        if (strcmp(locks->items[i].name, name) == 0)
            return &locks->items[i];
    }
    if (!make)
        return NULL;
    if (locks->count == locks->cap) {
        locks->cap = locks->cap ? locks->cap * 2 : 8;
        locks->items = tp_xrealloc(locks->items, locks->cap * sizeof(*locks->items));
    }
    struct resource *r = &locks->items[locks->count++];
    memset(r, 0, sizeof(*r));
    r->name = tp_xstrdup(name);
    *made = true;
    return r;
}

static bool flag_arg(const struct tp_expr *call, const char *name)
{
    const struct tp_expr *e = tp_ast_named_arg(call, name);
    return e != NULL && e->kind == TP_EXPR_BOOL && e->flag;
}

/* The holder's body starts: its variable, and the block's opening. */
static void acquired(struct frame *f, struct resource *r)
{
    r->holder = f;
    f->lock_held = true;
    tp_run_logf(f->run, "Lock acquired on [Resource: %s]\n[Pipeline] {\n", r->name);
    const char *variable = NULL;
    if (tp_frame_eval_text(f, tp_ast_named_arg(f->block->call, "variable"), &variable) == 0 &&
        variable != NULL && variable[0] != '\0') {
        /* the names of what is held, and each by its index */
        tp_env_set(&f->env, variable, r->name);
        tp_env_set(&f->env, tp_arena_printf(&f->run->arena, "%s0", variable), r->name);
    }
}

void tp_lock_enter(struct frame *f)
{
    struct tp_locks *locks = tp_engine_locks(f->run->engine);
    const struct tp_expr *call = f->block->call;
    if (tp_ast_named_arg(call, "label") != NULL || tp_ast_named_arg(call, "extra") != NULL) {
        tp_frame_fail(f, TP_RESULT_FAILURE, true,
                      "tidepool locks one resource by name: lock('name') or lock(resource: "
                      "'name'); labels and extra resources need the resources Jenkins is "
                      "configured with");
        tp_run_puts(f->run, "[Pipeline] {\n");
        return;
    }
    const char *name = NULL;
    if (tp_frame_eval_text(f, tp_step_arg(call, "resource"), &name) < 0 || name == NULL ||
        name[0] == '\0') {
        if (!f->failed)
            tp_frame_fail(f, TP_RESULT_FAILURE, true, "lock requires a resource");
        tp_run_puts(f->run, "[Pipeline] {\n");
        return;
    }
    f->lock_resource = tp_arena_strdup(&f->run->arena, name);
    tp_run_logf(f->run, "Trying to acquire lock on [Resource: %s]\n", name);
    bool made = false;
    struct resource *r = find(locks, name, true, &made);
    if (made)
        tp_run_logf(f->run, "Resource [%s] did not exist. Created.\n", name);
    if (r->holder == NULL) {
        acquired(f, r);
        return;
    }
    tp_run_logf(f->run, "[Resource: %s] is locked by %s #%lld, waiting...\n", name,
                r->holder->run->rec.pipeline, (long long)r->holder->run->rec.number);
    if (flag_arg(call, "skipIfLocked")) {
        tp_run_logf(f->run, "[Resource: %s] is locked, skipping execution...\n", name);
        f->lock_skip = true;
        tp_run_puts(f->run, "[Pipeline] {\n");
        return;
    }
    if (r->nwaiters == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 4;
        r->waiters = tp_xrealloc(r->waiters, r->cap * sizeof(*r->waiters));
    }
    if (flag_arg(call, "inversePrecedence")) { /* the newest waiter goes first */
        memmove(&r->waiters[1], &r->waiters[0], r->nwaiters * sizeof(*r->waiters));
        r->waiters[0] = f;
    } else {
        r->waiters[r->nwaiters] = f;
    }
    r->nwaiters++;
    f->lock_waiting = true;
}

/* Takes `f` out of the resource's line. */
static void unqueue(struct resource *r, struct frame *f)
{
    for (size_t i = 0; i < r->nwaiters; i++) {
        if (r->waiters[i] == f) {
            memmove(&r->waiters[i], &r->waiters[i + 1], (r->nwaiters - i - 1) * sizeof(f));
            r->nwaiters--;
            return;
        }
    }
}

void tp_lock_leave(struct frame *f)
{
    if (f->lock_resource == NULL)
        return;
    struct tp_locks *locks = tp_engine_locks(f->run->engine);
    bool made = false;
    struct resource *r = find(locks, f->lock_resource, false, &made);
    f->lock_resource = NULL;
    if (r == NULL)
        return;
    if (f->lock_waiting) {
        unqueue(r, f);
        f->lock_waiting = false;
        return;
    }
    if (!f->lock_held || r->holder != f)
        return;
    f->lock_held = false;
    r->holder = NULL;
    tp_run_logf(f->run, "Lock released on resource [Resource: %s]\n", r->name);
    if (r->nwaiters > 0) {
        struct frame *next = r->waiters[0];
        unqueue(r, next);
        next->lock_waiting = false;
        acquired(next, r);
        tp_frame_resume_later(next);
    }
}

void tp_lock_stop_waiting(struct frame *f)
{
    if (!f->lock_waiting)
        return;
    tp_lock_leave(f); /* out of the line */
    tp_run_puts(f->run, "[Pipeline] {\n");
    tp_frame_resume_later(f);
}
