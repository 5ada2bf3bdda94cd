/* SPDX-License-Identifier: MIT */
/*
 * Groovy-lite: the interpreter for the Groovy a declarative pipeline holds (`script {}`,
 * `expression {}`, GStrings, top-level `def`s and methods). It evaluates the AST of
 * jenkinsfile/ directly: values (null, booleans, integers, decimals, strings, lists, maps,
 * closures, exceptions, and objects the host provides), local scopes, the script binding,
 * statements (if, for, while, switch, try/catch/finally, return, throw), closures and the
 * String/List/Map methods pipelines use.
 *
 * Pure: it does no I/O. Everything outside the language comes through the host: global
 * variables (env, params, currentBuild), property access and method calls on the host's
 * objects, and calls of functions no script method defines — pipeline steps. A step that
 * cannot finish at once makes the host answer TP_GROOVY_SUSPEND, which unwinds the whole
 * evaluation (no catch or finally runs); the host starts the step and, when it ends, runs the
 * block again from its start with the results of the steps so far, so the interpreter never
 * blocks the loop and never needs a thread.
 *
 * Memory: every value lives in the arena given to tp_groovy_init (one evaluation pass); the
 * caller copies what must outlive the pass with tp_gv_copy. Sizes are bounded: strings and
 * lists, total allocation, nesting depth and the number of operations per pass all end in a
 * Groovy-style error instead of exhausting the machine.
 */
#ifndef TP_ENGINE_GROOVY_H
#define TP_ENGINE_GROOVY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jenkinsfile/ast.h"

struct tp_arena;
struct tp_buf;

enum tp_gv_kind {
    TP_GV_NULL,
    TP_GV_BOOL,
    TP_GV_INT,
    TP_GV_FLOAT,
    TP_GV_STRING,
    TP_GV_LIST,
    TP_GV_MAP,
    TP_GV_CLOSURE,
    TP_GV_EXCEPTION,
    TP_GV_OBJECT /* the host's: env, params, currentBuild, ... */
};

struct tp_glist;
struct tp_gmap;
struct tp_gclosure;

/* An exception being thrown or caught. */
struct tp_gexc {
    const char *class_name; /* "hudson.AbortException" */
    const char *message;    /* NULL when none */
    bool interrupt;         /* the step was stopped (stop, timeout): FlowInterruptedException */
    bool fatal;             /* the interpreter's own limits: no catch applies */
};

/* An object of the host; `type` is the host's, `data` is borrowed. */
struct tp_gobj {
    int type;
    const char *class_name;
    const void *data;
};

/* A value. Strings are NUL-terminated (`len` bytes before the NUL). */
struct tp_gv {
    enum tp_gv_kind kind;
    uint32_t len;

    union {
        bool b;
        int64_t i;
        double f;
        const char *s;
        struct tp_glist *list;
        struct tp_gmap *map;
        struct tp_gclosure *closure;
        struct tp_gexc *exc;
        struct tp_gobj *obj;
    } u;
};

struct tp_glist {
    struct tp_gv *items;
    size_t count, cap;
};

/* A LinkedHashMap: entries in insertion order. */
struct tp_gmap {
    struct tp_gv *keys, *values;
    size_t count, cap;
};

/* The outcome of an evaluation. */
enum tp_groovy_status {
    TP_GROOVY_OK,
    TP_GROOVY_THROW,   /* an exception is in tp_groovy_exception() */
    TP_GROOVY_SUSPEND, /* the host started a step: evaluation unwound, run the pass again */
    TP_GROOVY_NO_STEP  /* host call only: there is no such function */
};

struct tp_groovy;

/* The arguments of a call: positional, named (NULL when none), trailing closure (kind NULL
 * when none), and where the call is. */
struct tp_gcall {
    const struct tp_gv *args;
    size_t nargs;
    struct tp_gmap *named;
    struct tp_gv closure;
    int line, col;
};

struct tp_groovy_host {
    void *ctx;
    /* The value of a name no local or binding variable holds (global variables, then the
     * environment): true and *out, or false when unknown. NULL: nothing is known. */
    bool (*lookup)(void *ctx, struct tp_groovy *g, const char *name, struct tp_gv *out);
    /* Reads or writes property `name` of one of the host's objects. Return TP_GROOVY_OK, or
     * TP_GROOVY_THROW after tp_groovy_throw(). */
    int (*get)(void *ctx, struct tp_groovy *g, const struct tp_gobj *obj, const char *name,
               struct tp_gv *out);
    int (*set)(void *ctx, struct tp_groovy *g, const struct tp_gobj *obj, const char *name,
               struct tp_gv value);
    /* Calls method `name` of one of the host's objects; TP_GROOVY_NO_STEP when it has none. */
    int (*invoke)(void *ctx, struct tp_groovy *g, const struct tp_gobj *obj, const char *name,
                  const struct tp_gcall *call, struct tp_gv *out);
    /* Calls a function no script method defines (a pipeline step). Returns TP_GROOVY_OK with
     * *out, TP_GROOVY_THROW, TP_GROOVY_SUSPEND, or TP_GROOVY_NO_STEP. NULL: no functions. */
    int (*call)(void *ctx, struct tp_groovy *g, const char *name, const struct tp_gcall *call,
                struct tp_gv *out);
    /* println/print output (one call per println, newline included). NULL: dropped. */
    void (*print)(void *ctx, const char *text, size_t len);
};

enum {
    TP_GROOVY_MAX_STRING = 16 << 20,     /* bytes in one string */
    TP_GROOVY_MAX_LIST = 1 << 20,        /* items in one list or map */
    TP_GROOVY_MAX_BYTES = 256 << 20,     /* allocated in one pass */
    TP_GROOVY_MAX_DEPTH = 600,           /* nested evaluations (calls, closures, operands) */
    TP_GROOVY_MAX_OPS = 20 * 1000 * 1000 /* operations in one pass */
};

