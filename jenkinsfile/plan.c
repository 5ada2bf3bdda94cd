/* SPDX-License-Identifier: MIT */
/* The plan's structure: pipeline sections, the stage tree, steps, matrix cells, flow-node
 * ids and Blue Ocean's node graph. The directives live in plan_sections.c. */
#include "jenkinsfile/plan.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/str.h"
#include "jenkinsfile/parser.h"
#include "jenkinsfile/plan_int.h"

static const char *const renamed_sections[][2] = {
    { "properties", "The ‘properties’ section has been renamed as of version 0.8. Use ‘options’ "
                    "instead." },
    { "wrappers", "The 'wrappers' section has been removed as of version 0.8. Use 'options' "
                  "instead." },
    { "jobProperties", "The ‘jobProperties’ section has been renamed as of version 0.7. Use "
                       "‘properties’ instead." },
    { "notifications", "The ‘notifications’ section has been removed as of version 0.6. Use "
                       "‘post’ for all post-build actions." },
    { "postBuild", "The ‘postBuild’ section has been renamed as of version 0.6. Use ‘post’ for "
                   "all post-build actions." },
};

static int64_t take_ids(struct lower *lw, int n)
{
    int64_t first = lw->next_id;
    lw->next_id += n;
    return first;
}

/* --- steps --- */

static bool is_step_call(const struct tp_expr *e)
{
    return (e->kind == TP_EXPR_CALL && e->a == NULL && e->b == NULL && e->text != NULL) ||
           e->kind == TP_EXPR_IDENT;
}

void tp_lower_steps(struct lower *lw, const struct tp_expr *call, struct tp_plan_steps *out,
                    bool allow_empty)
{
    const struct tp_closure *c = tp_lower_block(call);
    memset(out, 0, sizeof(*out));
    if (c == NULL) {
        LOWER_ERROR(lw, call, "Expected a block for %s", call->text);
        return;
    }
    const struct tp_block *body = c->body;
    if (body->count == 0 && !allow_empty) {
        LOWER_ERROR(lw, call, "No steps specified for branch");
        return;
    }
    out->items = tp_arena_alloc(lw->arena, (body->count + 1) * sizeof(*out->items));
    for (size_t i = 0; i < body->count; i++) {
        const struct tp_stmt *s = body->items[i];
        if (s->kind != TP_STMT_EXPR || !is_step_call(s->expr)) {
            LOWER_ERROR(lw, s, "Expected a step");
            continue;
        }
        const struct tp_expr *step = s->expr;
        if (strcmp(step->text, "stage") == 0 || strcmp(step->text, "properties") == 0) {
            LOWER_ERROR(lw, s,
                        "Invalid step \"%s\" used - not allowed in this context - The %s step "
                        "cannot be used in Declarative Pipelines",
                        step->text, step->text);
            continue;
        }
        if (strcmp(step->text, "parallel") == 0 && body->count > 1) {
            LOWER_ERROR(lw, s,
                        "Invalid step \"parallel\" used - not allowed in this context - The "
                        "parallel step can only be used as the only top-level step in a stage's "
                        "step block");
            continue;
        }
        struct tp_plan_step *ps = &out->items[out->count++];
        ps->name = step->text;
        ps->call = step;
        ps->line = s->line;
        ps->col = s->col;
        /* A block step's closure holds more steps; `script` holds Groovy, run as such. */
        if (step->kind == TP_EXPR_CALL && step->closure != NULL &&
            strcmp(step->text, "script") != 0) {
            ps->has_body = true;
            tp_lower_steps(lw, step, &ps->body, true);
        }
    }
}

/* --- stages --- */

enum stage_item {
    ITEM_AGENT,
    ITEM_WHEN,
    ITEM_ENVIRONMENT,
    ITEM_OPTIONS,
    ITEM_INPUT,
    ITEM_TOOLS,
    ITEM_POST,
    ITEM_STEPS,
    ITEM_PARALLEL,
    ITEM_MATRIX,
    ITEM_STAGES,
    ITEM_FAIL_FAST,
    ITEM_AXES,     /* matrix only */
    ITEM_EXCLUDES, /* matrix only */
    ITEM_COUNT
};

static const char *const item_names[ITEM_COUNT] = {
    "agent", "when",     "environment", "options", "input",    "tools", "post",
    "steps", "parallel", "matrix",      "stages",  "failFast", "axes",  "excludes",
};

static struct tp_plan_stage *lower_stage(struct lower *lw, const struct tp_stmt *s,
                                         struct tp_plan_stage *parent, int depth, bool in_parallel);

/* Lowers `stages { ... }` or `parallel { ... }` into `stage`'s children. */
static void lower_children(struct lower *lw, const struct tp_expr *call,
                           struct tp_plan_stage *stage, int depth, bool in_parallel)
{
    const struct tp_closure *c = tp_lower_block(call);
    if (c == NULL) {
        LOWER_ERROR(lw, call, "Expected a block for %s", call->text);
        return;
    }
    if (c->body->count == 0) {
        LOWER_ERROR(lw, call, "No stages specified");
        return;
    }
    stage->children = tp_arena_alloc(lw->arena, c->body->count * sizeof(*stage->children));
    for (size_t i = 0; i < c->body->count; i++) {
        const struct tp_stmt *s = c->body->items[i];
        const struct tp_expr *sc = tp_lower_stmt_call(s);
        if (sc == NULL || strcmp(sc->text, "stage") != 0) {
            LOWER_ERROR(lw, s, "Expected a stage");
            continue;
        }
        struct tp_plan_stage *child = lower_stage(lw, s, stage, depth + 1, in_parallel);
        if (child == NULL)
            continue;
        bool duplicate = false;
        for (size_t j = 0; j < stage->nchildren; j++)
            duplicate = duplicate || strcmp(stage->children[j]->name, child->name) == 0;
        if (duplicate) {
            LOWER_ERROR(lw, s, "Duplicate stage name: \"%s\"", child->name);
            continue;
        }
        stage->children[stage->nchildren++] = child;
    }
}

