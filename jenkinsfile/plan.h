/* SPDX-License-Identifier: MIT */
/*
 * The plan: a compiled declarative Jenkinsfile, the tree the engine walks. Pure.
 *
 * tp_plan_compile() parses the text, validates it with Jenkins' own messages (all of them,
 * not only the first), and lowers it: a tree of stages, each with its directives (agent,
 * environment, options, when, input, tools, post) and one body: steps, sequential child
 * stages, parallel branches, or a matrix whose cells are expanded here into parallel
 * branches named as Jenkins names them. Pipeline-level sections (parameters, triggers,
 * options, tools, libraries, post) are kept too.
 *
 * Every stage and every step written in a `steps` block gets its flow-node id here, in flow
 * order, the way Jenkins allocates them at run time (flow start 2; a block step takes two ids
 * when entered and two when left; an atom step one; parallel branch starts are allocated
 * together, before the branches run), so the same Jenkinsfile gives the same ids in every
 * run. Steps executed from Groovy code (`script {}`) are the engine's to number. Blue Ocean's
 * node graph (list order, edges, first parent) is computed here as well.
 *
 * Values (step arguments, environment values, conditions) stay AST expressions, evaluated
 * when the run reaches them. The plan owns one arena holding its text, AST and all else.
 */
#ifndef TP_JENKINSFILE_PLAN_H
#define TP_JENKINSFILE_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/mem.h"
#include "jenkinsfile/ast.h"

struct tp_buf;

/* Hard bounds on what a Jenkinsfile may ask for. */
enum {
    TP_PLAN_MAX_STAGES = 10000,   /* stages in the whole tree, matrix cells included */
    TP_PLAN_MAX_STAGE_DEPTH = 32, /* stages nested in stages */
};

enum tp_agent_kind {
    TP_AGENT_UNSET, /* a stage without its own agent */
    TP_AGENT_NONE,
    TP_AGENT_ANY,
    TP_AGENT_LABEL,
    TP_AGENT_NODE,
    TP_AGENT_DOCKER,
    TP_AGENT_DOCKERFILE,
    TP_AGENT_KUBERNETES
};

struct tp_plan_agent {
    enum tp_agent_kind kind;
    const struct tp_expr *label;     /* label expression, or NULL */
    const struct tp_expr *workspace; /* customWorkspace, or NULL */
    const struct tp_expr *image;     /* docker image, or NULL */
    const struct tp_expr *config;    /* the whole type call, for the options of its kind */
    int line, col;
};

struct tp_plan_env {
    const char *key;
    const struct tp_expr *value;
    int line, col;
};

/* An entry of `options`, `triggers`, `tools` or `libraries`: its name and its call. */
struct tp_plan_call {
    const char *name;
    const struct tp_expr *call;
    bool known; /* false: a real Jenkins name tidepool accepts and ignores */
    int line, col;
};

enum tp_param_type {
    TP_PARAM_STRING,
    TP_PARAM_TEXT,
    TP_PARAM_BOOLEAN,
    TP_PARAM_CHOICE,
    TP_PARAM_PASSWORD,
    TP_PARAM_OTHER /* a plugin's parameter type: kept, not understood */
};

struct tp_plan_param {
    enum tp_param_type type;
    const char *type_name; /* as written: "string", "booleanParam", ... */
    const char *name;
    const struct tp_expr *default_value; /* NULL when none */
    const struct tp_expr *description;   /* NULL when none */
    const char **choices;                /* CHOICE: the choices, first is the default */
    size_t nchoices;
    bool trim;
    int line, col;
};

enum tp_when_kind {
    TP_WHEN_ALL_OF,
    TP_WHEN_ANY_OF,
    TP_WHEN_NOT,
    TP_WHEN_BRANCH,
    TP_WHEN_BUILDING_TAG,
    TP_WHEN_CHANGE_REQUEST,
    TP_WHEN_CHANGELOG,
    TP_WHEN_CHANGESET,
    TP_WHEN_ENVIRONMENT,
    TP_WHEN_EQUALS,
    TP_WHEN_EXPRESSION,
    TP_WHEN_IS_RESTARTED_RUN,
    TP_WHEN_TAG,
    TP_WHEN_TRIGGERED_BY
};

struct tp_plan_when {
    enum tp_when_kind kind;
    const struct tp_expr *call;        /* the condition's call: its arguments */
    const struct tp_block *expression; /* EXPRESSION: the Groovy block */
    struct tp_plan_when **children;    /* ALL_OF, ANY_OF, NOT; and the top level (AND) */
    size_t nchildren;
    int line, col;
};

struct tp_plan_when_block {
    struct tp_plan_when all; /* the top-level conditions, AND-ed (kind ALL_OF) */
    bool before_agent, before_input, before_options;
};

/* Post conditions in the order the plugin evaluates them. */
enum tp_post_condition {
    TP_POST_ALWAYS,
    TP_POST_CHANGED,
    TP_POST_FIXED,
    TP_POST_REGRESSION,
    TP_POST_ABORTED,
    TP_POST_SUCCESS,
    TP_POST_UNSUCCESSFUL,
    TP_POST_UNSTABLE,
    TP_POST_FAILURE,
    TP_POST_NOT_BUILT,
    TP_POST_CLEANUP,
    TP_POST_COUNT
};

/* "always", "changed", ... */
const char *tp_post_condition_name(enum tp_post_condition condition);

struct tp_plan_step;

struct tp_plan_steps {
    struct tp_plan_step *items;
    size_t count;
};

struct tp_plan_post {
    struct tp_plan_steps blocks[TP_POST_COUNT];
    bool present[TP_POST_COUNT];
    int64_t id; /* pipeline post: the id of its synthetic "Declarative: Post Actions" stage */
    int line, col;
};

