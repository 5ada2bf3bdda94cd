/* SPDX-License-Identifier: MIT */
#include "jenkinsfile/plan.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/str.h"
#include "jenkinsfile/parser.h"

/* Sections Jenkins knows that this version of tidepool does not run yet: reported as a
 * clear error rather than ignored, so no pipeline silently does less than it says. */
static const char *const sections_not_yet[] = { "post",     "options", "parameters",
                                                "triggers", "tools",   "libraries" };
static const char *const stage_items_not_yet[] = { "agent",  "when",    "options",  "input",
                                                   "tools",  "post",    "parallel", "matrix",
                                                   "stages", "failFast" };
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

struct lower {
    struct tp_plan *plan;
    struct tp_arena *arena;
    struct tp_diags *diags;
    int64_t next_id;
};

static bool in_list(const char *name, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(name, list[i]) == 0)
            return true;
    }
    return false;
}

static int64_t take_ids(struct lower *lw, int n)
{
    int64_t first = lw->next_id;
    lw->next_id += n;
    return first;
}

/* The source text of line `line`, trimmed, for messages that quote a statement. */
static const char *line_text(const struct tp_plan *plan, int line)
{
    const char *p = plan->source;
    for (int l = 1; l < line && p != NULL; l++) {
        p = strchr(p, '\n');
        if (p != NULL)
            p++;
    }
    if (p == NULL)
        return "";
    while (*p == ' ' || *p == '\t')
        p++;
    size_t n = strcspn(p, "\r\n");
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    return tp_arena_strndup((struct tp_arena *)&plan->arena, p, n);
}

/* A statement that is a call `name(...)` / `name ...` / `name { }`: returns the call. */
static const struct tp_expr *stmt_call(const struct tp_stmt *s)
{
    if (s->kind != TP_STMT_EXPR || s->expr->kind != TP_EXPR_CALL || s->expr->a != NULL ||
        s->expr->text == NULL)
        return NULL;
    return s->expr;
}

/* The only closure of a call, whether trailing or passed as the single positional argument. */
static const struct tp_closure *call_block(const struct tp_expr *call)
{
    if (call->closure != NULL)
        return call->closure;
    if (call->args.count == 1 && call->named.count == 0 &&
        call->args.items[0]->kind == TP_EXPR_CLOSURE)
        return call->args.items[0]->closure;
    return NULL;
}

/* --- environment --- */

static bool env_value_ok(struct lower *lw, const struct tp_expr *v)
{
    switch (v->kind) {
    case TP_EXPR_STRING:
    case TP_EXPR_GSTRING:
    case TP_EXPR_INT:
    case TP_EXPR_FLOAT:
    case TP_EXPR_BOOL:
    case TP_EXPR_CALL:
        return true;
    case TP_EXPR_BINARY:
        if (v->op != TP_TOK_PLUS) {
            tp_diags_add(lw->diags, v->line, v->col,
                         "Environment variable values can only be joined together with ‘+’s.");
            return false;
        }
        for (const struct tp_expr *side = v->a;; side = v->b) {
            if (side->kind != TP_EXPR_STRING && side->kind != TP_EXPR_GSTRING &&
                !(side->kind == TP_EXPR_BINARY && side->op == TP_TOK_PLUS)) {
                tp_diags_add(lw->diags, side->line, side->col,
                             "Environment variable values to be concatenated together must be "
                             "single or double quoted.");
                return false;
            }
            if (side->kind == TP_EXPR_BINARY && !env_value_ok(lw, side))
                return false;
            if (side == v->b)
                return true;
        }
    case TP_EXPR_IDENT:
    case TP_EXPR_PROP:
        tp_diags_add(lw->diags, v->line, v->col,
                     "Environment variable values must either be single quoted, double quoted, "
                     "or function calls.");
        return false;
    default:
        tp_diags_add(lw->diags, v->line, v->col,
                     "Environment variable values must either be single quoted, double quoted, "
                     "or function calls.");
        return false;
    }
}