static struct tp_plan_stage *new_stage(struct lower *lw, const char *name,
                                       struct tp_plan_stage *parent, int line, int col)
{
    struct tp_plan_stage *st = tp_arena_alloc(lw->arena, sizeof(*st));
    st->name = name;
    st->parent = parent;
    st->line = line;
    st->col = col;
    lw->nstages++;
    return st;
}

/* Applies the directives common to stages and matrix cells. */
static void lower_directives(struct lower *lw, const struct tp_expr *const *items,
                             struct tp_plan_stage *st)
{
    if (items[ITEM_AGENT] != NULL)
        tp_lower_agent(lw, items[ITEM_AGENT], &st->agent);
    if (items[ITEM_ENVIRONMENT] != NULL)
        tp_lower_environment(lw, items[ITEM_ENVIRONMENT], &st->env, &st->nenv);
    if (items[ITEM_OPTIONS] != NULL)
        tp_lower_options(lw, items[ITEM_OPTIONS], true, &st->options, &st->noptions);
    if (items[ITEM_TOOLS] != NULL)
        tp_lower_tools(lw, items[ITEM_TOOLS], &st->tools, &st->ntools);
    if (items[ITEM_WHEN] != NULL)
        st->when = tp_lower_when(lw, items[ITEM_WHEN]);
    if (items[ITEM_INPUT] != NULL)
        st->input = tp_lower_input(lw, items[ITEM_INPUT]);
    if (items[ITEM_POST] != NULL)
        st->post = tp_lower_post(lw, items[ITEM_POST]);
}

/* Reads the items of a stage (or matrix) block into `items`, with Jenkins' messages for
 * unknown, repeated and malformed ones. */
static void collect_items(struct lower *lw, const struct tp_block *body, bool matrix,
                          const struct tp_expr **items)
{
    for (size_t i = 0; i < body->count; i++) {
        const struct tp_stmt *s = body->items[i];
        const struct tp_expr *call = tp_lower_stmt_call(s);
        if (call == NULL) {
            LOWER_ERROR(lw, s,
                        "Not a valid stage section definition: \"%s\". Some extra configuration "
                        "is required.",
                        tp_lower_line_text(lw, s->line));
            continue;
        }
        int found = -1;
        for (int k = 0; k < ITEM_COUNT; k++) {
            if (strcmp(call->text, item_names[k]) == 0)
                found = k;
        }
        bool matrix_only = found == ITEM_AXES || found == ITEM_EXCLUDES;
        bool stage_only = found == ITEM_STEPS || found == ITEM_PARALLEL || found == ITEM_MATRIX ||
                          found == ITEM_FAIL_FAST;
        if (found < 0 || (matrix_only && !matrix) || (stage_only && matrix)) {
            if (matrix)
                LOWER_ERROR(lw, s, "Unknown matrix section \"%s\"", call->text);
            else
                LOWER_ERROR(lw, s,
                            "Unknown stage section \"%s\". Starting with version 0.5, steps in a "
                            "stage must be in a ‘steps’ block.",
                            call->text);
            continue;
        }
        if (items[found] != NULL) {
            LOWER_ERROR(lw, s, "Multiple occurrences of the %s section", call->text);
            continue;
        }
        items[found] = call;
    }
}

/* "Matrix - OS = 'linux', JDK = '17'": Jenkins' name for a matrix cell. */
static const char *cell_name(struct lower *lw, const struct tp_plan_env *values, size_t n)
{
    struct tp_buf b;
    tp_buf_init(&b);
    tp_buf_puts(&b, "Matrix - ");
    for (size_t i = 0; i < n; i++)
        tp_buf_printf(&b, "%s%s = '%s'", i ? ", " : "", values[i].key, values[i].value->text);
    const char *name = tp_arena_strdup(lw->arena, b.data);
    tp_buf_close(&b);
    return name;
}

