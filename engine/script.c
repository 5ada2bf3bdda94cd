/* SPDX-License-Identifier: MIT */
#include "engine/script.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"
#include "common/str.h"
#include "common/timefmt.h"
#include "engine/engine_int.h"
#include "engine/groovy.h"
#include "engine/params.h"
#include "engine/runstate.h"

/* The host's objects. */
enum {
    OBJ_ENV = 1,
    OBJ_PARAMS,
    OBJ_BUILD,    /* currentBuild */
    OBJ_PREVIOUS, /* currentBuild.previousBuild and friends: data is a tp_run_rec */
    OBJ_SCM,
    OBJ_DOCKER
};

static const char FLOW_INTERRUPTED[] =
    "org.jenkinsci.plugins.workflow.steps.FlowInterruptedException";
static const char ABORT_EXCEPTION[] = "hudson.AbortException";

/* The outcome of one step call (or one block step's closure) of a script, in call order. */
struct memo {
    bool failed, interrupt;
    const char *exc_class, *message;
    struct tp_gv value;
    /* A block's effects on its caller: the binding after it, the values of the caller's
     * variables it changed, its env.X writes. */
    bool block;
    struct tp_gmap *binding, *vars, *env;
};

struct tp_script_state {
    struct tp_arena arena; /* as long as the frame: memo, snapshots, synthetic steps */
    const struct tp_block *body;
    bool is_block; /* the closure of a block step called from Groovy, not a script {} step */
    bool started, done;
    struct frame *frame;
    /* What every pass starts from. */
    struct tp_gmap *binding0;
    struct tp_gmap *vars0;             /* the variables the closure sees: name -> value */
    struct tp_envlist base;            /* the frame's environment when the block started */
    const struct tp_envlist *env_base; /* what env reads see: `base`, or a frame's own */
    struct memo *memo;
    size_t nmemo, cap;
    /* The pass. */
    struct tp_arena pass;
    bool pass_open;
    struct tp_groovy g;
    struct tp_groovy_host host; /* one of the hosts below, its ctx this state */
    struct tp_gscope *scope;
    struct tp_gmap *env; /* env.X writes of this pass */
    size_t cursor;       /* calls of this pass answered from the memo */
    struct frame *child; /* a block step's frame, started once the pass has unwound */
    struct tp_gv result;
    /* The effects of the branches of a `parallel` this script called, merged as they end
     * (changed binding entries, changed variables, env writes); NULL before the first. */
    struct tp_gmap *joined_binding, *joined_vars, *joined_env;
};

static struct tp_gmap *copy_map(struct tp_arena *a, const struct tp_gmap *m);

static struct tp_script_state *script_alloc(const struct tp_block *body)
{
    struct tp_script_state *s = tp_xcalloc(1, sizeof(*s));
    tp_arena_init(&s->arena);
    tp_env_init(&s->base);
    s->body = body;
    return s;
}

struct tp_script_state *tp_script_new(const struct tp_plan_step *step)
{
    const struct tp_closure *closure = step->call->closure;
    return script_alloc(closure != NULL ? closure->body : NULL);
}

void tp_script_free(struct tp_script_state *s)
{
    if (s == NULL)
        return;
    if (s->pass_open)
        tp_arena_close(&s->pass);
    tp_env_close(&s->base);
    tp_arena_close(&s->arena);
    free(s);
}

void tp_script_reset(struct tp_script_state *s)
{
    /* The next attempt starts from the variables as this one left them (Groovy's closure
     * sees the same variables each time it is called). */
    if (s->pass_open && s->scope != NULL && s->vars0 != NULL && s->vars0->count > 0) {
        struct tp_groovy g;
        tp_groovy_init(&g, &s->arena, NULL, NULL, NULL);
        struct tp_gmap *vars = tp_gv_map(&g).u.map;
        for (size_t i = 0; i < s->vars0->count; i++) {
            struct tp_gv now;
            if (tp_groovy_lookup(s->scope, s->vars0->keys[i].u.s, &now))
                tp_gmap_put(&g, vars, s->vars0->keys[i], tp_gv_copy(&s->arena, now));
        }
        s->vars0 = vars;
    }
    if (s->pass_open && s->is_block)
        s->binding0 = copy_map(&s->arena, s->g.binding);
    s->nmemo = 0;
    s->started = s->done = false;
    tp_env_close(&s->base);
    tp_env_init(&s->base);
}

static bool is_live(const struct tp_script_state *s)
{
    return s->cursor == s->nmemo;
}

/* --- the environment --- */

static const char *env_read(struct tp_script_state *s, const char *name)
{
    const struct tp_gv *w = s->env != NULL ? tp_gmap_get_str(s->env, name) : NULL;
    if (w != NULL)
        return w->kind == TP_GV_STRING ? w->u.s : NULL;
    const char *v = tp_env_get(s->env_base, name);
    return v != NULL ? v : tp_engine_env(s->frame->run->engine, name);
}

static bool declares(const struct frame *p, const char *name)
{
    const struct tp_plan_env *items = p->stage != NULL ? p->stage->env : p->run->plan->env;
    size_t n = p->stage != NULL ? p->stage->nenv : p->run->plan->nenv;
    if (p->block != NULL)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(items[i].key, name) == 0)
            return true;
    }
    return false;
}

/*
 * env.NAME = value, as the build's environment from now on: in this frame and the frames
 * around it, except where an `environment {}` declares NAME (its value wins inside it).
 */
static void env_write_live(struct frame *f, const char *name, const char *value)
{
    struct frame *from = f;
    for (struct frame *p = f; p != NULL; p = p->parent) {
        if (declares(p, name))
            from = p->parent;
    }
    for (struct frame *p = from; p != NULL; p = p->parent)
        tp_env_set(&p->env, name, value);
}

/* --- values between the store, the steps and Groovy --- */

static struct tp_gv from_json(struct tp_groovy *g, const cJSON *j)
{
    if (j == NULL || cJSON_IsNull(j))
        return tp_gv_null();
    if (cJSON_IsBool(j))
        return tp_gv_bool(cJSON_IsTrue(j));
    if (cJSON_IsNumber(j)) {
        double d = j->valuedouble;
        return d == (double)(int64_t)d ? tp_gv_int((int64_t)d)
                                       : (struct tp_gv){ .kind = TP_GV_FLOAT, .u.f = d };
    }
    if (cJSON_IsString(j))
        return tp_gv_cstr(g, j->valuestring);
    if (cJSON_IsArray(j)) {
        struct tp_gv list = tp_gv_list(g);
        const cJSON *item;
        cJSON_ArrayForEach(item, j) tp_glist_push(g, list.u.list, from_json(g, item));
        return list;
    }
    struct tp_gv map = tp_gv_map(g);
    const cJSON *item;
    cJSON_ArrayForEach(item, j)
        tp_gmap_put(g, map.u.map, tp_gv_cstr(g, item->string), from_json(g, item));
    return map;
}

/* The key under which a describable symbol's name travels in a map (`string(name: 'X')`). */
static const char SYMBOL_KEY[] = "\x01symbol";

static struct tp_expr *literal(struct tp_arena *a, struct tp_gv v, int line, int col);