static void lower_environment(struct lower *lw, const struct tp_expr *call,
                              struct tp_plan_env **out, size_t *nout)
{
    const struct tp_closure *block = call_block(call);
    if (block == NULL) {
        tp_diags_add(lw->diags, call->line, call->col, "Expected a block for environment");
        return;
    }
    if (block->body->count == 0) {
        tp_diags_add(lw->diags, call->line, call->col, "No variables specified for environment");
        return;
    }
    struct tp_plan_env *env = tp_arena_alloc(lw->arena, block->body->count * sizeof(*env));
    size_t n = 0;
    for (size_t i = 0; i < block->body->count; i++) {
        const struct tp_stmt *s = block->body->items[i];
        const char *key = NULL;
        const struct tp_expr *value = NULL;
        if (s->kind == TP_STMT_EXPR && s->expr->kind == TP_EXPR_ASSIGN &&
            s->expr->op == TP_TOK_ASSIGN && s->expr->a->kind == TP_EXPR_IDENT) {
            key = s->expr->a->text;
            value = s->expr->b;
        } else if (s->kind == TP_STMT_DECL && s->expr != NULL) {
            key = s->name; /* `def KEY = ...` is still an assignment */
            value = s->expr;
        } else {
            const char *text = line_text(lw->plan, s->line);
            tp_diags_add(lw->diags, s->line, s->col,
                         "\"%s\" is not a valid environment expression. Use \"key = value\" "
                         "pairs with valid Java/shell keys.",
                         text);
            continue;
        }
        if (!tp_str_is_identifier(key)) {
            tp_diags_add(lw->diags, s->line, s->col,
                         "\"%s\" is not a valid identifier and cannot be used for an environment "
                         "variable. Identifiers must start with a letter or underscore and can "
                         "contain only letters, numbers or underscores.",
                         key);
            continue;
        }
        bool duplicate = false;
        for (size_t j = 0; j < n; j++)
            duplicate = duplicate || strcmp(env[j].key, key) == 0;
        if (duplicate) {
            tp_diags_add(lw->diags, s->line, s->col, "Duplicate environment variable name: \"%s\"",
                         key);
            continue;
        }
        if (!env_value_ok(lw, value))
            continue;
        env[n++] =
            (struct tp_plan_env){ .key = key, .value = value, .line = s->line, .col = s->col };
    }
    *out = env;
    *nout = n;
}

/* --- agent --- */

static void lower_agent(struct lower *lw, const struct tp_expr *call)
{
    const struct tp_closure *block = call_block(call);
    if (block == NULL) {
        const struct tp_expr *arg =
            call->args.count == 1 && call->named.count == 0 ? call->args.items[0] : NULL;
        if (arg != NULL && arg->kind == TP_EXPR_IDENT && strcmp(arg->text, "any") == 0) {
            lw->plan->agent = TP_AGENT_ANY;
            return;
        }
        if (arg != NULL && arg->kind == TP_EXPR_IDENT && strcmp(arg->text, "none") == 0) {
            lw->plan->agent = TP_AGENT_NONE;
            return;
        }
        tp_diags_add(lw->diags, call->line, call->col,
                     "Only \"agent none\", \"agent any\" or \"agent {...}\" are allowed.");
        return;
    }
    if (block->body->count == 0) {
        tp_diags_add(lw->diags, call->line, call->col, "Expected an agent");
        return;
    }
    if (block->body->count > 1) {
        tp_diags_add(lw->diags, call->line, call->col,
                     "Only one agent type is allowed per agent section");
        return;
    }
    const struct tp_stmt *s = block->body->items[0];
    const struct tp_expr *type = stmt_call(s);
    if (type == NULL && s->kind == TP_STMT_EXPR && s->expr->kind == TP_EXPR_IDENT) {
        tp_diags_add(lw->diags, s->line, s->col, "Expected an agent");
        return;
    }
    if (type != NULL && strcmp(type->text, "label") == 0 && type->args.count == 1 &&
        (type->args.items[0]->kind == TP_EXPR_STRING)) {
        lw->plan->agent = TP_AGENT_LABEL;
        lw->plan->agent_label = type->args.items[0]->text;
        return;
    }
    static const char *const known[] = { "any",   "docker", "dockerfile", "kubernetes",
                                         "label", "none",   "node" };
    if (type != NULL && !in_list(type->text, known, sizeof(known) / sizeof(known[0]))) {
        tp_diags_add(lw->diags, s->line, s->col,
                     "Invalid agent type \"%s\" specified. Must be one of [any, docker, "
                     "dockerfile, kubernetes, label, none, node]",
                     type->text);
        return;
    }
    tp_diags_add(lw->diags, s->line, s->col,
                 "tidepool does not support this agent yet: use agent any, agent none or "
                 "agent { label '...' }");
}

/* --- stages --- */