static void lower_matrix(struct lower *lw, const struct tp_expr *matrix, struct tp_plan_stage *st,
                         int depth)
{
    const struct tp_closure *c = tp_lower_block(matrix);
    if (c == NULL) {
        LOWER_ERROR(lw, matrix, "Expected a block for matrix");
        return;
    }
    const struct tp_expr *items[ITEM_COUNT] = { 0 };
    collect_items(lw, c->body, true, items);
    if (items[ITEM_AXES] == NULL)
        LOWER_ERROR(lw, matrix, "Missing required section \"axes\"");
    if (items[ITEM_STAGES] == NULL)
        LOWER_ERROR(lw, matrix, "Missing required section \"stages\"");
    if (items[ITEM_AXES] == NULL || items[ITEM_STAGES] == NULL)
        return;
    struct tp_matrix_cells cells;
    if (!tp_lower_matrix_cells(lw, matrix, items[ITEM_AXES], items[ITEM_EXCLUDES], &cells))
        return;
    st->children = tp_arena_alloc(lw->arena, (cells.ncells + 1) * sizeof(*st->children));
    struct tp_diags *real = lw->diags;
    struct tp_diags scratch;
    tp_diags_init(&scratch, lw->arena);
    for (size_t i = 0; i < cells.ncells; i++) {
        if (lw->nstages >= TP_PLAN_MAX_STAGES) {
            LOWER_ERROR(lw, matrix, "The pipeline has more than %d stages", TP_PLAN_MAX_STAGES);
            return;
        }
        /* Each cell is the matrix's directives and stages again; report problems once. */
        lw->diags = i == 0 ? real : &scratch;
        struct tp_plan_stage *cell = new_stage(lw, cell_name(lw, cells.cells[i], cells.naxes), st,
                                               matrix->line, matrix->col);
        cell->kind = TP_STAGE_STAGES;
        cell->node_kind = TP_PLAN_NODE_BRANCH;
        cell->axes = cells.cells[i];
        cell->naxes = cells.naxes;
        lower_directives(lw, items, cell);
        /* The axis values come first in the cell's environment. */
        struct tp_plan_env *env =
            tp_arena_alloc(lw->arena, (cells.naxes + cell->nenv + 1) * sizeof(*env));
        memcpy(env, cells.cells[i], cells.naxes * sizeof(*env));
        if (cell->nenv)
            memcpy(env + cells.naxes, cell->env, cell->nenv * sizeof(*env));
        cell->env = env;
        cell->nenv += cells.naxes;
        lower_children(lw, items[ITEM_STAGES], cell, depth + 1, true);
        st->children[st->nchildren++] = cell;
    }
    lw->diags = real;
}

static struct tp_plan_stage *lower_stage(struct lower *lw, const struct tp_stmt *s,
                                         struct tp_plan_stage *parent, int depth, bool in_parallel)
{
    const struct tp_expr *call = tp_lower_stmt_call(s);
    if (depth > TP_PLAN_MAX_STAGE_DEPTH) {
        LOWER_ERROR(lw, s, "Stages are nested more than %d deep", TP_PLAN_MAX_STAGE_DEPTH);
        return NULL;
    }
    if (lw->nstages >= TP_PLAN_MAX_STAGES) {
        LOWER_ERROR(lw, s, "The pipeline has more than %d stages", TP_PLAN_MAX_STAGES);
        return NULL;
    }
    if (call->kind != TP_EXPR_CALL || call->args.count < 1 ||
        (call->args.items[0]->kind != TP_EXPR_STRING &&
         call->args.items[0]->kind != TP_EXPR_GSTRING)) {
        LOWER_ERROR(lw, s, "Expected a stage name but did not find any");
        return NULL;
    }
    const struct tp_expr *name = call->args.items[0];
    if (call->closure == NULL) {
        LOWER_ERROR(lw, s, "Stage does not have a block");
        return NULL;
    }
    /* A GString name is kept as written; its ${} are not evaluated in Blue Ocean either. */
    const char *text = name->text;
    if (name->kind == TP_EXPR_GSTRING) {
        struct tp_buf b;
        tp_buf_init(&b);
        for (size_t i = 0; i < name->args.count; i++) {
            const struct tp_expr *part = name->args.items[i];
            if (part->kind == TP_EXPR_STRING)
                tp_buf_append(&b, part->text, part->len);
            else
                tp_buf_puts(&b, "${...}");
        }
        text = tp_arena_strdup(lw->arena, tp_buf_str(&b));
        tp_buf_close(&b);
    }
    struct tp_plan_stage *st = new_stage(lw, text, parent, s->line, s->col);
    st->node_kind = in_parallel && parent != NULL && parent->kind == TP_STAGE_PARALLEL
                        ? TP_PLAN_NODE_BRANCH
                        : TP_PLAN_NODE_STAGE;
    const struct tp_expr *items[ITEM_COUNT] = { 0 };
    collect_items(lw, call->closure->body, false, items);
    int bodies = (items[ITEM_STEPS] != NULL) + (items[ITEM_PARALLEL] != NULL) +
                 (items[ITEM_MATRIX] != NULL) + (items[ITEM_STAGES] != NULL);
    if (bodies > 1) {
        LOWER_ERROR(lw, s,
                    "Only one of \"matrix\", \"parallel\", \"stages\", or \"steps\" allowed for "
                    "stage \"%s\"",
                    st->name);
        return st;
    }
    if (bodies == 0) {
        LOWER_ERROR(lw, s,
                    "Expected one of \"steps\", \"stages\", or \"parallel\" for stage \"%s\"",
                    st->name);
        return st;
    }
    bool forks = items[ITEM_PARALLEL] != NULL || items[ITEM_MATRIX] != NULL;
    if (forks && in_parallel) {
        LOWER_ERROR(lw, items[ITEM_PARALLEL] ? items[ITEM_PARALLEL] : items[ITEM_MATRIX],
                    "\"matrix\" or \"parallel\" cannot be nested inside another \"matrix\" or "
                    "\"parallel\".");
        return st;
    }
    if (forks && items[ITEM_AGENT] != NULL)
        LOWER_ERROR(lw, items[ITEM_AGENT],
                    "\"agent\" is not allowed in stage \"%s\" as it contains parallel or matrix "
                    "stages",
                    st->name);
    if (forks && items[ITEM_TOOLS] != NULL)
        LOWER_ERROR(lw, items[ITEM_TOOLS],
                    "\"tools\" is not allowed in stage \"%s\" as it contains parallel or matrix "
                    "stages",
                    st->name);
    if (items[ITEM_FAIL_FAST] != NULL) {
        const struct tp_expr *ff = items[ITEM_FAIL_FAST];
        const struct tp_expr *value =
            ff->kind == TP_EXPR_CALL && ff->args.count == 1 ? ff->args.items[0] : NULL;
        if (value == NULL || value->kind != TP_EXPR_BOOL)
            LOWER_ERROR(lw, ff, "Expected a boolean with failFast");
        else
            st->fail_fast = value->flag;
    }
    lower_directives(lw, items, st);
    if (items[ITEM_STEPS] != NULL) {
        st->kind = TP_STAGE_STEPS;
        tp_lower_steps(lw, items[ITEM_STEPS], &st->steps, false);
    } else if (items[ITEM_STAGES] != NULL) {
        st->kind = TP_STAGE_STAGES;
        lower_children(lw, items[ITEM_STAGES], st, depth, in_parallel);
    } else if (items[ITEM_PARALLEL] != NULL) {
        st->kind = TP_STAGE_PARALLEL;
        lower_children(lw, items[ITEM_PARALLEL], st, depth, true);
    } else {
        st->kind = TP_STAGE_MATRIX;
        lower_matrix(lw, items[ITEM_MATRIX], st, depth);
    }
    return st;
}