static void named_from_map(struct tp_arena *a, struct tp_expr *e, const struct tp_gmap *m, int line,
                           int col)
{
    e->named.items = tp_arena_alloc(a, (m->count + 1) * sizeof(*e->named.items));
    for (size_t i = 0; i < m->count; i++) {
        if (m->keys[i].kind == TP_GV_STRING && strcmp(m->keys[i].u.s, SYMBOL_KEY) == 0)
            continue;
        struct tp_named *n = &e->named.items[e->named.count++];
        struct tp_gv key = m->keys[i];
        if (key.kind != TP_GV_STRING) {
            struct tp_buf text;
            tp_buf_init(&text);
            tp_gv_to_string(key, &text);
            n->key = literal(a,
                             (struct tp_gv){ .kind = TP_GV_STRING,
                                             .len = (uint32_t)text.len,
                                             .u.s = tp_buf_str(&text) },
                             line, col);
            tp_buf_close(&text);
        } else {
            n->key = literal(a, key, line, col);
        }
        n->value = literal(a, m->values[i], line, col);
    }
}

/* A Groovy value as the literal expression a step's start function reads. */
static struct tp_expr *literal(struct tp_arena *a, struct tp_gv v, int line, int col)
{
    struct tp_expr *e = tp_arena_alloc(a, sizeof(*e));
    e->line = line;
    e->col = col;
    switch (v.kind) {
    case TP_GV_NULL:
        e->kind = TP_EXPR_NULL;
        return e;
    case TP_GV_BOOL:
        e->kind = TP_EXPR_BOOL;
        e->flag = v.u.b;
        return e;
    case TP_GV_INT:
        e->kind = TP_EXPR_INT;
        e->ival = v.u.i;
        e->text = tp_arena_printf(a, "%lld", (long long)v.u.i);
        e->len = strlen(e->text);
        return e;
    case TP_GV_LIST:
        e->kind = TP_EXPR_LIST;
        e->args.items = tp_arena_alloc(a, (v.u.list->count + 1) * sizeof(*e->args.items));
        for (size_t i = 0; i < v.u.list->count; i++)
            e->args.items[e->args.count++] = literal(a, v.u.list->items[i], line, col);
        return e;
    case TP_GV_MAP: {
        const struct tp_gv *symbol = tp_gmap_get_str(v.u.map, SYMBOL_KEY);
        if (symbol != NULL && symbol->kind == TP_GV_STRING) {
            e->kind = TP_EXPR_CALL;
            e->text = tp_arena_strdup(a, symbol->u.s);
            e->len = strlen(e->text);
        } else {
            e->kind = TP_EXPR_MAP;
        }
        named_from_map(a, e, v.u.map, line, col);
        return e;
    }
    default: {
        struct tp_buf text;
        tp_buf_init(&text);
        tp_gv_to_string(v, &text);
        e->kind = TP_EXPR_STRING;
        e->text = tp_arena_strndup(a, text.len ? text.data : "", text.len);
        e->len = text.len;
        tp_buf_close(&text);
        return e;
    }
    }
}

/* The call of a step, with Groovy's argument values as literals: what a plan step holds. */
static struct tp_plan_step *synthetic_step(struct tp_script_state *s, const char *name,
                                           const struct tp_gcall *c, int64_t id)
{
    struct tp_arena *a = &s->arena;
    struct tp_plan_step *step = tp_arena_alloc(a, sizeof(*step));
    struct tp_expr *call = tp_arena_alloc(a, sizeof(*call));
    call->kind = TP_EXPR_CALL;
    call->line = c->line;
    call->col = c->col;
    call->text = tp_arena_strdup(a, name);
    call->len = strlen(name);
    call->args.items = tp_arena_alloc(a, (c->nargs + 1) * sizeof(*call->args.items));
    for (size_t i = 0; i < c->nargs; i++) {
        /* step('a', [x: 1]) and step(x: 1) both read named arguments */
        if (c->nargs == 1 && c->named == NULL && c->args[0].kind == TP_GV_MAP &&
            tp_gmap_get_str(c->args[0].u.map, SYMBOL_KEY) == NULL) {
            named_from_map(a, call, c->args[0].u.map, c->line, c->col);
            continue;
        }
        call->args.items[call->args.count++] = literal(a, c->args[i], c->line, c->col);
    }
    if (c->named != NULL)
        named_from_map(a, call, c->named, c->line, c->col);
    step->id = id;
    step->name = call->text;
    step->call = call;
    step->line = c->line;
    step->col = c->col;
    return step;
}

/* --- the memo --- */

static struct memo *memo_add(struct tp_script_state *s)
{
    s->memo = tp_arena_grow(&s->arena, s->memo, s->nmemo, &s->cap, sizeof(*s->memo));
    struct memo *m = &s->memo[s->nmemo++];
    memset(m, 0, sizeof(*m));
    return m;
}

static struct tp_gmap *copy_map(struct tp_arena *a, const struct tp_gmap *m)
{
    if (m == NULL)
        return NULL;
    struct tp_gv v = { .kind = TP_GV_MAP, .u.map = (struct tp_gmap *)m };
    return tp_gv_copy(a, v).u.map;
}

void tp_script_step_ended(struct frame *f, enum tp_result result, const char *error, cJSON *value)
{
    struct tp_script_state *s = f->script;
    struct memo *m = memo_add(s);
    if (result == TP_RESULT_ABORTED) {
        m->failed = m->interrupt = true;
        m->exc_class = FLOW_INTERRUPTED;
    } else if (error != NULL || result == TP_RESULT_FAILURE) {
        m->failed = true;
        m->exc_class = ABORT_EXCEPTION;
        m->message = tp_arena_strdup(&s->arena, error != NULL ? error : "failed");
    } else if (value != NULL) {
        /* converted in a scratch pass, kept in the script's arena */
        struct tp_groovy g;
        tp_groovy_init(&g, &s->arena, NULL, NULL, NULL);
        m->value = from_json(&g, value);
    }
    cJSON_Delete(value);
}

static void note_var(void *ctx, const char *name, struct tp_gv value)
{
    struct tp_script_state *s = ctx;
    struct tp_groovy g;
    tp_groovy_init(&g, &s->arena, NULL, s->vars0, NULL);
    tp_gmap_put(&g, s->vars0, tp_gv_cstr(&g, name), tp_gv_copy(&s->arena, value));
}

