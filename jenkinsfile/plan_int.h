/* SPDX-License-Identifier: MIT */
/* Private to jenkinsfile/: the lowering state and helpers shared by plan.c (structure, ids,
 * graph) and plan_sections.c (the directives). */
#ifndef TP_JENKINSFILE_PLAN_INT_H
#define TP_JENKINSFILE_PLAN_INT_H

#include "jenkinsfile/plan.h"

struct lower {
    struct tp_plan *plan;
    struct tp_arena *arena;
    struct tp_diags *diags;
    int64_t next_id;
    size_t nstages; /* stages made so far, bounded by TP_PLAN_MAX_STAGES */
};

/* Adds a diagnostic at an expression / statement. */
#define LOWER_ERROR(lw, node, ...) tp_diags_add((lw)->diags, (node)->line, (node)->col, __VA_ARGS__)

/* The call a statement makes, `name(...)` / `name ...` / `name { }` / `name` (no
 * arguments), without a receiver; NULL for anything else. */
const struct tp_expr *tp_lower_stmt_call(const struct tp_stmt *s);
/* The block of a call: its trailing closure, or a closure that is its only argument. */
const struct tp_closure *tp_lower_block(const struct tp_expr *call);
/* The trimmed source text of line `line` (for messages quoting a statement). */
const char *tp_lower_line_text(struct lower *lw, int line);
/* Appends "[a, b, c]" from a NULL-terminated list, for "Valid ... are [...]" messages. */
const char *tp_lower_list_text(struct lower *lw, const char *const *list);

/* Lowers a block of steps (a `steps` block or a post condition); `what` names it for the
 * empty-block message. */
void tp_lower_steps(struct lower *lw, const struct tp_expr *call, struct tp_plan_steps *out,
                    bool allow_empty);

/* The directives (plan_sections.c). Each validates with Jenkins' messages. */
void tp_lower_agent(struct lower *lw, const struct tp_expr *call, struct tp_plan_agent *out);
void tp_lower_environment(struct lower *lw, const struct tp_expr *call, struct tp_plan_env **out,
                          size_t *nout);
/* `stage_level`: only the options a stage accepts. */
void tp_lower_options(struct lower *lw, const struct tp_expr *call, bool stage_level,
                      struct tp_plan_call **out, size_t *nout);
void tp_lower_parameters(struct lower *lw, const struct tp_expr *call, struct tp_plan_param **out,
                         size_t *nout);
void tp_lower_triggers(struct lower *lw, const struct tp_expr *call, struct tp_plan_call **out,
                       size_t *nout);
void tp_lower_tools(struct lower *lw, const struct tp_expr *call, struct tp_plan_call **out,
                    size_t *nout);
void tp_lower_libraries(struct lower *lw, const struct tp_expr *call, struct tp_plan_call **out,
                        size_t *nout);
struct tp_plan_when_block *tp_lower_when(struct lower *lw, const struct tp_expr *call);
struct tp_plan_post *tp_lower_post(struct lower *lw, const struct tp_expr *call);
struct tp_plan_input *tp_lower_input(struct lower *lw, const struct tp_expr *call);

/* A matrix's axes and excludes, expanded into its cells' axis values. */
struct tp_matrix_cells {
    struct tp_plan_env **cells; /* each: naxes values */
    size_t ncells;
    size_t naxes;
};

bool tp_lower_matrix_cells(struct lower *lw, const struct tp_expr *matrix,
                           const struct tp_expr *axes, const struct tp_expr *excludes,
                           struct tp_matrix_cells *out);

#endif