/* --- the pipeline block --- */

enum section {
    SECTION_AGENT,
    SECTION_STAGES,
    SECTION_ENVIRONMENT,
    SECTION_POST,
    SECTION_TOOLS,
    SECTION_OPTIONS,
    SECTION_PARAMETERS,
    SECTION_TRIGGERS,
    SECTION_LIBRARIES,
    SECTION_COUNT
};

static const char *const section_names[SECTION_COUNT] = {
    "agent",   "stages",     "environment", "post",      "tools",
    "options", "parameters", "triggers",    "libraries",
};

static void lower_pipeline(struct lower *lw, const struct tp_expr *pipeline)
{
    struct tp_plan *plan = lw->plan;
    const struct tp_expr *sections[SECTION_COUNT] = { 0 };
    const struct tp_closure *block = tp_lower_block(pipeline);
    for (size_t i = 0; i < block->body->count; i++) {
        const struct tp_stmt *s = block->body->items[i];
        const struct tp_expr *call = tp_lower_stmt_call(s);
        if (call == NULL) {
            LOWER_ERROR(lw, s,
                        "Not a valid section definition: \"%s\". Some extra configuration is "
                        "required.",
                        tp_lower_line_text(lw, s->line));
            continue;
        }
        int found = -1;
        for (int k = 0; k < SECTION_COUNT; k++) {
            if (strcmp(call->text, section_names[k]) == 0)
                found = k;
        }
        if (found >= 0) {
            if (sections[found] != NULL)
                LOWER_ERROR(lw, s, "Multiple occurrences of the %s section", section_names[found]);
            else
                sections[found] = call;
            continue;
        }
        bool renamed = false;
        for (size_t k = 0; k < sizeof(renamed_sections) / sizeof(renamed_sections[0]); k++) {
            if (strcmp(call->text, renamed_sections[k][0]) == 0) {
                LOWER_ERROR(lw, s, "%s", renamed_sections[k][1]);
                renamed = true;
            }
        }
        if (!renamed)
            LOWER_ERROR(lw, s, "Undefined section \"%s\"", call->text);
    }
    if (sections[SECTION_AGENT] != NULL)
        tp_lower_agent(lw, sections[SECTION_AGENT], &plan->agent);
    if (sections[SECTION_ENVIRONMENT] != NULL)
        tp_lower_environment(lw, sections[SECTION_ENVIRONMENT], &plan->env, &plan->nenv);
    if (sections[SECTION_OPTIONS] != NULL)
        tp_lower_options(lw, sections[SECTION_OPTIONS], false, &plan->options, &plan->noptions);
    for (size_t i = 0; i < plan->noptions; i++)
        plan->fail_fast_all |= strcmp(plan->options[i].name, "parallelsAlwaysFailFast") == 0;
    if (sections[SECTION_PARAMETERS] != NULL)
        tp_lower_parameters(lw, sections[SECTION_PARAMETERS], &plan->params, &plan->nparams);
    if (sections[SECTION_TRIGGERS] != NULL)
        tp_lower_triggers(lw, sections[SECTION_TRIGGERS], &plan->triggers, &plan->ntriggers);
    if (sections[SECTION_TOOLS] != NULL)
        tp_lower_tools(lw, sections[SECTION_TOOLS], &plan->tools, &plan->ntools);
    if (sections[SECTION_LIBRARIES] != NULL)
        tp_lower_libraries(lw, sections[SECTION_LIBRARIES], &plan->libraries, &plan->nlibraries);
    if (sections[SECTION_STAGES] != NULL) {
        /* The top level is a sequential `stages` of a root that is not itself a node. */
        struct tp_plan_stage root = { .kind = TP_STAGE_STAGES };
        lower_children(lw, sections[SECTION_STAGES], &root, 0, false);
        plan->stages = root.children;
        plan->nstages = root.nchildren;
        for (size_t i = 0; i < plan->nstages; i++)
            plan->stages[i]->parent = NULL;
    }
    if (sections[SECTION_POST] != NULL)
        plan->post = tp_lower_post(lw, sections[SECTION_POST]);
    /* Validation after parsing, as Jenkins does: these come after the parse errors. */
    if (sections[SECTION_STAGES] == NULL)
        LOWER_ERROR(lw, pipeline, "Missing required section \"stages\"");
    if (sections[SECTION_AGENT] == NULL)
        LOWER_ERROR(lw, pipeline, "Missing required section \"agent\"");
}