void tp_script_child_ended(struct frame *p, struct frame *c)
{
    struct tp_script_state *s = p->script, *cs = c->script;
    struct memo *m = memo_add(s);
    m->block = true;
    bool failed = (c->failed || c->aborting) && !c->caught;
    if (failed) {
        m->failed = true;
        m->interrupt = c->aborting || c->result == TP_RESULT_ABORTED;
        const char *message = c->has_error ? tp_buf_str(&c->error) : NULL;
        m->message = message != NULL ? tp_arena_strdup(&s->arena, message) : NULL;
        if (m->interrupt) {
            m->exc_class = FLOW_INTERRUPTED;
        } else if (c->abort_style || message == NULL) {
            m->exc_class = ABORT_EXCEPTION;
        } else {
            /* "class: message" as the exception printed it */
            const char *colon = strstr(message, ": ");
            m->exc_class = colon != NULL
                               ? tp_arena_strndup(&s->arena, message, (size_t)(colon - message))
                               : ABORT_EXCEPTION;
            if (colon != NULL)
                m->message = tp_arena_strdup(&s->arena, colon + 2);
        }
    }
    if (c->mode == FRAME_BRANCHES) {
        /* parallel: what its branches changed, merged */
        m->binding = s->joined_binding;
        m->vars = s->joined_vars;
        m->env = s->joined_env;
        s->joined_binding = s->joined_vars = s->joined_env = NULL;
        return;
    }
    if (cs == NULL || !cs->pass_open)
        return;
    m->value = tp_gv_copy(&s->arena, cs->result);
    m->binding = copy_map(&s->arena, cs->g.binding);
    m->env = copy_map(&s->arena, cs->env);
    struct tp_groovy g;
    tp_groovy_init(&g, &s->arena, NULL, NULL, NULL);
    m->vars = tp_gv_map(&g).u.map;
    for (size_t i = 0; cs->vars0 != NULL && i < cs->vars0->count; i++) {
        struct tp_gv now;
        const struct tp_gv *key = &cs->vars0->keys[i];
        if (tp_groovy_lookup(cs->scope, key->u.s, &now))
            tp_gmap_put(&g, m->vars, tp_gv_copy(&s->arena, *key), tp_gv_copy(&s->arena, now));
    }
}

/*
 * Three-way merge of a value branches of a parallel changed: `base` as it was before the
 * parallel (NULL: it did not exist), `mine` as earlier branches left it (NULL: unchanged so
 * far), `theirs` as this branch left it. In Groovy the branches share their objects, so a map
 * each branch puts its own keys in, or a list each appends to, ends with every branch's
 * entries: maps merge key by key, lists keep both appends; anything else, the last branch to
 * end wins.
 */
static struct tp_gv merge3(struct tp_arena *a, const struct tp_gv *base, const struct tp_gv *mine,
                           struct tp_gv theirs)
{
    if (base == NULL || mine == NULL)
        return tp_gv_copy(a, theirs);
    struct tp_groovy g;
    tp_groovy_init(&g, a, NULL, NULL, NULL);
    if (base->kind == TP_GV_MAP && mine->kind == TP_GV_MAP && theirs.kind == TP_GV_MAP) {
        struct tp_gv out = tp_gv_copy(a, *mine);
        const struct tp_gmap *t = theirs.u.map;
        for (size_t i = 0; i < t->count; i++) {
            const struct tp_gv *was = tp_gmap_get(base->u.map, t->keys[i]);
            if (was != NULL && tp_gv_equals(*was, t->values[i]))
                continue;
            const struct tp_gv *now = tp_gmap_get(out.u.map, t->keys[i]);
            struct tp_gv merged = merge3(a, was, now, t->values[i]);
            tp_gmap_put(&g, out.u.map, tp_gv_copy(a, t->keys[i]), merged);
        }
        return out;
    }
    if (base->kind == TP_GV_LIST && mine->kind == TP_GV_LIST && theirs.kind == TP_GV_LIST) {
        const struct tp_glist *b = base->u.list, *m = mine->u.list, *t = theirs.u.list;
        bool prefix = b->count <= m->count && b->count <= t->count;
        for (size_t i = 0; prefix && i < b->count; i++)
            prefix =
                tp_gv_equals(b->items[i], m->items[i]) && tp_gv_equals(b->items[i], t->items[i]);
        if (prefix) {
            struct tp_gv out = tp_gv_copy(a, *mine);
            for (size_t i = b->count; i < t->count; i++)
                tp_glist_push(&g, out.u.list, tp_gv_copy(a, t->items[i]));
            return out;
        }
    }
    return tp_gv_copy(a, theirs);
}

/* Merges into `*joined` the entries of `after` that differ from `before`. */
static void join_changes(struct tp_arena *a, struct tp_gmap **joined, const struct tp_gmap *before,
                         const struct tp_gmap *after)
{
    struct tp_groovy g;
    tp_groovy_init(&g, a, NULL, NULL, NULL);
    if (*joined == NULL)
        *joined = tp_gv_map(&g).u.map;
    for (size_t i = 0; after != NULL && i < after->count; i++) {
        const struct tp_gv *was = before != NULL ? tp_gmap_get(before, after->keys[i]) : NULL;
        if (was != NULL && tp_gv_equals(*was, after->values[i]))
            continue;
        const struct tp_gv *now = tp_gmap_get(*joined, after->keys[i]);
        struct tp_gv merged = merge3(a, was, now, after->values[i]);
        tp_gmap_put(&g, *joined, tp_gv_copy(a, after->keys[i]), merged);
    }
}

void tp_script_branch_ended(struct frame *p, struct frame *branch)
{
    struct tp_script_state *s = p->script, *bs = branch->script;
    if (s == NULL || bs == NULL || !bs->pass_open)
        return;
    join_changes(&s->arena, &s->joined_binding, bs->binding0, bs->g.binding);
    struct tp_groovy g;
    tp_groovy_init(&g, &bs->pass, NULL, NULL, NULL);
    struct tp_gmap *vars = tp_gv_map(&g).u.map;
    for (size_t i = 0; bs->vars0 != NULL && i < bs->vars0->count; i++) {
        struct tp_gv now;
        if (tp_groovy_lookup(bs->scope, bs->vars0->keys[i].u.s, &now))
            tp_gmap_put(&g, vars, bs->vars0->keys[i], now);
    }
    join_changes(&s->arena, &s->joined_vars, bs->vars0, vars);
    join_changes(&s->arena, &s->joined_env, NULL, bs->env);
}

static int throw_memo(struct tp_groovy *g, const struct memo *m)
{
    struct tp_gexc x = { .class_name = m->exc_class,
                         .message = m->message,
                         .interrupt = m->interrupt };
    return tp_groovy_rethrow(g, &x);
}

/* Assigns a variable the call's closure sees: its trailing closure's, or (parallel) those of
 * the closures among its arguments. */
static void set_closure_var(struct tp_groovy *g, const struct tp_gcall *c, const char *name,
                            struct tp_gv value)
{
    if (c->closure.kind == TP_GV_CLOSURE) {
        tp_groovy_closure_set(c->closure, name, tp_gv_copy(g->arena, value));
        return;
    }
    const struct tp_gmap *named = c->named;
    if (named == NULL && c->nargs == 1 && c->args[0].kind == TP_GV_MAP)
        named = c->args[0].u.map;
    for (size_t i = 0; named != NULL && i < named->count; i++)
        tp_groovy_closure_set(named->values[i], name, tp_gv_copy(g->arena, value));
}