struct tp_plan_input {
    const struct tp_expr *message, *id, *ok, *submitter, *submitter_parameter;
    struct tp_plan_param *params;
    size_t nparams;
    int line, col;
};

/*
 * A step written in a steps block (or a post condition). `body` holds the steps of a block
 * step's closure (dir, withEnv, timeout, retry, ...), except for `script`, whose closure is
 * Groovy the engine interprets (see `call->closure`).
 */
struct tp_plan_step {
    int64_t id;
    const char *name;           /* the step function: "sh", "echo", "dir", ... */
    const struct tp_expr *call; /* its call: positional and named arguments */
    struct tp_plan_steps body;
    bool has_body;
    int line, col;
};

enum tp_stage_kind {
    TP_STAGE_STEPS,
    TP_STAGE_STAGES,   /* sequential child stages */
    TP_STAGE_PARALLEL, /* child stages run as parallel branches */
    TP_STAGE_MATRIX    /* expanded: children are the cells, run as parallel branches */
};

enum tp_node_kind {
    TP_PLAN_NODE_STAGE,
    TP_PLAN_NODE_BRANCH /* a parallel branch (Blue Ocean type PARALLEL) */
};

struct tp_plan_stage {
    const char *name;
    enum tp_stage_kind kind;
    enum tp_node_kind node_kind;
    int64_t id;           /* Blue Ocean node id */
    int64_t seq;          /* position in Blue Ocean's node list */
    int64_t first_parent; /* 0 when none */
    const char *edges;    /* "id id ...": the node ids this one points to, in order */
    struct tp_plan_stage *parent;
    struct tp_plan_agent agent;
    struct tp_plan_env *env;
    size_t nenv;
    struct tp_plan_call *options;
    size_t noptions;
    struct tp_plan_call *tools;
    size_t ntools;
    struct tp_plan_when_block *when; /* NULL when none */
    struct tp_plan_input *input;     /* NULL when none */
    struct tp_plan_post *post;       /* NULL when none */
    bool fail_fast;
    struct tp_plan_steps steps;      /* STEPS */
    struct tp_plan_stage **children; /* STAGES, PARALLEL, MATRIX */
    size_t nchildren;
    struct tp_plan_env *axes; /* a matrix cell: its axis values (also in env) */
    size_t naxes;
    int line, col;
};

struct tp_plan {
    struct tp_arena arena;
    const char *source; /* NUL-terminated copy of the text */
    size_t source_len;
    struct tp_script script;
    struct tp_diags diags; /* empty when the plan is valid */
    bool has_pipeline;     /* the text has a pipeline { } block at its top level */
    struct tp_plan_agent agent;
    struct tp_plan_env *env;
    size_t nenv;
    struct tp_plan_call *options;
    size_t noptions;
    bool fail_fast_all; /* options { parallelsAlwaysFailFast() } */
    struct tp_plan_param *params;
    size_t nparams;
    struct tp_plan_call *triggers;
    size_t ntriggers;
    struct tp_plan_call *tools;
    size_t ntools;
    struct tp_plan_call *libraries;
    size_t nlibraries;
    struct tp_plan_post *post;
    struct tp_plan_stage **stages; /* top level, in order */
    size_t nstages;
    struct tp_plan_stage **nodes; /* every stage, in Blue Ocean's node-list order */
    size_t nnodes;
    int64_t last_id; /* the flow-end node id */
};

/* The tool types `tools {}` takes (jdk, maven, gradle, ...), NULL-terminated. */
extern const char *const tp_plan_tool_types[];

/*
 * Compiles src[0..len). Always sets `*out` to a new plan (free with tp_plan_free); when the
 * text is not a valid pipeline the plan holds the diagnostics (every one found, in the order
 * Jenkins reports them) and no stages.
 * Returns 0, or one of: TP_ESYNTAX — see (*out)->diags; TP_ETOOBIG — text too large.
 */
int tp_plan_compile(const char *src, size_t len, struct tp_plan **out);
void tp_plan_free(struct tp_plan *plan);

/*
 * Appends the diagnostics, in the order Jenkins finds them (the parse of each section in
 * source order, then the checks made on the whole, such as missing sections), the way
 * Jenkins prints a failed compilation:
 *   org.codehaus.groovy.control.MultipleCompilationErrorsException: startup failed:
 *   WorkflowScript: 3: Undefined section "foo" @ line 3, column 5.
 *      foo {
 *      ^
 *   (blank line)
 *   1 error
 */
void tp_plan_format_errors(const struct tp_plan *plan, struct tp_buf *out);

/* Reads a list of parameter definitions as the input step takes them
 * (`parameters: [string(name: 'X', defaultValue: 'y'), choice(...)]`, literal values) into
 * `*out` (`*n` of them, in `arena`). Returns 0, or TP_EINVAL with the problem in `diags`. */
int tp_plan_read_params(const struct tp_expr *list, struct tp_arena *arena, struct tp_diags *diags,
                        struct tp_plan_param **out, size_t *n);

/* Appends one diagnostic as Groovy writes a syntax error: "WorkflowScript: L: message @ line
 * L, column C." then the source line and a caret under the column. */
void tp_plan_format_error(const struct tp_plan *plan, const struct tp_diag *diag,
                          struct tp_buf *out);

/* The stage with Blue Ocean node id `id`, or NULL. */
const struct tp_plan_stage *tp_plan_find_stage(const struct tp_plan *plan, int64_t id);

/*
 * Appends a readable dump of the plan (stage tree with ids, kinds, directives, steps,
 * parameters, post) for golden tests and `tidepool lint --plan`.
 */
void tp_plan_dump(const struct tp_plan *plan, struct tp_buf *out);

#endif