/* --- flow-node ids --- */

static void alloc_steps(struct lower *lw, struct tp_plan_steps *steps)
{
    for (size_t i = 0; i < steps->count; i++) {
        struct tp_plan_step *step = &steps->items[i];
        if (step->has_body) {
            step->id = take_ids(lw, 2);
            alloc_steps(lw, &step->body);
            take_ids(lw, 2);
        } else {
            step->id = take_ids(lw, 1);
        }
    }
}

static void alloc_post(struct lower *lw, struct tp_plan_post *post)
{
    for (int c = 0; c < TP_POST_COUNT; c++) {
        if (post->present[c])
            alloc_steps(lw, &post->blocks[c]);
    }
}

/* A stage: `stage` block (the node is its body), its wrappers, its body, its ends. A branch
 * got its node id from the parallel that holds it; its inner stage block follows. */
static void alloc_stage(struct lower *lw, struct tp_plan_stage *st)
{
    if (st->node_kind == TP_PLAN_NODE_BRANCH)
        take_ids(lw, 2);
    else
        st->id = take_ids(lw, 2) + 1;
    int blocks = (st->nenv > 0) + (st->agent.kind > TP_AGENT_NONE) + (int)st->noptions;
    take_ids(lw, 2 * blocks);
    switch (st->kind) {
    case TP_STAGE_STEPS:
        alloc_steps(lw, &st->steps);
        break;
    case TP_STAGE_STAGES:
        for (size_t i = 0; i < st->nchildren; i++)
            alloc_stage(lw, st->children[i]);
        break;
    case TP_STAGE_PARALLEL:
    case TP_STAGE_MATRIX:
        /* The parallel step, then every branch start at once, then the branches. */
        take_ids(lw, 2);
        for (size_t i = 0; i < st->nchildren; i++)
            st->children[i]->id = take_ids(lw, 1);
        for (size_t i = 0; i < st->nchildren; i++)
            alloc_stage(lw, st->children[i]);
        take_ids(lw, 2);
        break;
    }
    if (st->post != NULL)
        alloc_post(lw, st->post);
    take_ids(lw, 2 * blocks + 2);
}

static void assign_ids(struct lower *lw)
{
    struct tp_plan *plan = lw->plan;
    lw->next_id = 3; /* 2 is the flow start */
    int outer = (plan->agent.kind > TP_AGENT_NONE) + (plan->nenv > 0);
    take_ids(lw, 2 * outer);
    for (size_t i = 0; i < plan->nstages; i++)
        alloc_stage(lw, plan->stages[i]);
    if (plan->post != NULL) {
        /* The synthetic "Declarative: Post Actions" stage. */
        plan->post->id = take_ids(lw, 2) + 1;
        alloc_post(lw, plan->post);
        take_ids(lw, 2);
    }
    take_ids(lw, 2 * outer);
    plan->last_id = take_ids(lw, 1);
}

/* --- Blue Ocean's graph --- */

static int compare_names(const void *a, const void *b)
{
    const struct tp_plan_stage *x = *(const struct tp_plan_stage *const *)a;
    const struct tp_plan_stage *y = *(const struct tp_plan_stage *const *)b;
    return strcmp(x->name, y->name);
}

/* The branches of a forking stage, sorted by name (Blue Ocean lists and links them so). */
static struct tp_plan_stage **sorted_branches(struct lower *lw, const struct tp_plan_stage *st)
{
    struct tp_plan_stage **sorted =
        tp_arena_alloc(lw->arena, (st->nchildren + 1) * sizeof(*sorted));
    memcpy(sorted, st->children, st->nchildren * sizeof(*sorted));
    qsort(sorted, st->nchildren, sizeof(*sorted), compare_names);
    return sorted;
}

static bool forks(const struct tp_plan_stage *st)
{
    return st->kind == TP_STAGE_PARALLEL || st->kind == TP_STAGE_MATRIX;
}

static const char *id_text(struct lower *lw, int64_t id)
{
    return id ? tp_arena_printf(lw->arena, "%lld", (long long)id) : "";
}

/*
 * Links a sequence of stages: each points to the next (or to `next` after the last); a
 * forking stage points to its branches instead, and each branch to the stage after; a stage
 * with nested stages points to the first of them, and the last of them to what follows.
 */