/* Answers a call from the memo: its effects, then its value or its exception. */
static int replay(struct tp_script_state *s, struct tp_groovy *g, const struct memo *m,
                  const struct tp_gcall *c, struct tp_gv *out)
{
    if (m->block) {
        for (size_t i = 0; m->binding != NULL && i < m->binding->count; i++)
            tp_gmap_put(g, g->binding, tp_gv_copy(g->arena, m->binding->keys[i]),
                        tp_gv_copy(g->arena, m->binding->values[i]));
        for (size_t i = 0; m->vars != NULL && i < m->vars->count; i++)
            set_closure_var(g, c, m->vars->keys[i].u.s, m->vars->values[i]);
        for (size_t i = 0; m->env != NULL && i < m->env->count; i++)
            tp_gmap_put(g, s->env, tp_gv_copy(g->arena, m->env->keys[i]),
                        tp_gv_copy(g->arena, m->env->values[i]));
    }
    if (m->failed)
        return throw_memo(g, m);
    *out = tp_gv_copy(g->arena, m->value);
    return TP_GROOVY_OK;
}

/* --- the host: globals --- */

static const char *result_text(enum tp_result r)
{
    const char *name = tp_result_name(r);
    return name != NULL ? name : "SUCCESS";
}

/* The build's result so far: the worst of what its stages and steps have come to. */
static enum tp_result current_result(const struct frame *f)
{
    enum tp_result now = f->run->result_floor;
    for (const struct frame *p = f; p != NULL; p = p->parent)
        now = tp_result_worse(now, p->result);
    return now;
}

static bool host_lookup(void *ctx, struct tp_groovy *g, const char *name, struct tp_gv *out)
{
    struct tp_script_state *s = ctx;

    static const struct {
        const char *name;
        int type;
        const char *class_name;
    } globals[] = {
        { "env", OBJ_ENV, "org.jenkinsci.plugins.workflow.cps.EnvActionImpl" },
        { "params", OBJ_PARAMS, "org.jenkinsci.plugins.workflow.cps.ParamsVariable" },
        { "currentBuild", OBJ_BUILD,
          "org.jenkinsci.plugins.workflow.support.steps.build.RunWrapper" },
        { "scm", OBJ_SCM, "hudson.scm.NullSCM" },
        { "docker", OBJ_DOCKER, "org.jenkinsci.plugins.docker.workflow.Docker" },
    };

    for (size_t i = 0; i < sizeof(globals) / sizeof(globals[0]); i++) {
        if (strcmp(name, globals[i].name) == 0) {
            *out = tp_gv_object(g, globals[i].type, globals[i].class_name, NULL);
            return true;
        }
    }
    if (strcmp(name, "__now_ms") == 0) {
        *out = tp_gv_int(tp_time_now_ms());
        return true;
    }
    const char *value = env_read(s, name);
    if (value != NULL) {
        *out = tp_gv_cstr(g, value);
        return true;
    }
    return false;
}

static struct tp_gv param_value(struct tp_groovy *g, const struct run *run, const char *name)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, run->params)
    {
        const char *n = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "name"));
        if (n != NULL && strcmp(n, name) == 0)
            return from_json(g, cJSON_GetObjectItemCaseSensitive(item, "value"));
    }
    return tp_gv_null();
}

/* A run before this one: the one just before (previousBuild), or the last one with a result
 * at least as good as `best` (previousSuccessfulBuild...). NULL when there is none. */
static const struct tp_run_rec *previous_run(struct tp_groovy *g, const struct run *run,
                                             enum tp_result best, bool any)
{
    for (int64_t n = run->rec.number - 1; n > 0; n--) {
        struct tp_run_rec *rec = tp_arena_alloc(g->arena, sizeof(*rec));
        if (tp_store_run_get(tp_engine_store(run->engine), run->rec.pipeline_id, n, g->arena,
                             rec) != 0)
            continue;
        if (any)
            return rec;
        if (rec->state == TP_STATE_FINISHED && rec->result <= best)
            return rec;
    }
    return NULL;
}

static struct tp_gv build_causes(struct tp_groovy *g, const struct run *run)
{
    struct tp_gv list = tp_gv_list(g), cause = tp_gv_map(g);
    bool user = run->rec.cause_user != NULL;
    tp_gmap_put(g, cause.u.map, tp_gv_cstr(g, "_class"),
                tp_gv_cstr(g, tp_engine_cause_class(run->rec.cause, run->rec.cause_user)));
    tp_gmap_put(g, cause.u.map, tp_gv_cstr(g, "shortDescription"),
                tp_gv_cstr(g, run->rec.cause != NULL ? run->rec.cause : "Started"));
    if (user) {
        tp_gmap_put(g, cause.u.map, tp_gv_cstr(g, "userId"), tp_gv_cstr(g, run->rec.cause_user));
        tp_gmap_put(g, cause.u.map, tp_gv_cstr(g, "userName"), tp_gv_cstr(g, run->rec.cause_user));
    }
    tp_glist_push(g, list.u.list, cause);
    return list;
}

static struct tp_gv previous_object(struct tp_groovy *g, const struct tp_run_rec *rec)
{
    return rec != NULL
               ? tp_gv_object(g, OBJ_PREVIOUS,
                              "org.jenkinsci.plugins.workflow.support.steps.build.RunWrapper", rec)
               : tp_gv_null();
}

/* A job's full display name ("team » app" for app inside folder team), in the arena. */
static const char *display_path(struct tp_groovy *g, const char *job)
{
    struct tp_buf out;
    tp_buf_init(&out);
    tp_str_job_display(job, &out);
    const char *text = tp_arena_strdup(g->arena, tp_buf_str(&out));
    tp_buf_close(&out);
    return text;
}

/* <root>job/<job>/<number>/ (job/a/job/b/ for b inside folder a). */
static const char *build_url(struct tp_groovy *g, const char *root, const char *job,
                             const char *number)
{
    struct tp_buf out;
    tp_buf_init(&out);
    tp_buf_puts(&out, root);
    tp_str_job_path(job, &out);
    tp_buf_printf(&out, "%s/", number);
    const char *text = tp_arena_strdup(g->arena, tp_buf_str(&out));
    tp_buf_close(&out);
    return text;
}

/* Properties shared by currentBuild and the RunWrappers of earlier runs. */
static bool run_property(struct tp_groovy *g, const struct tp_run_rec *rec, const char *base_url,
                         const char *name, struct tp_gv *out)
{
    char number[24];
    snprintf(number, sizeof(number), "%lld", (long long)rec->number);
    if (strcmp(name, "number") == 0)
        *out = tp_gv_int(rec->number);
    else if (strcmp(name, "id") == 0)
        *out = tp_gv_cstr(g, number);
    else if (strcmp(name, "displayName") == 0)
        *out = tp_gv_cstr(g, rec->display_name != NULL ? rec->display_name
                                                       : tp_arena_printf(g->arena, "#%s", number));
    else if (strcmp(name, "fullDisplayName") == 0)
        *out = tp_gv_cstr(g, tp_arena_printf(g->arena, "%s %s", display_path(g, rec->pipeline),
                                             rec->display_name != NULL
                                                 ? rec->display_name
                                                 : tp_arena_printf(g->arena, "#%s", number)));
    else if (strcmp(name, "projectName") == 0)
        *out = tp_gv_cstr(g, strrchr(rec->pipeline, '/') != NULL ? strrchr(rec->pipeline, '/') + 1
                                                                 : rec->pipeline);
    else if (strcmp(name, "fullProjectName") == 0)
        *out = tp_gv_cstr(g, rec->pipeline);
    else if (strcmp(name, "absoluteUrl") == 0)
        *out = tp_gv_cstr(g, build_url(g, base_url, rec->pipeline, number));
    else if (strcmp(name, "startTimeInMillis") == 0 || strcmp(name, "timeInMillis") == 0)
        *out = tp_gv_int(rec->start_ms);
    else if (strcmp(name, "description") == 0)
        *out = rec->description != NULL ? tp_gv_cstr(g, rec->description) : tp_gv_null();
    else if (strcmp(name, "keepLog") == 0)
        *out = tp_gv_bool(false);
    else if (strcmp(name, "changeSets") == 0 || strcmp(name, "upstreamBuilds") == 0)
        *out = tp_gv_list(g);
    else
        return false;
    return true;
}