struct tp_groovy {
    struct tp_arena *arena;
    const struct tp_groovy_host *host;
    struct tp_gmap *binding;       /* script variables (`x = 1` without def) */
    const struct tp_block *script; /* the file's top level: its methods are callable */
    struct tp_gexc *exc;           /* the exception in flight (TP_GROOVY_THROW) */
    struct tp_gv ret;              /* a `return`'s value, while it unwinds */
    uint64_t ops;
    size_t bytes;
    int depth;
};

/* Prepares a pass: values in `arena` (borrowed, outlives the pass), variables of the script
 * in `binding` (borrowed; NULL: a fresh empty one), methods from `script` (may be NULL). */
void tp_groovy_init(struct tp_groovy *g, struct tp_arena *arena, const struct tp_groovy_host *host,
                    struct tp_gmap *binding, const struct tp_block *script);

/* Runs a block in a new scope. `*result` (may be NULL) gets the value of its `return`, or of
 * its last statement when that is an expression. Returns a tp_groovy_status. */
int tp_groovy_run(struct tp_groovy *g, const struct tp_block *block, struct tp_gv *result);
/* Evaluates one expression in a scope of its own. Returns a tp_groovy_status. */
int tp_groovy_eval(struct tp_groovy *g, const struct tp_expr *e, struct tp_gv *out);
/* Calls a closure value with `nargs` arguments. Returns a tp_groovy_status. */
int tp_groovy_call_closure(struct tp_groovy *g, struct tp_gv closure, const struct tp_gv *args,
                           size_t nargs, struct tp_gv *out);
/* Runs the top-level statements of a script other than `pipeline {}`, methods, imports and
 * annotations: their variables go to the binding. Returns a tp_groovy_status. */
int tp_groovy_run_prologue(struct tp_groovy *g);

/* --- scopes, for a host that runs a closure's body elsewhere (in a frame of its own) --- */

struct tp_gscope;

/* A new outermost scope (a method's: nothing outside it is seen). */
struct tp_gscope *tp_groovy_scope(struct tp_groovy *g);
/* Declares (or sets) a variable of scope `s`. */
void tp_groovy_declare(struct tp_groovy *g, struct tp_gscope *s, const char *name,
                       struct tp_gv value);
/* The value of variable `name` as seen from `s`: true and *out, or false. */
bool tp_groovy_lookup(const struct tp_gscope *s, const char *name, struct tp_gv *out);
/* Runs `block` in a new scope inside `s`, as tp_groovy_run does. */
int tp_groovy_run_in(struct tp_groovy *g, struct tp_gscope *s, const struct tp_block *block,
                     struct tp_gv *result);
/* The local variables a closure sees, innermost first, each name once. */
void tp_groovy_closure_vars(struct tp_gv closure,
                            void (*each)(void *ctx, const char *name, struct tp_gv value),
                            void *ctx);
/* Assigns variable `name` the closure sees (nothing when it sees none). */
void tp_groovy_closure_set(struct tp_gv closure, const char *name, struct tp_gv value);
/* A closure's body, or NULL for a method reference. */
const struct tp_block *tp_groovy_closure_body(struct tp_gv closure);

/* Makes `class_name: message` the exception in flight; returns TP_GROOVY_THROW. */
int tp_groovy_throw(struct tp_groovy *g, const char *class_name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The exception in flight (after TP_GROOVY_THROW). */
const struct tp_gexc *tp_groovy_exception(const struct tp_groovy *g);
/* Throws `exc` (copied into the pass). Returns TP_GROOVY_THROW. */
int tp_groovy_rethrow(struct tp_groovy *g, const struct tp_gexc *exc);

/* --- values --- */

struct tp_gv tp_gv_null(void);
struct tp_gv tp_gv_bool(bool b);
struct tp_gv tp_gv_int(int64_t i);
/* A string value copied into the pass. */
struct tp_gv tp_gv_str(struct tp_groovy *g, const char *s, size_t len);
struct tp_gv tp_gv_cstr(struct tp_groovy *g, const char *s);
struct tp_gv tp_gv_list(struct tp_groovy *g);
struct tp_gv tp_gv_map(struct tp_groovy *g);
struct tp_gv tp_gv_object(struct tp_groovy *g, int type, const char *class_name, const void *data);
void tp_glist_push(struct tp_groovy *g, struct tp_glist *list, struct tp_gv v);
/* Puts key -> value (replacing an equal key's value). */
void tp_gmap_put(struct tp_groovy *g, struct tp_gmap *map, struct tp_gv key, struct tp_gv value);
/* The value of an equal key, or NULL. */
const struct tp_gv *tp_gmap_get(const struct tp_gmap *map, struct tp_gv key);
const struct tp_gv *tp_gmap_get_str(const struct tp_gmap *map, const char *key);

/* Groovy truth: null, false, 0, "" and empty collections are false. */
bool tp_gv_truth(struct tp_gv v);
/* Groovy ==: numbers by value, strings by content, lists and maps deeply. */
bool tp_gv_equals(struct tp_gv a, struct tp_gv b);
/* Appends Groovy's toString of `v` ("null", "[a, b]", "[k:v]"). */
void tp_gv_to_string(struct tp_gv v, struct tp_buf *out);
/* The value's Java class name, as Groovy's messages print it. */
const char *tp_gv_class(struct tp_gv v);
/* A deep copy of `v` (strings, lists, maps; closures and objects are shared) in `arena`. */
struct tp_gv tp_gv_copy(struct tp_arena *arena, struct tp_gv v);

#endif