static void link_sequence(struct lower *lw, struct tp_plan_stage **list, size_t n, int64_t next,
                          int64_t parent)
{
    for (size_t i = 0; i < n; i++) {
        struct tp_plan_stage *st = list[i];
        int64_t succ = i + 1 < n ? list[i + 1]->id : next;
        st->first_parent = i > 0 ? list[i - 1]->id : parent;
        if (forks(st) && st->nchildren > 0) {
            struct tp_plan_stage **branches = sorted_branches(lw, st);
            struct tp_buf edges;
            tp_buf_init(&edges);
            for (size_t k = 0; k < st->nchildren; k++) {
                struct tp_plan_stage *b = branches[k];
                tp_buf_printf(&edges, "%s%lld", k ? " " : "", (long long)b->id);
                b->first_parent = st->id;
                if (b->kind == TP_STAGE_STAGES && b->nchildren > 0) {
                    b->edges = id_text(lw, b->children[0]->id);
                    link_sequence(lw, b->children, b->nchildren, succ, b->id);
                } else {
                    b->edges = id_text(lw, succ);
                }
            }
            st->edges = tp_arena_strdup(lw->arena, tp_buf_str(&edges));
            tp_buf_close(&edges);
        } else if (st->kind == TP_STAGE_STAGES && st->nchildren > 0) {
            st->edges = id_text(lw, st->children[0]->id);
            link_sequence(lw, st->children, st->nchildren, succ, st->id);
        } else {
            st->edges = id_text(lw, succ);
        }
    }
}

struct node_list {
    struct tp_plan_stage **items;
    size_t count, cap;
};

static void push_node(struct lower *lw, struct node_list *l, struct tp_plan_stage *st)
{
    l->items = tp_arena_grow(lw->arena, l->items, l->count, &l->cap, sizeof(*l->items));
    st->seq = (int64_t)l->count;
    l->items[l->count++] = st;
}

static void defer(struct lower *lw, struct node_list *l, struct tp_plan_stage *st)
{
    l->items = tp_arena_grow(lw->arena, l->items, l->count, &l->cap, sizeof(*l->items));
    l->items[l->count++] = st;
}

/*
 * Blue Ocean's node order: the stages of a level in order, each forking stage followed at
 * once by its branches sorted by name; the nested stages of each (branches first, in
 * declaration order) come after the whole level, level by level.
 */
static void order_nodes(struct lower *lw, struct tp_plan_stage **level, size_t n,
                        struct node_list *out)
{
    struct node_list deferred = { 0 };
    for (size_t i = 0; i < n; i++) {
        struct tp_plan_stage *st = level[i];
        push_node(lw, out, st);
        if (forks(st)) {
            struct tp_plan_stage **branches = sorted_branches(lw, st);
            for (size_t k = 0; k < st->nchildren; k++)
                push_node(lw, out, branches[k]);
            for (size_t k = 0; k < st->nchildren; k++) {
                if (st->children[k]->kind == TP_STAGE_STAGES)
                    defer(lw, &deferred, st->children[k]);
            }
        } else if (st->kind == TP_STAGE_STAGES) {
            defer(lw, &deferred, st);
        }
    }
    for (size_t i = 0; i < deferred.count; i++)
        order_nodes(lw, deferred.items[i]->children, deferred.items[i]->nchildren, out);
}

static void build_graph(struct lower *lw)
{
    struct tp_plan *plan = lw->plan;
    link_sequence(lw, plan->stages, plan->nstages, 0, 0);
    struct node_list nodes = { 0 };
    order_nodes(lw, plan->stages, plan->nstages, &nodes);
    plan->nodes = nodes.items;
    plan->nnodes = nodes.count;
}

/* --- compile --- */

static const struct tp_expr *find_nested_in_block(const struct tp_block *b, int depth);

/* A `pipeline { }` call below the top level (inside `node { }`, an `if`, a method...). */
static const struct tp_expr *find_nested_pipeline(const struct tp_block *top, int depth)
{
    for (size_t i = 0; top != NULL && i < top->count; i++) {
        const struct tp_stmt *s = top->items[i];
        const struct tp_block *bodies[] = { s->body, s->else_body, s->finally_body };
        for (size_t k = 0; k < 3; k++) {
            const struct tp_expr *found = find_nested_in_block(bodies[k], depth + 1);
            if (found != NULL)
                return found;
        }
        if (s->kind == TP_STMT_EXPR && s->expr->kind == TP_EXPR_CALL && s->expr->closure != NULL) {
            const struct tp_expr *found = find_nested_in_block(s->expr->closure->body, depth + 1);
            if (found != NULL)
                return found;
        }
    }
    return NULL;
}

static const struct tp_expr *find_nested_in_block(const struct tp_block *b, int depth)
{
    if (b == NULL || depth > TP_PLAN_MAX_STAGE_DEPTH)
        return NULL;
    for (size_t i = 0; i < b->count; i++) {
        const struct tp_expr *call = tp_lower_stmt_call(b->items[i]);
        if (call != NULL && strcmp(call->text, "pipeline") == 0 && tp_lower_block(call) != NULL)
            return call;
    }
    return find_nested_pipeline(b, depth);
}