static int host_get(void *ctx, struct tp_groovy *g, const struct tp_gobj *obj, const char *name,
                    struct tp_gv *out)
{
    struct tp_script_state *s = ctx;
    struct frame *f = s->frame;
    struct run *run = f->run;
    const char *root = tp_engine_root_url(run->engine);
    switch (obj->type) {
    case OBJ_ENV: {
        const char *value = env_read(s, name);
        *out = value != NULL ? tp_gv_cstr(g, value) : tp_gv_null();
        return TP_GROOVY_OK;
    }
    case OBJ_PARAMS:
        *out = param_value(g, run, name);
        return TP_GROOVY_OK;
    case OBJ_BUILD: {
        enum tp_result now = current_result(f);
        if (strcmp(name, "result") == 0) {
            *out = now == TP_RESULT_SUCCESS ? tp_gv_null() : tp_gv_cstr(g, result_text(now));
        } else if (strcmp(name, "currentResult") == 0) {
            *out = tp_gv_cstr(g, result_text(now));
        } else if (strcmp(name, "duration") == 0) {
            *out = tp_gv_int(tp_time_now_ms() - run->rec.start_ms);
        } else if (strcmp(name, "durationString") == 0) {
            char span[64];
            tp_time_span((uint64_t)(tp_time_now_ms() - run->rec.start_ms), span, sizeof(span));
            *out = tp_gv_cstr(g, tp_arena_printf(g->arena, "%s and counting", span));
        } else if (strcmp(name, "previousBuild") == 0) {
            *out = previous_object(g, previous_run(g, run, TP_RESULT_SUCCESS, true));
        } else if (strcmp(name, "previousSuccessfulBuild") == 0) {
            *out = previous_object(g, previous_run(g, run, TP_RESULT_SUCCESS, false));
        } else if (strcmp(name, "previousCompletedBuild") == 0) {
            *out = previous_object(g, previous_run(g, run, TP_RESULT_ABORTED, false));
        } else if (strcmp(name, "buildCauses") == 0) {
            *out = build_causes(g, run);
        } else if (strcmp(name, "nextBuild") == 0) {
            *out = tp_gv_null();
        } else if (!run_property(g, &run->rec, root, name, out)) {
            return tp_groovy_throw(g, "groovy.lang.MissingPropertyException",
                                   "No such property: %s for class: %s", name, obj->class_name);
        }
        return TP_GROOVY_OK;
    }
    case OBJ_PREVIOUS: {
        const struct tp_run_rec *rec = obj->data;
        if (strcmp(name, "result") == 0 || strcmp(name, "currentResult") == 0) {
            *out = rec->state == TP_STATE_FINISHED ? tp_gv_cstr(g, result_text(rec->result))
                                                   : tp_gv_null();
        } else if (strcmp(name, "duration") == 0) {
            *out = tp_gv_int(rec->end_ms > rec->start_ms ? rec->end_ms - rec->start_ms : 0);
        } else if (strcmp(name, "previousBuild") == 0 || strcmp(name, "nextBuild") == 0) {
            *out = tp_gv_null();
        } else if (!run_property(g, rec, root, name, out)) {
            return tp_groovy_throw(g, "groovy.lang.MissingPropertyException",
                                   "No such property: %s for class: %s", name, obj->class_name);
        }
        return TP_GROOVY_OK;
    }
    default:
        return tp_groovy_throw(g, "tidepool.UnsupportedStep", "tidepool has no '%s' of %s yet",
                               name, obj->class_name);
    }
}

static int host_set(void *ctx, struct tp_groovy *g, const struct tp_gobj *obj, const char *name,
                    struct tp_gv value)
{
    struct tp_script_state *s = ctx;
    struct frame *f = s->frame;
    if (obj->type == OBJ_ENV) {
        /* env values are strings (null removes nothing in Jenkins: it stores "null") */
        struct tp_buf text;
        tp_buf_init(&text);
        tp_gv_to_string(value, &text);
        struct tp_gv v = tp_gv_str(g, text.len ? text.data : "", text.len);
        tp_gmap_put(g, s->env, tp_gv_cstr(g, name), v);
        if (is_live(s))
            env_write_live(f, name, v.u.s);
        tp_buf_close(&text);
        return TP_GROOVY_OK;
    }
    if (obj->type == OBJ_BUILD && strcmp(name, "result") == 0) {
        struct tp_buf text;
        tp_buf_init(&text);
        tp_gv_to_string(value, &text);
        int found = -1;
        for (int r = TP_RESULT_SUCCESS; r <= TP_RESULT_ABORTED; r++) {
            if (strcmp(tp_buf_str(&text), tp_result_name((enum tp_result)r)) == 0)
                found = r;
        }
        tp_buf_close(&text);
        if (found < 0)
            return tp_groovy_throw(g, "java.lang.IllegalArgumentException", "Unknown result: %s",
                                   value.kind == TP_GV_STRING ? value.u.s : "null");
        /* the build's result only ever gets worse; stages keep theirs */
        if (is_live(s))
            tp_frame_mark(f, TP_RESULT_SUCCESS, (enum tp_result)found);
        return TP_GROOVY_OK;
    }
    if (obj->type == OBJ_BUILD && strcmp(name, "keepLog") == 0)
        return TP_GROOVY_OK;
    if (obj->type == OBJ_BUILD &&
        (strcmp(name, "description") == 0 || strcmp(name, "displayName") == 0)) {
        /* kept with the run: Blue Ocean's description/name, the classic API's */
        if (!is_live(s))
            return TP_GROOVY_OK;
        struct run *run = f->run;
        const char *text = NULL;
        if (value.kind != TP_GV_NULL) {
            struct tp_buf buf;
            tp_buf_init(&buf);
            tp_gv_to_string(value, &buf);
            text = tp_arena_strdup(&run->arena, tp_buf_str(&buf));
            tp_buf_close(&buf);
        }
        if (name[0] == 'd' && name[1] == 'e')
            run->rec.description = text;
        else
            run->rec.display_name = text;
        tp_run_save(run);
        return TP_GROOVY_OK;
    }
    return tp_groovy_throw(g, "groovy.lang.ReadOnlyPropertyException",
                           "Cannot set readonly property: %s for class: %s", name, obj->class_name);
}