static void lower_steps(struct lower *lw, const struct tp_expr *call, struct tp_plan_stage *stage)
{
    const struct tp_closure *block = call_block(call);
    if (block == NULL) {
        tp_diags_add(lw->diags, call->line, call->col, "Expected a block for steps");
        return;
    }
    if (block->body->count == 0) {
        tp_diags_add(lw->diags, call->line, call->col, "No steps specified for branch");
        return;
    }
    stage->steps = tp_arena_alloc(lw->arena, block->body->count * sizeof(*stage->steps));
    for (size_t i = 0; i < block->body->count; i++) {
        const struct tp_stmt *s = block->body->items[i];
        const struct tp_expr *step = NULL;
        if (s->kind == TP_STMT_EXPR && s->expr->kind == TP_EXPR_CALL && s->expr->a == NULL &&
            s->expr->text != NULL)
            step = s->expr;
        else if (s->kind == TP_STMT_EXPR && s->expr->kind == TP_EXPR_IDENT)
            step = s->expr; /* a bare name is a call without arguments: `deleteDir` */
        if (step == NULL) {
            tp_diags_add(lw->diags, s->line, s->col, "Expected a step");
            continue;
        }
        if (strcmp(step->text, "stage") == 0 || strcmp(step->text, "properties") == 0) {
            tp_diags_add(lw->diags, s->line, s->col,
                         "Invalid step \"%s\" used - not allowed in this context - The %s step "
                         "cannot be used in Declarative Pipelines",
                         step->text, step->text);
            continue;
        }
        struct tp_plan_step *ps = &stage->steps[stage->nsteps++];
        ps->name = step->text;
        ps->call = step;
        ps->line = s->line;
        ps->col = s->col;
    }
}

static void lower_stage(struct lower *lw, const struct tp_stmt *s, struct tp_plan_stage *stage)
{
    const struct tp_expr *call = stmt_call(s);
    stage->line = s->line;
    stage->col = s->col;
    if (call->args.count < 1 || (call->args.items[0]->kind != TP_EXPR_STRING &&
                                 call->args.items[0]->kind != TP_EXPR_GSTRING)) {
        tp_diags_add(lw->diags, s->line, s->col, "Expected a stage name but did not find any");
        return;
    }
    const struct tp_expr *name = call->args.items[0];
    if (name->kind == TP_EXPR_GSTRING) {
        tp_diags_add(lw->diags, name->line, name->col,
                     "tidepool does not support interpolated stage names yet");
        return;
    }
    stage->name = name->text;
    if (call->closure == NULL) {
        tp_diags_add(lw->diags, s->line, s->col, "Stage does not have a block");
        return;
    }
    const struct tp_expr *steps = NULL, *environment = NULL;
    for (size_t i = 0; i < call->closure->body->count; i++) {
        const struct tp_stmt *item = call->closure->body->items[i];
        const struct tp_expr *section = stmt_call(item);
        if (section == NULL && item->kind == TP_STMT_EXPR && item->expr->kind == TP_EXPR_IDENT)
            section = item->expr;
        if (section == NULL) {
            tp_diags_add(lw->diags, item->line, item->col,
                         "Not a valid stage section definition: \"%s\". Some extra configuration "
                         "is required.",
                         line_text(lw->plan, item->line));
            continue;
        }
        if (strcmp(section->text, "steps") == 0) {
            if (steps != NULL) {
                tp_diags_add(lw->diags, item->line, item->col,
                             "Only one of \"matrix\", \"parallel\", \"stages\", or \"steps\" "
                             "allowed for stage \"%s\"",
                             stage->name);
                continue;
            }
            steps = section;
        } else if (strcmp(section->text, "environment") == 0) {
            if (environment != NULL) {
                tp_diags_add(lw->diags, item->line, item->col,
                             "Multiple occurrences of the environment section");
                continue;
            }
            environment = section;
        } else if (in_list(section->text, stage_items_not_yet,
                           sizeof(stage_items_not_yet) / sizeof(stage_items_not_yet[0]))) {
            tp_diags_add(lw->diags, item->line, item->col,
                         "tidepool does not support \"%s\" in a stage yet", section->text);
        } else {
            tp_diags_add(lw->diags, item->line, item->col,
                         "Unknown stage section \"%s\". Starting with version 0.5, steps in a "
                         "stage must be in a ‘steps’ block.",
                         section->text);
        }
    }
    if (environment != NULL)
        lower_environment(lw, environment, &stage->env, &stage->nenv);
    if (steps == NULL) {
        tp_diags_add(lw->diags, s->line, s->col,
                     "Expected one of \"steps\", \"stages\", or \"parallel\" for stage \"%s\"",
                     stage->name);
        return;
    }
    lower_steps(lw, steps, stage);
}