int tp_plan_compile(const char *src, size_t len, struct tp_plan **out)
{
    struct tp_plan *plan = tp_xcalloc(1, sizeof(*plan));
    tp_arena_init(&plan->arena);
    tp_diags_init(&plan->diags, &plan->arena);
    *out = plan;
    if (len > TP_LEX_MAX_SOURCE) {
        tp_diags_add(&plan->diags, 1, 1, "Jenkinsfile is larger than %d bytes", TP_LEX_MAX_SOURCE);
        plan->source = "";
        return TP_ETOOBIG;
    }
    plan->source = tp_arena_strndup(&plan->arena, src, len);
    plan->source_len = len;
    int err = tp_parse(plan->source, len, &plan->arena, &plan->diags, &plan->script);
    if (err < 0)
        return err;

    struct lower lw = { .plan = plan, .arena = &plan->arena, .diags = &plan->diags };
    const struct tp_expr *pipeline = NULL;
    for (size_t i = 0; i < plan->script.body->count; i++) {
        const struct tp_stmt *s = plan->script.body->items[i];
        const struct tp_expr *call = tp_lower_stmt_call(s);
        if (call == NULL || strcmp(call->text, "pipeline") != 0)
            continue;
        if (tp_lower_block(call) == NULL) {
            LOWER_ERROR(&lw, s, "Expected a block with the \"pipeline\" step");
            continue;
        }
        if (pipeline != NULL) {
            LOWER_ERROR(&lw, s, "Only one pipeline { ... } block can be executed in a single run.");
            continue;
        }
        pipeline = call;
        plan->has_pipeline = true;
    }
    const struct tp_expr *nested =
        pipeline == NULL ? find_nested_pipeline(plan->script.body, 0) : NULL;
    if (nested != NULL)
        LOWER_ERROR(&lw, nested,
                    "pipeline block must be at the top-level, not within another "
                    "block.");
    if (pipeline == NULL && plan->diags.count == 0) {
        tp_diags_add(&plan->diags, 1, 1,
                     "No pipeline { ... } block found: tidepool runs declarative pipelines");
    }
    if (pipeline != NULL)
        lower_pipeline(&lw, pipeline);
    if (plan->diags.count > 0) {
        plan->nstages = 0;
        plan->nnodes = 0;
        return TP_ESYNTAX;
    }
    assign_ids(&lw);
    build_graph(&lw);
    return 0;
}

void tp_plan_free(struct tp_plan *plan)
{
    if (plan == NULL)
        return;
    tp_arena_close(&plan->arena);
    free(plan);
}

void tp_plan_format_error(const struct tp_plan *plan, const struct tp_diag *d, struct tp_buf *out)
{
    tp_buf_printf(out, "WorkflowScript: %d: %s @ line %d, column %d.\n", d->line, d->message,
                  d->line, d->col);
    const char *p = plan->source;
    for (int l = 1; l < d->line && p != NULL; l++) {
        p = strchr(p, '\n');
        if (p != NULL)
            p++;
    }
    if (p != NULL && *p != '\0') {
        tp_buf_puts(out, "   ");
        tp_buf_append(out, p, strcspn(p, "\r\n"));
        tp_buf_puts(out, "\n   ");
        for (int c = 1; c < d->col; c++)
            tp_buf_putc(out, ' ');
        tp_buf_puts(out, "^\n");
    }
}

void tp_plan_format_errors(const struct tp_plan *plan, struct tp_buf *out)
{
    size_t n = plan->diags.count;
    tp_buf_puts(out, "org.codehaus.groovy.control.MultipleCompilationErrorsException: startup "
                     "failed:\n");
    for (size_t i = 0; i < n; i++) {
        tp_plan_format_error(plan, &plan->diags.items[i], out);
        tp_buf_putc(out, '\n');
    }
    tp_buf_printf(out, "%zu error%s\n", n, n == 1 ? "" : "s");
}

const struct tp_plan_stage *tp_plan_find_stage(const struct tp_plan *plan, int64_t id)
{
    for (size_t i = 0; i < plan->nnodes; i++) {
        if (plan->nodes[i]->id == id)
            return plan->nodes[i];
    }
    return NULL;
}

/* --- dump --- */

static void indent(struct tp_buf *out, int depth)
{
    for (int i = 0; i < depth; i++)
        tp_buf_puts(out, "  ");
}

static void dump_steps(const struct tp_plan_steps *steps, struct tp_buf *out, int depth)
{
    for (size_t i = 0; i < steps->count; i++) {
        const struct tp_plan_step *step = &steps->items[i];
        indent(out, depth);
        tp_buf_printf(out, "step %lld %s", (long long)step->id, step->name);
        if (step->call->kind == TP_EXPR_CALL && step->call->args.count + step->call->named.count) {
            tp_buf_putc(out, ' ');
            struct tp_expr args = *step->call;
            args.closure = NULL;
            args.text = "";
            tp_ast_dump_expr(&args, out);
        }
        tp_buf_putc(out, '\n');
        if (step->has_body)
            dump_steps(&step->body, out, depth + 1);
    }
}

static void dump_when(const struct tp_plan_when *w, struct tp_buf *out)
{
    tp_buf_printf(out, "(%s", w->call->kind == TP_EXPR_CALL ? w->call->text : "?");
    if (w->kind == TP_WHEN_ALL_OF || w->kind == TP_WHEN_ANY_OF || w->kind == TP_WHEN_NOT) {
        for (size_t i = 0; i < w->nchildren; i++) {
            tp_buf_putc(out, ' ');
            dump_when(w->children[i], out);
        }
    } else if (w->kind != TP_WHEN_EXPRESSION && w->call->kind == TP_EXPR_CALL) {
        for (size_t i = 0; i < w->call->args.count; i++) {
            tp_buf_putc(out, ' ');
            tp_ast_dump_expr(w->call->args.items[i], out);
        }
        for (size_t i = 0; i < w->call->named.count; i++) {
            tp_buf_printf(out, " %s:", w->call->named.items[i].key->text);
            tp_ast_dump_expr(w->call->named.items[i].value, out);
        }
    }
    tp_buf_putc(out, ')');
}