static int host_invoke(void *ctx, struct tp_groovy *g, const struct tp_gobj *obj, const char *name,
                       const struct tp_gcall *c, struct tp_gv *out)
{
    struct tp_script_state *s = ctx;
    if (obj->type == OBJ_DOCKER)
        return tp_groovy_throw(g, ABORT_EXCEPTION,
                               "tidepool does not run docker.%s() (docker-workflow) yet (line %d)",
                               name, c->line);
    if (obj->type == OBJ_ENV && strcmp(name, "getProperty") == 0 && c->nargs == 1 &&
        c->args[0].kind == TP_GV_STRING)
        return host_get(ctx, g, obj, c->args[0].u.s, out);
    if (obj->type == OBJ_ENV && strcmp(name, "setProperty") == 0 && c->nargs == 2 &&
        c->args[0].kind == TP_GV_STRING) {
        *out = tp_gv_null();
        return host_set(ctx, g, obj, c->args[0].u.s, c->args[1]);
    }
    if (obj->type == OBJ_BUILD && strcmp(name, "getBuildCauses") == 0) {
        *out = build_causes(g, s->frame->run);
        return TP_GROOVY_OK;
    }
    if (obj->type == OBJ_BUILD &&
        (strcmp(name, "resultIsBetterOrEqualTo") == 0 ||
         strcmp(name, "resultIsWorseOrEqualTo") == 0) &&
        c->nargs == 1 && c->args[0].kind == TP_GV_STRING) {
        enum tp_result now = current_result(s->frame), other = TP_RESULT_NONE;
        for (int r = TP_RESULT_SUCCESS; r <= TP_RESULT_ABORTED; r++) {
            if (strcmp(c->args[0].u.s, tp_result_name((enum tp_result)r)) == 0)
                other = (enum tp_result)r;
        }
        if (other == TP_RESULT_NONE)
            return tp_groovy_throw(g, "java.lang.IllegalArgumentException", "Unknown result: %s",
                                   c->args[0].u.s);
        *out = tp_gv_bool(name[8] == 'B' ? now <= other : now >= other);
        return TP_GROOVY_OK;
    }
    return TP_GROOVY_NO_STEP;
}

static void host_print(void *ctx, const char *text, size_t len)
{
    struct tp_script_state *s = ctx;
    if (is_live(s))
        tp_frame_log(s->frame->run, NULL, text, len);
}

/* --- the host: calls --- */

/* Describable symbols: their calls are values (parameters: [string(name: 'X')]). */
static const char *const symbols[] = { "string",
                                       "booleanParam",
                                       "choice",
                                       "text",
                                       "password",
                                       "credentials",
                                       "run",
                                       "file",
                                       "agent",
                                       "nonresumable",
                                       "scmGit",
                                       "branches",
                                       "gitUsernamePassword",
                                       "usernamePassword",
                                       "usernameColonPassword",
                                       "sshUserPrivateKey",
                                       "certificate",
                                       "aws",
                                       NULL };

/* Block steps whose closures run as frames of the engine's block steps. */
static const char *const frame_blocks[] = { "dir",       "withEnv",         "timeout",
                                            "retry",     "catchError",      "warnError",
                                            "waitUntil", "withCredentials", "stage",
                                            "node",      "timestamps",      "ansiColor",
                                            "lock",      "sshagent",        NULL };

/* A child script state running `closure`: it starts from the variables the closure sees and
 * the binding as it is now. */
