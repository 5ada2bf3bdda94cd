/* SPDX-License-Identifier: MIT */
/*
 * The plan: a compiled declarative Jenkinsfile, the tree the engine walks. Pure.
 *
 * tp_plan_compile() parses the text, validates it with Jenkins' own messages, and lowers it:
 * stages in order, each with its environment and steps; every stage node and step gets its
 * flow-node id at compile time, in flow order, the way Jenkins allocates them when the
 * pipeline runs (flow start 2, a block step takes two ids when entered and two when left,
 * an atom step one), so the same Jenkinsfile gives the same ids in every run. The Blue Ocean
 * graph of the stages (list order, edges, first parent) is computed here too.
 *
 * Values (step arguments, environment values) stay AST expressions: they are evaluated when
 * the run reaches them. The plan owns one arena holding its text, AST and everything else.
 */
#ifndef TP_JENKINSFILE_PLAN_H
#define TP_JENKINSFILE_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "common/mem.h"
#include "jenkinsfile/ast.h"

struct tp_buf;

enum tp_plan_agent {
    TP_AGENT_NONE,
    TP_AGENT_ANY,
    TP_AGENT_LABEL /* label '...': runs on the local executor */
};

struct tp_plan_env {
    const char *key;
    const struct tp_expr *value;
    int line, col;
};

struct tp_plan_step {
    int64_t id;
    const char *name;           /* the step function: "sh", "echo", ... */
    const struct tp_expr *call; /* its call: positional and named arguments */
    int line, col;
};

struct tp_plan_stage {
    const char *name;
    int64_t id;           /* Blue Ocean node id: the stage's body-start flow node */
    int64_t seq;          /* position in Blue Ocean's node list */
    int64_t first_parent; /* 0 when none */
    const char *edges;    /* space-separated ids of the nodes this one points to */
    struct tp_plan_env *env;
    size_t nenv;
    struct tp_plan_step *steps;
    size_t nsteps;
    int line, col;
};

struct tp_plan {
    struct tp_arena arena;
    const char *source; /* NUL-terminated copy of the text */
    size_t source_len;
    struct tp_script script;
    struct tp_diags diags; /* empty when the plan is valid */
    enum tp_plan_agent agent;
    const char *agent_label;
    struct tp_plan_env *env;
    size_t nenv;
    struct tp_plan_stage *stages;
    size_t nstages;
    int64_t last_id; /* the flow-end node id */
};

/*
 * Compiles src[0..len). Always sets `*out` to a new plan (free with tp_plan_free); when the
 * text is not a valid pipeline the plan holds the diagnostics (every one found, in source
 * order) and no stages.
 * Returns 0, or one of: TP_ESYNTAX — see (*out)->diags; TP_ETOOBIG — text too large.
 */
int tp_plan_compile(const char *src, size_t len, struct tp_plan **out);
void tp_plan_free(struct tp_plan *plan);

/*
 * Appends the diagnostics the way Jenkins prints a failed compilation in the console log:
 *   WorkflowScript: 3: Undefined section "foo" @ line 3, column 5.
 *      foo {
 *      ^
 *   (blank line)
 *   1 error
 */
void tp_plan_format_errors(const struct tp_plan *plan, struct tp_buf *out);

/* The stage with Blue Ocean node id `id`, or NULL. */
const struct tp_plan_stage *tp_plan_find_stage(const struct tp_plan *plan, int64_t id);

#endif