static void dump_post(const struct tp_plan_post *post, struct tp_buf *out, int depth)
{
    for (int c = 0; c < TP_POST_COUNT; c++) {
        if (!post->present[c])
            continue;
        indent(out, depth);
        tp_buf_printf(out, "post %s\n", tp_post_condition_name(c));
        dump_steps(&post->blocks[c], out, depth + 1);
    }
}

static void dump_calls(const char *what, const struct tp_plan_call *calls, size_t n,
                       struct tp_buf *out, int depth)
{
    if (n == 0)
        return;
    indent(out, depth);
    tp_buf_puts(out, what);
    for (size_t i = 0; i < n; i++)
        tp_buf_printf(out, " %s%s", calls[i].name, calls[i].known ? "" : "(ignored)");
    tp_buf_putc(out, '\n');
}

static void dump_env(const struct tp_plan_env *env, size_t n, struct tp_buf *out, int depth)
{
    for (size_t i = 0; i < n; i++) {
        indent(out, depth);
        tp_buf_printf(out, "env %s = ", env[i].key);
        tp_ast_dump_expr(env[i].value, out);
        tp_buf_putc(out, '\n');
    }
}

static void dump_stage(const struct tp_plan_stage *st, struct tp_buf *out, int depth)
{
    static const char *const kinds[] = { "steps", "stages", "parallel", "matrix" };
    static const char *const agents[] = { "",     "none",   "any",        "label",
                                          "node", "docker", "dockerfile", "kubernetes" };
    indent(out, depth);
    tp_buf_printf(out, "%s %lld \"%s\" %s seq=%lld parent=%lld edges=[%s]%s\n",
                  st->node_kind == TP_PLAN_NODE_BRANCH ? "branch" : "stage", (long long)st->id,
                  st->name, kinds[st->kind], (long long)st->seq, (long long)st->first_parent,
                  st->edges ? st->edges : "", st->fail_fast ? " failFast" : "");
    if (st->agent.kind != TP_AGENT_UNSET) {
        indent(out, depth + 1);
        tp_buf_printf(out, "agent %s\n", agents[st->agent.kind]);
    }
    dump_env(st->env, st->nenv, out, depth + 1);
    dump_calls("options", st->options, st->noptions, out, depth + 1);
    dump_calls("tools", st->tools, st->ntools, out, depth + 1);
    if (st->when != NULL) {
        indent(out, depth + 1);
        tp_buf_puts(out, "when ");
        dump_when(&st->when->all, out);
        tp_buf_printf(out, "%s%s%s\n", st->when->before_agent ? " beforeAgent" : "",
                      st->when->before_input ? " beforeInput" : "",
                      st->when->before_options ? " beforeOptions" : "");
    }
    if (st->input != NULL) {
        indent(out, depth + 1);
        tp_buf_puts(out, "input ");
        tp_ast_dump_expr(st->input->message, out);
        tp_buf_printf(out, " params=%zu\n", st->input->nparams);
    }
    dump_steps(&st->steps, out, depth + 1);
    for (size_t i = 0; i < st->nchildren; i++)
        dump_stage(st->children[i], out, depth + 1);
    if (st->post != NULL)
        dump_post(st->post, out, depth + 1);
}

void tp_plan_dump(const struct tp_plan *plan, struct tp_buf *out)
{
    static const char *const types[] = { "string", "text",     "booleanParam",
                                         "choice", "password", "other" };
    static const char *const agents[] = { "",     "none",   "any",        "label",
                                          "node", "docker", "dockerfile", "kubernetes" };
    tp_buf_printf(out, "pipeline agent=%s last=%lld\n", agents[plan->agent.kind],
                  (long long)plan->last_id);
    dump_env(plan->env, plan->nenv, out, 1);
    for (size_t i = 0; i < plan->nparams; i++) {
        const struct tp_plan_param *p = &plan->params[i];
        indent(out, 1);
        tp_buf_printf(out, "param %s %s", types[p->type], p->name ? p->name : "?");
        if (p->default_value != NULL) {
            tp_buf_puts(out, " default=");
            tp_ast_dump_expr(p->default_value, out);
        }
        for (size_t c = 0; c < p->nchoices; c++)
            tp_buf_printf(out, "%s%s", c ? "|" : " choices=", p->choices[c]);
        tp_buf_putc(out, '\n');
    }
    dump_calls("options", plan->options, plan->noptions, out, 1);
    dump_calls("triggers", plan->triggers, plan->ntriggers, out, 1);
    dump_calls("tools", plan->tools, plan->ntools, out, 1);
    dump_calls("libraries", plan->libraries, plan->nlibraries, out, 1);
    for (size_t i = 0; i < plan->nstages; i++)
        dump_stage(plan->stages[i], out, 1);
    if (plan->post != NULL) {
        indent(out, 1);
        tp_buf_printf(out, "post-actions %lld\n", (long long)plan->post->id);
        dump_post(plan->post, out, 2);
    }
    tp_buf_puts(out, "nodes:");
    for (size_t i = 0; i < plan->nnodes; i++)
        tp_buf_printf(out, " %s", plan->nodes[i]->name);
    tp_buf_putc(out, '\n');
}