static struct tp_script_state *closure_script(struct tp_groovy *g, struct tp_gv closure)
{
    struct tp_script_state *child = script_alloc(tp_groovy_closure_body(closure));
    child->is_block = true;
    child->binding0 = copy_map(&child->arena, g->binding);
    struct tp_groovy scratch;
    tp_groovy_init(&scratch, &child->arena, NULL, NULL, NULL);
    child->vars0 = tp_gv_map(&scratch).u.map;
    tp_groovy_closure_vars(closure, note_var, child);
    return child;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* parallel(a: { ... }, b: { ... }, failFast: true) or parallel(map): the closures run as
 * branches at once, each a PARALLEL node of the stage (in name order, as Blue Ocean lists
 * them); the first failure is the parallel step's. */
static int start_parallel(struct tp_script_state *s, struct tp_groovy *g, const struct tp_gcall *c)
{
    const struct tp_gmap *branches = c->named;
    if (branches == NULL && c->nargs == 1 && c->args[0].kind == TP_GV_MAP)
        branches = c->args[0].u.map;
    if (branches == NULL)
        return tp_groovy_throw(g, ABORT_EXCEPTION,
                               "parallel expects named closures or a map of them (line %d)",
                               c->line);
    bool fail_fast = false;
    size_t n = 0;
    const char **names = tp_arena_alloc(&s->arena, (branches->count + 1) * sizeof(*names));
    for (size_t i = 0; i < branches->count; i++) {
        struct tp_gv key = branches->keys[i], value = branches->values[i];
        if (key.kind == TP_GV_STRING && strcmp(key.u.s, "failFast") == 0) {
            fail_fast = tp_gv_truth(value);
            continue;
        }
        if (tp_groovy_closure_body(value) == NULL)
            return tp_groovy_throw(g, ABORT_EXCEPTION,
                                   "parallel branch %s is not a closure (line %d)",
                                   key.kind == TP_GV_STRING ? key.u.s : "?", c->line);
        struct tp_buf text;
        tp_buf_init(&text);
        tp_gv_to_string(key, &text);
        names[n++] = tp_arena_strdup(&s->arena, tp_buf_str(&text));
        tp_buf_close(&text);
    }
    qsort(names, n, sizeof(*names), by_name);
    struct tp_script_state **scripts = tp_arena_alloc(&s->arena, (n + 1) * sizeof(*scripts));
    for (size_t i = 0; i < n; i++) {
        const struct tp_gv *closure = tp_gmap_get_str(branches, names[i]);
        scripts[i] = closure_script(g, *closure);
    }
    struct tp_gcall none = { .line = c->line, .col = c->col };
    s->child = tp_frame_new_branches(s->frame, synthetic_step(s, "parallel", &none, 0), names,
                                     scripts, n, fail_fast);
    return TP_GROOVY_SUSPEND;
}

static int host_call(void *ctx, struct tp_groovy *g, const char *name, const struct tp_gcall *c,
                     struct tp_gv *out)
{
    struct tp_script_state *s = ctx;
    struct frame *f = s->frame;
    if (tp_str_in(name, symbols)) {
        struct tp_gv v = tp_gv_map(g);
        tp_gmap_put(g, v.u.map, tp_gv_cstr(g, SYMBOL_KEY), tp_gv_cstr(g, name));
        for (size_t i = 0; c->named != NULL && i < c->named->count; i++)
            tp_gmap_put(g, v.u.map, c->named->keys[i], c->named->values[i]);
        if (c->nargs == 1 && c->named == NULL)
            tp_gmap_put(g, v.u.map, tp_gv_cstr(g, "value"), c->args[0]);
        *out = v;
        return TP_GROOVY_OK;
    }
    if (s->cursor < s->nmemo)
        return replay(s, g, &s->memo[s->cursor++], c, out);
    if (f->aborting || f->run->aborting) { /* a stopped run starts no more steps */
        tp_groovy_throw(g, FLOW_INTERRUPTED, NULL);
        g->exc->interrupt = true;
        return TP_GROOVY_THROW;
    }
    if (strcmp(name, "parallel") == 0)
        return start_parallel(s, g, c);
    bool block = tp_str_in(name, frame_blocks) ||
                 (c->closure.kind == TP_GV_CLOSURE && tp_steps_find(name) == NULL &&
                  tp_engine_stub(f->run->engine, name) != NULL);
    if (block || strcmp(name, "script") == 0) {
        const struct tp_block *body = tp_groovy_closure_body(c->closure);
        if (body == NULL)
            return tp_groovy_throw(g, ABORT_EXCEPTION,
                                   "%s needs a block: %s(...) { ... } (line %d)", name, name,
                                   c->line);
        struct tp_script_state *child = closure_script(g, c->closure);
        s->child = tp_frame_new_script(f, synthetic_step(s, block ? name : "script", c, 0), child);
        return TP_GROOVY_SUSPEND;
    }
    const struct tp_step_def *def = tp_steps_find(name);
    if (def == NULL && tp_engine_stub(f->run->engine, name) == NULL) {
        if (tp_steps_is_jenkins(name))
            return tp_groovy_throw(g, ABORT_EXCEPTION,
                                   "tidepool does not support the '%s' step yet (line %d)", name,
                                   c->line);
        struct tp_buf list;
        tp_buf_init(&list);
        tp_steps_list(&list);
        tp_groovy_throw(g, "java.lang.NoSuchMethodError",
                        "No such DSL method '%s' found among steps %s", name, tp_buf_str(&list));
        tp_buf_close(&list);
        return TP_GROOVY_THROW;
    }
    if (c->closure.kind != TP_GV_NULL)
        return tp_groovy_throw(g, ABORT_EXCEPTION, "%s does not take a block (line %d)", name,
                               c->line);
    size_t before = s->nmemo;
    bool done = tp_frame_start_step(f, synthetic_step(s, name, c, tp_run_dynamic_id(f->run)));
    if (!done)
        return TP_GROOVY_SUSPEND;
    if (s->nmemo == before) { /* refused before it became a step: the frame has failed */
        tp_groovy_throw(g, ABORT_EXCEPTION, "%s",
                        f->has_error ? tp_buf_str(&f->error) : "the step could not start");
        g->exc->fatal = true;
        return TP_GROOVY_THROW;
    }
    return replay(s, g, &s->memo[s->cursor++], c, out);
}

static const struct tp_groovy_host host = {
    .lookup = host_lookup,
    .get = host_get,
    .set = host_set,
    .invoke = host_invoke,
    .call = host_call,
    .print = host_print,
};

/* --- passes --- */

/* Merges the variables a script block changed into the run's binding. */
static void commit_binding(struct run *run, const struct tp_gmap *before,
                           const struct tp_gmap *after)
{
    struct tp_arena arena;
    tp_arena_init(&arena);
    struct tp_groovy g;
    tp_groovy_init(&g, &arena, NULL, NULL, NULL);
    for (size_t i = 0; run->binding != NULL && i < run->binding->count; i++)
        tp_gmap_put(&g, g.binding, tp_gv_copy(&arena, run->binding->keys[i]),
                    tp_gv_copy(&arena, run->binding->values[i]));
    for (size_t i = 0; after != NULL && i < after->count; i++) {
        const struct tp_gv *old = before != NULL ? tp_gmap_get(before, after->keys[i]) : NULL;
        if (old == NULL || !tp_gv_equals(*old, after->values[i]))
            tp_gmap_put(&g, g.binding, tp_gv_copy(&arena, after->keys[i]),
                        tp_gv_copy(&arena, after->values[i]));
    }
    if (run->binding != NULL)
        tp_arena_close(&run->binding_arena);
    run->binding_arena = arena;
    run->binding = g.binding;
}

/* An exception that left the block: the frame fails as Jenkins reports it. */
static void fail_with(struct frame *f, const struct tp_gexc *x)
{
    if (x->interrupt) {
        tp_frame_fail(f, TP_RESULT_ABORTED, true, x->message);
        return;
    }
    if (strcmp(x->class_name, ABORT_EXCEPTION) == 0) {
        tp_frame_fail(f, TP_RESULT_FAILURE, true, x->message != NULL ? x->message : "");
        return;
    }
    struct tp_buf text;
    tp_buf_init(&text);
    tp_buf_puts(&text, x->class_name);
    if (x->message != NULL)
        tp_buf_printf(&text, ": %s", x->message);
    tp_frame_fail(f, TP_RESULT_FAILURE, false, tp_buf_str(&text));
    /* Not a step's failure: Blue Ocean shows it at the end of the last step's log. */
    tp_frame_note_error(f, tp_buf_str(&text));
    tp_buf_close(&text);
}

static void open_pass(struct tp_script_state *s)
{
    if (s->pass_open)
        tp_arena_close(&s->pass);
    tp_arena_init(&s->pass);
    s->pass_open = true;
    struct tp_groovy *g = &s->g;
    s->host = host;
    s->host.ctx = s;
    tp_groovy_init(g, &s->pass, &s->host, NULL, s->frame->run->plan->script.body);
    for (size_t i = 0; s->binding0 != NULL && i < s->binding0->count; i++)
        tp_gmap_put(g, g->binding, tp_gv_copy(&s->pass, s->binding0->keys[i]),
                    tp_gv_copy(&s->pass, s->binding0->values[i]));
    s->scope = tp_groovy_scope(g);
    for (size_t i = 0; s->vars0 != NULL && i < s->vars0->count; i++)
        tp_groovy_declare(g, s->scope, s->vars0->keys[i].u.s,
                          tp_gv_copy(&s->pass, s->vars0->values[i]));
    s->env = tp_gv_map(g).u.map;
    s->cursor = 0;
    s->child = NULL;
    s->result = tp_gv_null();
}

struct tp_script_state *tp_script_for_value(const struct tp_expr *value)
{
    struct tp_script_state *s = script_alloc(NULL);
    struct tp_stmt *st = tp_arena_alloc(&s->arena, sizeof(*st));
    memset(st, 0, sizeof(*st));
    st->kind = TP_STMT_EXPR;
    st->line = value->line;
    st->col = value->col;
    st->expr = (struct tp_expr *)value;
    struct tp_block *body = tp_arena_alloc(&s->arena, sizeof(*body));
    memset(body, 0, sizeof(*body));
    body->items = tp_arena_alloc(&s->arena, sizeof(*body->items));
    body->items[0] = st;
    body->count = 1;
    body->line = value->line;
    body->col = value->col;
    s->body = body;
    return s;
}

void tp_script_result_text(const struct tp_script_state *s, struct tp_buf *out)
{
    tp_gv_to_string(s->done ? s->result : tp_gv_null(), out);
}

bool tp_script_result_truth(const struct tp_script_state *s)
{
    return s->done && tp_gv_truth(s->result);
}

enum tp_script_progress tp_script_advance(struct frame *f)
{
    struct tp_script_state *s = f->script;
    struct run *run = f->run;
    if (s->done)
        return TP_SCRIPT_DONE;
    if (!s->started) {
        if (f->failed || f->aborting || run->aborting || s->body == NULL) {
            s->done = true; /* the block step could not start (a bad dir, a stop) */
            return TP_SCRIPT_DONE;
        }
        s->started = true;
        s->frame = f;
        tp_env_merge(&s->base, &f->env);
        s->env_base = &s->base;
        if (!s->is_block)
            s->binding0 = copy_map(&s->arena, run->binding);
    }
    open_pass(s);
    int rc = tp_groovy_run_in(&s->g, s->scope, s->body, &s->result);
    if (rc == TP_GROOVY_SUSPEND) {
        struct frame *child = s->child;
        s->child = NULL;
        if (child != NULL)
            tp_frame_run(child);
        return TP_SCRIPT_WAIT;
    }
    s->done = true;
    if (!s->is_block)
        commit_binding(run, s->binding0, s->g.binding);
    if (rc == TP_GROOVY_THROW)
        fail_with(f, tp_groovy_exception(&s->g));
    return TP_SCRIPT_DONE;
}

/* --- Groovy outside script blocks --- */

/* A host for evaluations that cannot run steps (prologue, when, environment values). */
static int refuse_call(void *ctx, struct tp_groovy *g, const char *name, const struct tp_gcall *c,
                       struct tp_gv *out)
{
    (void)ctx;
    (void)out;
    if (tp_str_in(name, symbols))
        return host_call(ctx, g, name, c, out);
    if (tp_steps_find(name) != NULL || tp_steps_is_jenkins(name) || tp_steps_is_block(name) ||
        tp_str_in(name, frame_blocks))
        return tp_groovy_throw(g, ABORT_EXCEPTION,
                               "tidepool runs steps only inside stages and script {} blocks, not "
                               "'%s' here (line %d)",
                               name, c->line);
    return TP_GROOVY_NO_STEP;
}

static const struct tp_groovy_host pure_host = {
    .lookup = host_lookup,
    .get = host_get,
    .set = host_set,
    .invoke = host_invoke,
    .call = refuse_call,
};

/* Prepares a one-pass script state on frame `f` for an evaluation that runs no steps. */
static void open_pure(struct frame *f, struct tp_script_state *s)
{
    memset(s, 0, sizeof(*s));
    tp_arena_init(&s->pass);
    tp_env_init(&s->base);
    s->pass_open = true;
    s->frame = f;
    s->env_base = &f->env; /* one pass, no replay: the frame's environment as it is */
    s->host = pure_host;
    s->host.ctx = s;
    tp_groovy_init(&s->g, &s->pass, &s->host, copy_map(&s->pass, f->run->binding),
                   f->run->plan->script.body);
    s->env = tp_gv_map(&s->g).u.map;
}

static void close_pure(struct tp_script_state *s)
{
    tp_env_close(&s->base);
    tp_arena_close(&s->pass);
}

/* Turns the outcome of a pure evaluation into 0, or TP_EINVAL with the exception in `error`
 * ("message" for an AbortException, "class: message" otherwise). */
static int pure_outcome(struct tp_script_state *s, int rc, struct tp_buf *error)
{
    if (rc == TP_GROOVY_OK)
        return 0;
    const struct tp_gexc *x = tp_groovy_exception(&s->g);
    if (rc != TP_GROOVY_THROW || x == NULL) {
        tp_buf_puts(error, "tidepool cannot suspend this evaluation");
        return TP_EINVAL;
    }
    if (strcmp(x->class_name, ABORT_EXCEPTION) != 0)
        tp_buf_printf(error, "%s%s", x->class_name, x->message ? ": " : "");
    if (x->message != NULL)
        tp_buf_puts(error, x->message);
    return TP_EINVAL;
}

int tp_script_truth(struct frame *f, const struct tp_block *body, bool *out, struct tp_buf *error)
{
    struct tp_script_state s;
    struct tp_gv v;
    open_pure(f, &s);
    int err = pure_outcome(&s, tp_groovy_run(&s.g, body, &v), error);
    if (err == 0)
        *out = tp_gv_truth(v);
    close_pure(&s);
    return err;
}

int tp_script_eval_string(struct frame *f, const struct tp_expr *e, struct tp_buf *out,
                          struct tp_buf *error)
{
    if (e->kind == TP_EXPR_STRING) { /* most arguments: no interpreter needed */
        tp_buf_append(out, e->text, e->len);
        return 0;
    }
    struct tp_script_state s;
    struct tp_gv v;
    open_pure(f, &s);
    int err = pure_outcome(&s, tp_groovy_eval(&s.g, e, &v), error);
    if (err == 0)
        tp_gv_to_string(v, out);
    close_pure(&s);
    return err;
}

int tp_script_eval_number(struct frame *f, const struct tp_expr *e, long long *out, bool *is_number,
                          struct tp_buf *text, struct tp_buf *error)
{
    struct tp_script_state s;
    struct tp_gv v;
    open_pure(f, &s);
    int err = pure_outcome(&s, tp_groovy_eval(&s.g, e, &v), error);
    if (err == 0) {
        *is_number = v.kind == TP_GV_INT || v.kind == TP_GV_FLOAT;
        *out = v.kind == TP_GV_INT     ? (long long)v.u.i
               : v.kind == TP_GV_FLOAT ? (long long)v.u.f
                                       : 0;
        tp_gv_to_string(v, text);
    }
    close_pure(&s);
    return err;
}

/* The shared libraries the file asks for (@Library('x') _ or library 'x'): tidepool loads
 * none; the log says so, and their steps fail when called unless --stubs names them. */
static void note_libraries(struct run *run)
{
    const struct tp_block *body = run->plan->script.body;
    for (size_t i = 0; body != NULL && i < body->count; i++) {
        const struct tp_stmt *st = body->items[i];
        const struct tp_expr *call = NULL;
        if (st->annotation != NULL && st->annotation->text != NULL &&
            strcmp(st->annotation->text, "Library") == 0)
            call = st->annotation;
        else if (st->kind == TP_STMT_EXPR && st->expr->kind == TP_EXPR_CALL &&
                 st->expr->a == NULL && st->expr->text != NULL &&
                 strcmp(st->expr->text, "library") == 0)
            call = st->expr;
        if (call == NULL)
            continue;
        const struct tp_expr *name = call->args.count > 0 ? call->args.items[0] : NULL;
        if (name == NULL)
            name = tp_ast_named_arg(call, "identifier");
        tp_run_logf(run,
                    "tidepool: the shared library %s is not loaded (line %d): tidepool loads "
                    "none; its steps fail when called, unless --stubs names them\n",
                    name != NULL && name->kind == TP_EXPR_STRING ? name->text : "(unnamed)",
                    call->line);
    }
}

int tp_script_prologue(struct run *run, struct tp_buf *error)
{
    note_libraries(run);
    struct tp_script_state s;
    open_pure(run->root, &s);
    int err = pure_outcome(&s, tp_groovy_run_prologue(&s.g), error);
    if (err == 0)
        commit_binding(run, NULL, s.g.binding);
    close_pure(&s);
    return err;
}

void tp_script_run_end(struct run *run)
{
    if (run->binding != NULL)
        tp_arena_close(&run->binding_arena);
    run->binding = NULL;
}