static void lower_stages(struct lower *lw, const struct tp_expr *call)
{
    const struct tp_closure *block = call_block(call);
    if (block == NULL) {
        tp_diags_add(lw->diags, call->line, call->col, "Expected a block for stages");
        return;
    }
    if (block->body->count == 0) {
        tp_diags_add(lw->diags, call->line, call->col, "No stages specified");
        return;
    }
    struct tp_plan *plan = lw->plan;
    plan->stages = tp_arena_alloc(lw->arena, block->body->count * sizeof(*plan->stages));
    for (size_t i = 0; i < block->body->count; i++) {
        const struct tp_stmt *s = block->body->items[i];
        const struct tp_expr *stage = stmt_call(s);
        if (stage == NULL || strcmp(stage->text, "stage") != 0) {
            tp_diags_add(lw->diags, s->line, s->col, "Expected a stage");
            continue;
        }
        struct tp_plan_stage *ps = &plan->stages[plan->nstages];
        lower_stage(lw, s, ps);
        if (ps->name == NULL)
            continue;
        bool duplicate = false;
        for (size_t j = 0; j < plan->nstages; j++)
            duplicate = duplicate || strcmp(plan->stages[j].name, ps->name) == 0;
        if (duplicate) {
            tp_diags_add(lw->diags, s->line, s->col, "Duplicate stage name: \"%s\"", ps->name);
            continue;
        }
        plan->nstages++;
    }
}

/* --- the pipeline block --- */

enum section {
    SECTION_AGENT,
    SECTION_STAGES,
    SECTION_ENVIRONMENT,
    SECTION_COUNT
};

static void lower_pipeline(struct lower *lw, const struct tp_expr *pipeline)
{
    static const char *const names[SECTION_COUNT] = { "agent", "stages", "environment" };
    const struct tp_expr *sections[SECTION_COUNT] = { 0 };
    const struct tp_closure *block = call_block(pipeline);
    for (size_t i = 0; i < block->body->count; i++) {
        const struct tp_stmt *s = block->body->items[i];
        const struct tp_expr *call = stmt_call(s);
        if (call == NULL) {
            tp_diags_add(lw->diags, s->line, s->col,
                         "Not a valid section definition: \"%s\". Some extra configuration is "
                         "required.",
                         line_text(lw->plan, s->line));
            continue;
        }
        int found = -1;
        for (int k = 0; k < SECTION_COUNT; k++) {
            if (strcmp(call->text, names[k]) == 0)
                found = k;
        }
        if (found >= 0) {
            if (sections[found] != NULL)
                tp_diags_add(lw->diags, s->line, s->col, "Multiple occurrences of the %s section",
                             names[found]);
            else
                sections[found] = call;
            continue;
        }
        bool renamed = false;
        for (size_t k = 0; k < sizeof(renamed_sections) / sizeof(renamed_sections[0]); k++) {
            if (strcmp(call->text, renamed_sections[k][0]) == 0) {
                tp_diags_add(lw->diags, s->line, s->col, "%s", renamed_sections[k][1]);
                renamed = true;
            }
        }
        if (renamed)
            continue;
        if (in_list(call->text, sections_not_yet,
                    sizeof(sections_not_yet) / sizeof(sections_not_yet[0])))
            tp_diags_add(lw->diags, s->line, s->col,
                         "tidepool does not support the \"%s\" section yet", call->text);
        else
            tp_diags_add(lw->diags, s->line, s->col, "Undefined section \"%s\"", call->text);
    }
    if (sections[SECTION_STAGES] == NULL)
        tp_diags_add(lw->diags, pipeline->line, pipeline->col,
                     "Missing required section \"stages\"");
    if (sections[SECTION_AGENT] == NULL)
        tp_diags_add(lw->diags, pipeline->line, pipeline->col,
                     "Missing required section \"agent\"");
    if (sections[SECTION_AGENT] != NULL)
        lower_agent(lw, sections[SECTION_AGENT]);
    if (sections[SECTION_ENVIRONMENT] != NULL)
        lower_environment(lw, sections[SECTION_ENVIRONMENT], &lw->plan->env, &lw->plan->nenv);
    if (sections[SECTION_STAGES] != NULL)
        lower_stages(lw, sections[SECTION_STAGES]);
}

/*
 * Gives every stage and step its flow-node id, in the order Jenkins would create them:
 * flow start (2); the agent's `node` block (start, body); the pipeline environment's
 * `withEnv` (start, body); per stage: `stage` (start, body = the node id), its `withEnv`,
 * one id per atom step, then the ends of its blocks; then the ends of the outer blocks and
 * the flow end. Then builds the Blue Ocean graph: stages chained in order.
 */
static void assign_ids(struct lower *lw)
{
    struct tp_plan *plan = lw->plan;
    lw->next_id = 3; /* 2 is the flow start */
    int outer = 0;
    if (plan->agent != TP_AGENT_NONE)
        outer++;
    if (plan->nenv > 0)
        outer++;
    take_ids(lw, 2 * outer);
    for (size_t i = 0; i < plan->nstages; i++) {
        struct tp_plan_stage *stage = &plan->stages[i];
        stage->id = take_ids(lw, 2) + 1;
        stage->seq = (int64_t)i;
        if (stage->nenv > 0)
            take_ids(lw, 2);
        for (size_t k = 0; k < stage->nsteps; k++)
            stage->steps[k].id = take_ids(lw, 1);
        take_ids(lw, stage->nenv > 0 ? 4 : 2);
    }
    take_ids(lw, 2 * outer);
    plan->last_id = take_ids(lw, 1);
    for (size_t i = 0; i < plan->nstages; i++) {
        struct tp_plan_stage *stage = &plan->stages[i];
        stage->first_parent = i > 0 ? plan->stages[i - 1].id : 0;
        stage->edges = i + 1 < plan->nstages
                           ? tp_arena_printf(lw->arena, "%lld", (long long)plan->stages[i + 1].id)
                           : "";
    }
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
        const struct tp_expr *call = stmt_call(s);
        bool bare = s->kind == TP_STMT_EXPR && s->expr->kind == TP_EXPR_IDENT &&
                    strcmp(s->expr->text, "pipeline") == 0;
        if (!bare && (call == NULL || strcmp(call->text, "pipeline") != 0))
            continue;
        if (bare || call_block(call) == NULL) {
            tp_diags_add(&plan->diags, s->line, s->col,
                         "Expected a block with the \"pipeline\" step");
            continue;
        }
        if (pipeline != NULL) {
            tp_diags_add(&plan->diags, s->line, s->col,
                         "Only one pipeline { ... } block can be executed in a single run.");
            continue;
        }
        pipeline = call;
    }
    if (pipeline == NULL && plan->diags.count == 0) {
        tp_diags_add(&plan->diags, 1, 1,
                     "No pipeline { ... } block found: tidepool runs declarative pipelines");
    }
    if (pipeline != NULL)
        lower_pipeline(&lw, pipeline);
    if (plan->diags.count > 0) {
        plan->nstages = 0;
        return TP_ESYNTAX;
    }
    assign_ids(&lw);
    return 0;
}

void tp_plan_free(struct tp_plan *plan)
{
    if (plan == NULL)
        return;
    tp_arena_close(&plan->arena);
    free(plan);
}

static int compare_diags(const void *a, const void *b)
{
    const struct tp_diag *x = a, *y = b;
    if (x->line != y->line)
        return x->line - y->line;
    return x->col - y->col;
}

void tp_plan_format_errors(const struct tp_plan *plan, struct tp_buf *out)
{
    size_t n = plan->diags.count;
    struct tp_diag *sorted = tp_xcalloc(n ? n : 1, sizeof(*sorted));
    if (n)
        memcpy(sorted, plan->diags.items, n * sizeof(*sorted));
    qsort(sorted, n, sizeof(*sorted), compare_diags);
    tp_buf_puts(out, "org.codehaus.groovy.control.MultipleCompilationErrorsException: startup "
                     "failed:\n");
    for (size_t i = 0; i < n; i++) {
        const struct tp_diag *d = &sorted[i];
        tp_buf_printf(out, "WorkflowScript: %d: %s @ line %d, column %d.\n", d->line, d->message,
                      d->line, d->col);
        /* Groovy quotes the source line with a caret under the column. */
        const char *p = plan->source;
        for (int l = 1; l < d->line && p != NULL; l++) {
            p = strchr(p, '\n');
            if (p != NULL)
                p++;
        }
        if (p != NULL && *p != '\0') {
            size_t len = strcspn(p, "\r\n");
            tp_buf_puts(out, "   ");
            tp_buf_append(out, p, len);
            tp_buf_puts(out, "\n   ");
            for (int c = 1; c < d->col; c++)
                tp_buf_putc(out, ' ');
            tp_buf_puts(out, "^\n");
        }
        tp_buf_putc(out, '\n');
    }
    tp_buf_printf(out, "%zu error%s\n", n, n == 1 ? "" : "s");
    free(sorted);
}

const struct tp_plan_stage *tp_plan_find_stage(const struct tp_plan *plan, int64_t id)
{
    for (size_t i = 0; i < plan->nstages; i++) {
        if (plan->stages[i].id == id)
            return &plan->stages[i];
    }
    return NULL;
}
