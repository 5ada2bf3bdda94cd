/* SPDX-License-Identifier: MIT */
/* The declarative directives: agent, environment, options, parameters, triggers, tools,
 * libraries, when, post, input and matrix axes, validated with Jenkins' own messages. */
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/str.h"
#include "jenkinsfile/plan_int.h"

/* --- shared helpers --- */

const struct tp_expr *tp_lower_stmt_call(const struct tp_stmt *s)
{
    if (s->kind != TP_STMT_EXPR)
        return NULL;
    const struct tp_expr *e = s->expr;
    if (e->kind == TP_EXPR_CALL && e->a == NULL && e->text != NULL && e->b == NULL)
        return e;
    if (e->kind == TP_EXPR_IDENT)
        return e; /* a bare name: a call without arguments (`deleteDir`, `buildingTag`) */
    return NULL;
}

const struct tp_closure *tp_lower_block(const struct tp_expr *call)
{
    if (call->kind != TP_EXPR_CALL)
        return NULL;
    if (call->closure != NULL)
        return call->closure;
    if (call->args.count == 1 && call->named.count == 0 &&
        call->args.items[0]->kind == TP_EXPR_CLOSURE)
        return call->args.items[0]->closure;
    return NULL;
}

const char *tp_lower_line_text(struct lower *lw, int line)
{
    const char *p = lw->plan->source;
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
    return tp_arena_strndup(lw->arena, p, n);
}

const char *tp_lower_list_text(struct lower *lw, const char *const *list)
{
    struct tp_buf b;
    tp_buf_init(&b);
    tp_buf_putc(&b, '[');
    for (const char *const *p = list; *p != NULL; p++)
        tp_buf_printf(&b, "%s%s", p == list ? "" : ", ", *p);
    tp_buf_putc(&b, ']');
    const char *text = tp_arena_strdup(lw->arena, b.data);
    tp_buf_close(&b);
    return text;
}

static bool is_string(const struct tp_expr *e)
{
    return e != NULL && (e->kind == TP_EXPR_STRING || e->kind == TP_EXPR_GSTRING);
}

static bool is_literal(const struct tp_expr *e)
{
    return e != NULL && (e->kind == TP_EXPR_STRING || e->kind == TP_EXPR_INT ||
                         e->kind == TP_EXPR_FLOAT || e->kind == TP_EXPR_BOOL);
}

/* The statements of a call's block; NULL (with a message) when it has none. */
static const struct tp_block *block_of(struct lower *lw, const struct tp_expr *call,
                                       const char *message)
{
    const struct tp_closure *c = tp_lower_block(call);
    if (c == NULL) {
        LOWER_ERROR(lw, call, "%s", message);
        return NULL;
    }
    return c->body;
}

/* The only argument of a single-value call `name value`, or NULL. */
static const struct tp_expr *sole_arg(const struct tp_expr *call)
{
    if (call->kind == TP_EXPR_CALL && call->args.count == 1 && call->named.count == 0 &&
        call->closure == NULL)
        return call->args.items[0];
    return NULL;
}

/* --- agent --- */

static const char *const agent_types[] = { "any",   "docker", "dockerfile", "kubernetes",
                                           "label", "none",   "node",       NULL };
static const char *const node_options[] = { "customWorkspace", "label", "retries", NULL };
static const char *const docker_options[] = { "alwaysPull",
                                              "args",
                                              "containerPerStageRoot",
                                              "customWorkspace",
                                              "image",
                                              "label",
                                              "registryCredentialsId",
                                              "registryUrl",
                                              "reuseNode",
                                              "retries",
                                              NULL };
static const char *const dockerfile_options[] = { "additionalBuildArgs",
                                                  "args",
                                                  "containerPerStageRoot",
                                                  "customWorkspace",
                                                  "dir",
                                                  "filename",
                                                  "label",
                                                  "registryCredentialsId",
                                                  "registryUrl",
                                                  "reuseNode",
                                                  "retries",
                                                  NULL };

/* Reads `key value` lines of an agent type's block into the agent; checks the keys. */
static void agent_options(struct lower *lw, const struct tp_expr *type, const char *type_name,
                          const char *const *valid, struct tp_plan_agent *out)
{
    const struct tp_closure *c = tp_lower_block(type);
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->body->count; i++) {
        const struct tp_stmt *s = c->body->items[i];
        const struct tp_expr *opt = tp_lower_stmt_call(s);
        if (opt == NULL) {
            LOWER_ERROR(lw, s, "Expected to find 'key value' for agent type \"%s\"", type_name);
            continue;
        }
        if (valid != NULL && !tp_str_in(opt->text, valid)) {
            LOWER_ERROR(lw, s,
                        "Invalid config option \"%s\" for agent type \"%s\". Valid config "
                        "options are %s",
                        opt->text, type_name, tp_lower_list_text(lw, valid));
            continue;
        }
        const struct tp_expr *value = sole_arg(opt);
        if (strcmp(opt->text, "label") == 0)
            out->label = value;
        else if (strcmp(opt->text, "customWorkspace") == 0)
            out->workspace = value;
        else if (strcmp(opt->text, "image") == 0)
            out->image = value;
    }
}

void tp_lower_agent(struct lower *lw, const struct tp_expr *call, struct tp_plan_agent *out)
{
    memset(out, 0, sizeof(*out));
    out->line = call->line;
    out->col = call->col;
    out->config = call;
    const struct tp_closure *c = tp_lower_block(call);
    if (c == NULL) {
        const struct tp_expr *arg = sole_arg(call);
        if (arg != NULL && arg->kind == TP_EXPR_IDENT && strcmp(arg->text, "any") == 0) {
            out->kind = TP_AGENT_ANY;
            return;
        }
        if (arg != NULL && arg->kind == TP_EXPR_IDENT && strcmp(arg->text, "none") == 0) {
            out->kind = TP_AGENT_NONE;
            return;
        }
        LOWER_ERROR(lw, call, "Only \"agent none\", \"agent any\" or \"agent {...}\" are allowed.");
        return;
    }
    if (c->body->count == 0) {
        LOWER_ERROR(lw, call, "Expected an agent");
        return;
    }
    if (c->body->count > 1) {
        LOWER_ERROR(lw, call, "Only one agent type is allowed per agent section");
        return;
    }
    const struct tp_stmt *s = c->body->items[0];
    const struct tp_expr *type = tp_lower_stmt_call(s);
    if (type == NULL) {
        LOWER_ERROR(lw, s, "Expected an agent");
        return;
    }
    if (!tp_str_in(type->text, agent_types)) {
        LOWER_ERROR(lw, s, "Invalid agent type \"%s\" specified. Must be one of %s", type->text,
                    tp_lower_list_text(lw, agent_types));
        return;
    }
    out->config = type;
    const char *name = type->text;
    if (strcmp(name, "any") == 0) {
        out->kind = TP_AGENT_ANY;
    } else if (strcmp(name, "none") == 0) {
        out->kind = TP_AGENT_NONE;
    } else if (strcmp(name, "label") == 0) {
        /* `label` written as a block with several keys is `node` (JENKINS-41118). */
        if (tp_lower_block(type) != NULL) {
            out->kind = TP_AGENT_NODE;
            agent_options(lw, type, "node", node_options, out);
        } else {
            out->kind = TP_AGENT_LABEL;
            out->label = sole_arg(type);
            if (out->label == NULL)
                LOWER_ERROR(lw, s, "Missing required parameter for agent type \"label\": label");
        }
    } else if (strcmp(name, "node") == 0) {
        out->kind = TP_AGENT_NODE;
        agent_options(lw, type, "node", node_options, out);
        if (out->label == NULL)
            LOWER_ERROR(lw, s, "Missing required parameter for agent type \"node\": label");
    } else if (strcmp(name, "docker") == 0) {
        out->kind = TP_AGENT_DOCKER;
        if (tp_lower_block(type) != NULL)
            agent_options(lw, type, "docker", docker_options, out);
        else
            out->image = sole_arg(type);
        if (out->image == NULL)
            LOWER_ERROR(lw, s, "Missing required parameter for agent type \"docker\": image");
    } else if (strcmp(name, "dockerfile") == 0) {
        out->kind = TP_AGENT_DOCKERFILE;
        agent_options(lw, type, "dockerfile", dockerfile_options, out);
    } else {
        /* The kubernetes plugin's options are many and change often: all are kept. */
        out->kind = TP_AGENT_KUBERNETES;
        agent_options(lw, type, "kubernetes", NULL, out);
    }
}

/* --- environment --- */

static const char *const identifier_message =
    "\"%s\" is not a valid identifier and cannot be used for an environment variable. "
    "Identifiers must start with a letter or underscore and can contain only letters, numbers "
    "or underscores.";

static bool env_value_ok(struct lower *lw, const struct tp_expr *v)
{
    /* `KEY = ${X}`: Groovy reads `$` as a name called with the closure `{X}`. */
    if (v->kind == TP_EXPR_CALL && v->text != NULL && strcmp(v->text, "$") == 0 &&
        v->closure != NULL) {
        const char *inner = "";
        if (v->closure->body->count == 1 && v->closure->body->items[0]->kind == TP_STMT_EXPR &&
            v->closure->body->items[0]->expr->kind == TP_EXPR_IDENT)
            inner = v->closure->body->items[0]->expr->text;
        LOWER_ERROR(lw, v,
                    "${%s} cannot be used as a value directly. Did you mean \"${%s}\"? (add "
                    "quotes)",
                    inner, inner);
        return false;
    }
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
            LOWER_ERROR(lw, v,
                        "Environment variable values can only be joined together with "
                        "‘+’s.");
            return false;
        }
        for (int side = 0; side < 2; side++) {
            const struct tp_expr *e = side ? v->b : v->a;
            if (e->kind == TP_EXPR_BINARY) {
                if (!env_value_ok(lw, e))
                    return false;
            } else if (!is_string(e) && e->kind != TP_EXPR_CALL) {
                LOWER_ERROR(lw, e,
                            "Environment variable values to be concatenated together "
                            "must be single or double quoted.");
                return false;
            }
        }
        return true;
    default:
        /* A bare name or property is not a value (a method call on one is a call). */
        LOWER_ERROR(lw, v,
                    "Environment variable values must either be single quoted, double "
                    "quoted, or function calls.");
        return false;
    }
}

void tp_lower_environment(struct lower *lw, const struct tp_expr *call, struct tp_plan_env **out,
                          size_t *nout)
{
    const struct tp_block *body = block_of(lw, call, "Expected a block for environment");
    if (body == NULL)
        return;
    if (body->count == 0) {
        LOWER_ERROR(lw, call, "No variables specified for environment");
        return;
    }
    struct tp_plan_env *env = tp_arena_alloc(lw->arena, body->count * sizeof(*env));
    size_t n = 0;
    for (size_t i = 0; i < body->count; i++) {
        const struct tp_stmt *s = body->items[i];
        const char *key = NULL;
        const struct tp_expr *value = NULL;
        if (s->kind == TP_STMT_EXPR && s->expr->kind == TP_EXPR_ASSIGN &&
            s->expr->op == TP_TOK_ASSIGN) {
            const struct tp_expr *target = s->expr->a;
            if (target->kind == TP_EXPR_IDENT) {
                key = target->text;
            } else {
                LOWER_ERROR(lw, s, identifier_message, tp_lower_line_text(lw, s->line));
                continue;
            }
            value = s->expr->b;
        } else if (s->kind == TP_STMT_DECL && s->expr != NULL) {
            key = s->name; /* `def KEY = ...` is still an assignment */
            value = s->expr;
        } else {
            LOWER_ERROR(lw, s,
                        "\"%s\" is not a valid environment expression. Use \"key = value\" pairs "
                        "with valid Java/shell keys.",
                        tp_lower_line_text(lw, s->line));
            LOWER_ERROR(lw, s, "Expected name=value pairs");
            continue;
        }
        if (!tp_str_is_identifier(key)) {
            LOWER_ERROR(lw, s, identifier_message, key);
            continue;
        }
        bool duplicate = false;
        for (size_t j = 0; j < n; j++)
            duplicate = duplicate || strcmp(env[j].key, key) == 0;
        if (duplicate) {
            LOWER_ERROR(lw, s, "Duplicate environment variable name: \"%s\"", key);
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

/* --- options, triggers, tools, libraries: lists of calls --- */

/* Declarative options and job properties valid at pipeline level. */
static const char *const pipeline_options[] = { "buildDiscarder",
                                                "checkoutToSubdirectory",
                                                "copyArtifactPermission",
                                                "disableConcurrentBuilds",
                                                "disableRestartFromStage",
                                                "disableResume",
                                                "durabilityHint",
                                                "githubProjectProperty",
                                                "newContainerPerStage",
                                                "overrideIndexTriggers",
                                                "parallelsAlwaysFailFast",
                                                "preserveStashes",
                                                "quietPeriod",
                                                "rateLimitBuilds",
                                                "skipDefaultCheckout",
                                                "skipStagesAfterUnstable",
                                                NULL };
/* Block-scoped steps that need no node: valid as options at both levels (wrappers). */
static const char *const wrapper_options[] = { "ansiColor",       "lock",    "retry",
                                               "throttle",        "timeout", "timestamps",
                                               "withCredentials", "withEnv", NULL };
static const char *const stage_options[] = { "checkoutToSubdirectory", "skipDefaultCheckout",
                                             NULL };
/* The options tidepool acts on; the others are accepted and reported as ignored. */
static const char *const acted_options[] = { "buildDiscarder",
                                             "disableConcurrentBuilds",
                                             "parallelsAlwaysFailFast",
                                             "quietPeriod",
                                             "retry",
                                             "skipDefaultCheckout",
                                             "skipStagesAfterUnstable",
                                             "timeout",
                                             "timestamps",
                                             "checkoutToSubdirectory",
                                             NULL };

/* The union of two NULL-terminated lists, sorted, in the arena. */
static const char *const *merge_lists(struct lower *lw, const char *const *a, const char *const *b)
{
    size_t n = 0;
    for (const char *const *p = a; *p; p++)
        n++;
    for (const char *const *p = b; *p; p++)
        n++;
    const char **out = tp_arena_alloc(lw->arena, (n + 1) * sizeof(*out));
    size_t k = 0;
    for (const char *const *p = a; *p; p++)
        out[k++] = *p;
    for (const char *const *p = b; *p; p++)
        out[k++] = *p;
    for (size_t i = 1; i < k; i++) {
        for (size_t j = i; j > 0 && strcmp(out[j - 1], out[j]) > 0; j--) {
            const char *t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
    }
    out[k] = NULL;
    return out;
}

/* Collects `name(...)` entries of a block, rejecting duplicates; `check` validates each. */
struct call_list {
    const char *section;        /* for "Expected a block for ..." */
    const char *empty_message;  /* NULL: empty is fine */
    const char *duplicate_word; /* "option", "trigger"... */
    const char *const *valid;   /* NULL: anything */
    const char *const *acted;   /* known = in this list (NULL: all known) */
};

static void lower_call_list(struct lower *lw, const struct tp_expr *call,
                            const struct call_list *spec, struct tp_plan_call **out, size_t *nout)
{
    char message[64];
    snprintf(message, sizeof(message), "Expected a block for %s", spec->section);
    const struct tp_block *body = block_of(lw, call, message);
    if (body == NULL)
        return;
    if (body->count == 0 && spec->empty_message != NULL) {
        LOWER_ERROR(lw, call, "%s", spec->empty_message);
        return;
    }
    struct tp_plan_call *items = tp_arena_alloc(lw->arena, (body->count + 1) * sizeof(*items));
    size_t n = 0;
    for (size_t i = 0; i < body->count; i++) {
        const struct tp_stmt *s = body->items[i];
        const struct tp_expr *entry = tp_lower_stmt_call(s);
        if (entry == NULL) {
            if (strcmp(spec->duplicate_word, "option") == 0 && s->kind == TP_STMT_EXPR &&
                s->expr->kind == TP_EXPR_MAP)
                LOWER_ERROR(lw, s, "Options cannot be defined as maps");
            else
                LOWER_ERROR(lw, s, "Expected an %s", spec->duplicate_word);
            continue;
        }
        if (spec->valid != NULL && !tp_str_in(entry->text, spec->valid)) {
            LOWER_ERROR(lw, s, "Invalid %s type \"%s\". Valid %s types: %s", spec->duplicate_word,
                        entry->text, spec->duplicate_word, tp_lower_list_text(lw, spec->valid));
            continue;
        }
        bool duplicate = false;
        for (size_t j = 0; j < n; j++)
            duplicate = duplicate || strcmp(items[j].name, entry->text) == 0;
        if (duplicate) {
            LOWER_ERROR(lw, s, "Duplicate %s name: \"%s\"", spec->duplicate_word, entry->text);
            continue;
        }
        items[n++] = (struct tp_plan_call){ .name = entry->text,
                                            .call = entry,
                                            .line = s->line,
                                            .col = s->col,
                                            .known = spec->acted == NULL ||
                                                     tp_str_in(entry->text, spec->acted) };
    }
    *out = items;
    *nout = n;
}

void tp_lower_options(struct lower *lw, const struct tp_expr *call, bool stage_level,
                      struct tp_plan_call **out, size_t *nout)
{
    const struct tp_block *body = block_of(lw, call, "Expected a block for options");
    if (body == NULL)
        return;
    /* Shapes Jenkins rejects before looking at names. */
    for (size_t i = 0; i < body->count; i++) {
        const struct tp_stmt *s = body->items[i];
        const struct tp_expr *entry = tp_lower_stmt_call(s);
        if (entry == NULL)
            continue;
        if (entry->kind == TP_EXPR_CALL && entry->closure != NULL) {
            LOWER_ERROR(lw, s, "Options definitions cannot have blocks");
            return;
        }
        if (strcmp(entry->text, "parameters") == 0 ||
            strcmp(entry->text, "pipelineTriggers") == 0) {
            LOWER_ERROR(lw, s,
                        "The \"%s\" job property can't be used in the \"options\" directive. Use "
                        "the \"%s {...}\" directive instead.",
                        entry->text,
                        entry->text[0] == 'p' && entry->text[1] == 'a' ? "parameters" : "triggers");
            return;
        }
    }
    struct call_list spec = {
        .section = "options",
        .duplicate_word = "option",
        .valid = merge_lists(lw, stage_level ? stage_options : pipeline_options, wrapper_options),
        .acted = acted_options,
    };
    lower_call_list(lw, call, &spec, out, nout);
}

static const char *const trigger_types[] = {
    "GenericTrigger",      "bitbucketPush",     "cron",    "gitlab",   "githubPush",
    "issueCommentTrigger", "parameterizedCron", "pollSCM", "upstream", NULL
};
static const char *const acted_triggers[] = { NULL };

void tp_lower_triggers(struct lower *lw, const struct tp_expr *call, struct tp_plan_call **out,
                       size_t *nout)
{
    struct call_list spec = {
        .section = "triggers",
        .duplicate_word = "trigger",
        .valid = trigger_types,
        .acted = acted_triggers, /* kept and shown, not scheduled yet */
    };
    lower_call_list(lw, call, &spec, out, nout);
}

const char *const tp_plan_tool_types[] = { "ant",   "dotnetsdk", "go",     "gradle",    "jdk",
                                           "maven", "msbuild",   "nodejs", "terraform", NULL };

void tp_lower_tools(struct lower *lw, const struct tp_expr *call, struct tp_plan_call **out,
                    size_t *nout)
{
    struct call_list spec = {
        .section = "tools",
        .empty_message = "No tools specified",
        .duplicate_word = "tool",
        .valid = tp_plan_tool_types,
    };
    lower_call_list(lw, call, &spec, out, nout);
    for (size_t i = 0; i < *nout; i++) {
        /* Any single value will do: a literal, or `jdk params.jdkVersion`. */
        if (sole_arg((*out)[i].call) == NULL) {
            tp_diags_add(lw->diags, (*out)[i].line, (*out)[i].col,
                         "Expected to find ‘someTool \"someVersion\"’");
        }
    }
}

void tp_lower_libraries(struct lower *lw, const struct tp_expr *call, struct tp_plan_call **out,
                        size_t *nout)
{
    const struct tp_block *body = block_of(lw, call, "Expected a block for libraries");
    if (body == NULL)
        return;
    for (size_t i = 0; i < body->count; i++) {
        const struct tp_expr *entry = tp_lower_stmt_call(body->items[i]);
        if (entry == NULL || strcmp(entry->text, "lib") != 0) {
            LOWER_ERROR(lw, body->items[i], "Expected a \"lib(...)\" but got %s",
                        tp_lower_line_text(lw, body->items[i]->line));
            return;
        }
    }
    struct call_list spec = { .section = "libraries",
                              .duplicate_word = "library",
                              .acted = acted_triggers };
    lower_call_list(lw, call, &spec, out, nout);
}

/* --- parameters --- */

static const char *const param_types[] = {
    "activeChoice", "booleanParam", "choice",   "credentials",    "extendedChoice",
    "file",         "gitParameter", "password", "reactiveChoice", "run",
    "string",       "text",         NULL
};

/* Splits "a\nb" or reads ['a', 'b'] into the parameter's choices. */
static void read_choices(struct lower *lw, const struct tp_expr *choices, struct tp_plan_param *p)
{
    if (choices == NULL)
        return;
    if (choices->kind == TP_EXPR_LIST) {
        p->choices = tp_arena_alloc(lw->arena, (choices->args.count + 1) * sizeof(*p->choices));
        for (size_t i = 0; i < choices->args.count; i++) {
            const struct tp_expr *c = choices->args.items[i];
            if (c->kind == TP_EXPR_STRING)
                p->choices[p->nchoices++] = c->text;
        }
    } else if (choices->kind == TP_EXPR_STRING) {
        size_t max = 1;
        for (const char *s = choices->text; *s; s++)
            max += *s == '\n';
        p->choices = tp_arena_alloc(lw->arena, (max + 1) * sizeof(*p->choices));
        const char *s = choices->text;
        while (*s) {
            size_t n = strcspn(s, "\n");
            p->choices[p->nchoices++] = tp_arena_strndup(lw->arena, s, n);
            s += n;
            if (*s == '\n')
                s++;
        }
    }
}

/* Reads a parameter definition call (also used by input's parameters). */
static bool lower_param(struct lower *lw, const struct tp_expr *e, struct tp_plan_param *p)
{
    if (e->kind == TP_EXPR_MAP) {
        LOWER_ERROR(lw, e, "Build parameters cannot be defined as maps");
        return false;
    }
    if (e->kind != TP_EXPR_CALL || e->text == NULL || e->a != NULL) {
        LOWER_ERROR(lw, e, "Expected a parameter definition");
        return false;
    }
    if (!tp_str_in(e->text, param_types)) {
        LOWER_ERROR(lw, e, "Invalid parameter type \"%s\". Valid parameter types: %s", e->text,
                    tp_lower_list_text(lw, param_types));
        return false;
    }
    if (e->args.count > 0 && e->named.count > 0) {
        LOWER_ERROR(lw, e, "Cannot mix named and unnamed arguments");
        return false;
    }
    memset(p, 0, sizeof(*p));
    p->type_name = e->text;
    p->line = e->line;
    p->col = e->col;

    static const struct {
        const char *name;
        enum tp_param_type type;
    } types[] = { { "string", TP_PARAM_STRING },
                  { "text", TP_PARAM_TEXT },
                  { "booleanParam", TP_PARAM_BOOLEAN },
                  { "choice", TP_PARAM_CHOICE },
                  { "password", TP_PARAM_PASSWORD } };

    p->type = TP_PARAM_OTHER;
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (strcmp(e->text, types[i].name) == 0)
            p->type = types[i].type;
    }
    const struct tp_expr *name = tp_ast_named_arg(e, "name");
    if (name != NULL && name->kind == TP_EXPR_STRING)
        p->name = name->text;
    else if (e->args.count > 0 && e->args.items[0]->kind == TP_EXPR_STRING)
        p->name = e->args.items[0]->text;
    if (p->name == NULL && p->type != TP_PARAM_OTHER) {
        LOWER_ERROR(lw, e, "Missing required parameter: \"name\"");
        return false;
    }
    p->default_value = tp_ast_named_arg(e, "defaultValue");
    p->description = tp_ast_named_arg(e, "description");
    const struct tp_expr *trim = tp_ast_named_arg(e, "trim");
    p->trim = trim != NULL && trim->kind == TP_EXPR_BOOL && trim->flag;
    if (p->type == TP_PARAM_CHOICE)
        read_choices(lw, tp_ast_named_arg(e, "choices"), p);
    return true;
}

int tp_plan_read_params(const struct tp_expr *list, struct tp_arena *arena, struct tp_diags *diags,
                        struct tp_plan_param **out, size_t *n)
{
    struct lower lw = { .arena = arena, .diags = diags };
    *out = NULL;
    *n = 0;
    if (list->kind != TP_EXPR_LIST) {
        LOWER_ERROR(&lw, list, "Expected a list of parameter definitions");
        return TP_EINVAL;
    }
    struct tp_plan_param *params = tp_arena_alloc(arena, (list->args.count + 1) * sizeof(*params));
    for (size_t i = 0; i < list->args.count; i++) {
        const struct tp_expr *e = list->args.items[i];
        const struct tp_expr *cls = e->kind == TP_EXPR_MAP ? tp_ast_named_arg(e, "$class") : NULL;
        if (cls != NULL && cls->kind == TP_EXPR_STRING) {
            /* [$class: 'StringParameterDefinition', name: ..., defaultValue: ...] */
            static const char *const classes[][2] = {
                { "StringParameterDefinition", "string" },
                { "TextParameterDefinition", "text" },
                { "BooleanParameterDefinition", "booleanParam" },
                { "ChoiceParameterDefinition", "choice" },
                { "PasswordParameterDefinition", "password" },
            };
            const char *symbol = NULL;
            for (size_t k = 0; k < sizeof(classes) / sizeof(classes[0]); k++) {
                if (strcmp(cls->text, classes[k][0]) == 0)
                    symbol = classes[k][1];
            }
            if (symbol == NULL) {
                LOWER_ERROR(&lw, e, "Unsupported parameter class \"%s\"", cls->text);
                return TP_EINVAL;
            }
            struct tp_expr *call = tp_arena_alloc(arena, sizeof(*call));
            *call = *e;
            call->kind = TP_EXPR_CALL;
            call->text = symbol;
            call->len = strlen(symbol);
            call->named.items =
                tp_arena_alloc(arena, (e->named.count + 1) * sizeof(struct tp_named));
            call->named.count = 0;
            for (size_t k = 0; k < e->named.count; k++) {
                if (e->named.items[k].key != NULL &&
                    e->named.items[k].key->kind == TP_EXPR_STRING &&
                    strcmp(e->named.items[k].key->text, "$class") == 0)
                    continue;
                call->named.items[call->named.count++] = e->named.items[k];
            }
            e = call;
        }
        if (!lower_param(&lw, e, &params[*n]))
            return TP_EINVAL;
        (*n)++;
    }
    *out = params;
    return 0;
}

void tp_lower_parameters(struct lower *lw, const struct tp_expr *call, struct tp_plan_param **out,
                         size_t *nout)
{
    const struct tp_block *body = block_of(lw, call, "Expected a block for parameters");
    if (body == NULL)
        return;
    struct tp_plan_param *params = tp_arena_alloc(lw->arena, (body->count + 1) * sizeof(*params));
    size_t n = 0;
    for (size_t i = 0; i < body->count; i++) {
        const struct tp_stmt *s = body->items[i];
        if (s->kind != TP_STMT_EXPR) {
            LOWER_ERROR(lw, s, "Expected a parameter definition");
            continue;
        }
        if (!lower_param(lw, s->expr, &params[n]))
            continue;
        bool duplicate = false;
        for (size_t j = 0; j < n && params[n].name != NULL; j++)
            duplicate =
                duplicate || (params[j].name && strcmp(params[j].name, params[n].name) == 0);
        if (duplicate) {
            LOWER_ERROR(lw, s, "Duplicate parameter name: \"%s\"", params[n].name);
            continue;
        }
        n++;
    }
    *out = params;
    *nout = n;
}

/* --- when --- */

static const char *const when_conditions[] = { "allOf",       "anyOf",          "branch",
                                               "buildingTag", "changeRequest",  "changelog",
                                               "changeset",   "environment",    "equals",
                                               "expression",  "isRestartedRun", "not",
                                               "tag",         "triggeredBy",    NULL };

static struct tp_plan_when *lower_condition(struct lower *lw, const struct tp_stmt *s, int depth);

static void lower_conditions(struct lower *lw, const struct tp_block *body, struct tp_plan_when *w,
                             int depth)
{
    w->children = tp_arena_alloc(lw->arena, (body->count + 1) * sizeof(*w->children));
    for (size_t i = 0; i < body->count; i++) {
        struct tp_plan_when *child = lower_condition(lw, body->items[i], depth + 1);
        if (child != NULL)
            w->children[w->nchildren++] = child;
    }
}

static struct tp_plan_when *lower_condition(struct lower *lw, const struct tp_stmt *s, int depth)
{
    const struct tp_expr *call = tp_lower_stmt_call(s);
    if (call == NULL) {
        LOWER_ERROR(lw, s, "Expected a when condition");
        return NULL;
    }
    if (depth > TP_PLAN_MAX_STAGE_DEPTH) {
        LOWER_ERROR(lw, s, "when conditions are nested too deeply");
        return NULL;
    }
    if (!tp_str_in(call->text, when_conditions)) {
        LOWER_ERROR(lw, s, "Unknown conditional %s. Valid conditionals are: %s", call->text,
                    "allOf, anyOf, branch, buildingTag, changeRequest, changelog, changeset, "
                    "environment, equals, expression, isRestartedRun, not, tag, triggeredBy");
        return NULL;
    }

    static const struct {
        const char *name;
        enum tp_when_kind kind;
    } kinds[] = { { "allOf", TP_WHEN_ALL_OF },
                  { "anyOf", TP_WHEN_ANY_OF },
                  { "not", TP_WHEN_NOT },
                  { "branch", TP_WHEN_BRANCH },
                  { "buildingTag", TP_WHEN_BUILDING_TAG },
                  { "changeRequest", TP_WHEN_CHANGE_REQUEST },
                  { "changelog", TP_WHEN_CHANGELOG },
                  { "changeset", TP_WHEN_CHANGESET },
                  { "environment", TP_WHEN_ENVIRONMENT },
                  { "equals", TP_WHEN_EQUALS },
                  { "expression", TP_WHEN_EXPRESSION },
                  { "isRestartedRun", TP_WHEN_IS_RESTARTED_RUN },
                  { "tag", TP_WHEN_TAG },
                  { "triggeredBy", TP_WHEN_TRIGGERED_BY } };
    struct tp_plan_when *w = tp_arena_alloc(lw->arena, sizeof(*w));
    w->call = call;
    w->line = s->line;
    w->col = s->col;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (strcmp(call->text, kinds[i].name) == 0)
            w->kind = kinds[i].kind;
    }
    const struct tp_closure *block = tp_lower_block(call);
    switch (w->kind) {
    case TP_WHEN_ALL_OF:
    case TP_WHEN_ANY_OF:
    case TP_WHEN_NOT:
        if (block != NULL)
            lower_conditions(lw, block->body, w, depth);
        if (w->kind == TP_WHEN_NOT && w->nchildren != 1) {
            LOWER_ERROR(lw, s,
                        "Nested when condition \"not\" requires exactly 1 child "
                        "condition(s).");
            return NULL;
        }
        if (w->kind != TP_WHEN_NOT && w->nchildren == 0) {
            LOWER_ERROR(lw, s,
                        "Nested when condition \"%s\" requires at least one child "
                        "condition.",
                        call->text);
            return NULL;
        }
        break;
    case TP_WHEN_EXPRESSION:
        if (block == NULL) {
            LOWER_ERROR(lw, s, "Expected a block for expression");
            return NULL;
        }
        w->expression = block->body;
        break;
    default:
        break;
    }
    return w;
}

struct tp_plan_when_block *tp_lower_when(struct lower *lw, const struct tp_expr *call)
{
    const struct tp_block *body = block_of(lw, call, "Expected a block for when");
    if (body == NULL)
        return NULL;
    struct tp_plan_when_block *wb = tp_arena_alloc(lw->arena, sizeof(*wb));
    wb->all.kind = TP_WHEN_ALL_OF;
    wb->all.call = call;
    wb->all.line = call->line;
    wb->all.col = call->col;
    wb->all.children = tp_arena_alloc(lw->arena, (body->count + 1) * sizeof(*wb->all.children));
    for (size_t i = 0; i < body->count; i++) {
        const struct tp_stmt *s = body->items[i];
        const struct tp_expr *c = tp_lower_stmt_call(s);
        static const char *const flags[] = { "beforeAgent", "beforeInput", "beforeOptions", NULL };
        if (c != NULL && tp_str_in(c->text, flags)) {
            const struct tp_expr *value = sole_arg(c);
            if (value == NULL || value->kind != TP_EXPR_BOOL) {
                LOWER_ERROR(lw, s, "Expected a boolean with %s", c->text);
                continue;
            }
            if (strcmp(c->text, "beforeAgent") == 0)
                wb->before_agent = value->flag;
            else if (strcmp(c->text, "beforeInput") == 0)
                wb->before_input = value->flag;
            else
                wb->before_options = value->flag;
            continue;
        }
        struct tp_plan_when *w = lower_condition(lw, s, 0);
        if (w != NULL)
            wb->all.children[wb->all.nchildren++] = w;
    }
    if (wb->all.nchildren == 0) {
        LOWER_ERROR(lw, call, "Empty when closure, remove the property or add some content.");
        return NULL;
    }
    return wb;
}

/* --- post --- */

static const char *const post_names[TP_POST_COUNT + 1] = { "always",       "changed",  "fixed",
                                                           "regression",   "aborted",  "success",
                                                           "unsuccessful", "unstable", "failure",
                                                           "notBuilt",     "cleanup",  NULL };

const char *tp_post_condition_name(enum tp_post_condition condition)
{
    return (unsigned)condition < TP_POST_COUNT ? post_names[condition] : "?";
}

struct tp_plan_post *tp_lower_post(struct lower *lw, const struct tp_expr *call)
{
    const struct tp_block *body = block_of(lw, call, "Expected a block for post");
    if (body == NULL)
        return NULL;
    if (body->count == 0) {
        LOWER_ERROR(lw, call, "post can not be empty");
        return NULL;
    }
    struct tp_plan_post *post = tp_arena_alloc(lw->arena, sizeof(*post));
    post->line = call->line;
    post->col = call->col;
    for (size_t i = 0; i < body->count; i++) {
        const struct tp_stmt *s = body->items[i];
        const struct tp_expr *c = tp_lower_stmt_call(s);
        if (c == NULL || tp_lower_block(c) == NULL) {
            LOWER_ERROR(lw, s,
                        "The ‘post’ section can only contain build condition names with code "
                        "blocks. Valid condition names are %s",
                        tp_lower_list_text(lw, post_names));
            continue;
        }
        int found = -1;
        for (int k = 0; k < TP_POST_COUNT; k++) {
            if (strcmp(c->text, post_names[k]) == 0)
                found = k;
        }
        if (found < 0) {
            LOWER_ERROR(lw, s, "Invalid condition \"%s\" - valid conditions are %s", c->text,
                        tp_lower_list_text(lw, post_names));
            continue;
        }
        if (post->present[found]) {
            LOWER_ERROR(lw, s, "Duplicate build condition name: \"%s\"", c->text);
            continue;
        }
        post->present[found] = true;
        tp_lower_steps(lw, c, &post->blocks[found], true);
    }
    return post;
}

/* --- input --- */

struct tp_plan_input *tp_lower_input(struct lower *lw, const struct tp_expr *call)
{
    const struct tp_block *body = block_of(lw, call, "Expected a block for input");
    if (body == NULL)
        return NULL;
    struct tp_plan_input *in = tp_arena_alloc(lw->arena, sizeof(*in));
    in->line = call->line;
    in->col = call->col;
    for (size_t i = 0; i < body->count; i++) {
        const struct tp_stmt *s = body->items[i];
        const struct tp_expr *c = tp_lower_stmt_call(s);
        if (c == NULL) {
            LOWER_ERROR(lw, s, "Expected a field for input");
            continue;
        }
        static const char *const fields[] = { "id",         "message",   "ok",
                                              "parameters", "submitter", "submitterParameter",
                                              NULL };
        if (!tp_str_in(c->text, fields)) {
            LOWER_ERROR(lw, s, "Not a valid field for input: \"%s\"", c->text);
            continue;
        }
        if (strcmp(c->text, "parameters") == 0) {
            tp_lower_parameters(lw, c, &in->params, &in->nparams);
            continue;
        }
        size_t nargs = c->kind == TP_EXPR_CALL ? c->args.count + c->named.count : 0;
        if (nargs == 0) {
            LOWER_ERROR(lw, s, "No argument for field \"%s\"", c->text);
            continue;
        }
        if (nargs > 1) {
            LOWER_ERROR(lw, s, "Too many arguments for field \"%s\"", c->text);
            continue;
        }
        const struct tp_expr *value = c->args.count ? c->args.items[0] : c->named.items[0].value;
        if (strcmp(c->text, "message") == 0)
            in->message = value;
        else if (strcmp(c->text, "id") == 0)
            in->id = value;
        else if (strcmp(c->text, "ok") == 0)
            in->ok = value;
        else if (strcmp(c->text, "submitter") == 0)
            in->submitter = value;
        else
            in->submitter_parameter = value;
    }
    if (in->message == NULL) {
        LOWER_ERROR(lw, call, "No message specified for input");
        return NULL;
    }
    return in;
}

/* --- matrix axes --- */

struct axis {
    const char *name;
    const char **values;
    size_t nvalues;
};

/* Reads `values 'a', 'b'` / `notValues ...` of an axis block into strings. */
static bool read_values(struct lower *lw, const struct tp_expr *c, const char ***out, size_t *n)
{
    size_t count = c->kind == TP_EXPR_CALL ? c->args.count : 0;
    *out = tp_arena_alloc(lw->arena, (count + 1) * sizeof(**out));
    *n = 0;
    for (size_t i = 0; i < count; i++) {
        const struct tp_expr *v = c->args.items[i];
        if (!is_literal(v)) {
            LOWER_ERROR(lw, v, "Expected string literal but got %s",
                        tp_lower_line_text(lw, v->line));
            return false;
        }
        const char *text = v->kind == TP_EXPR_BOOL ? (v->flag ? "true" : "false") : v->text;
        for (size_t k = 0; k < *n; k++) {
            if (strcmp((*out)[k], text) == 0) {
                LOWER_ERROR(lw, v, "Duplicate axis value: \"%s\"", text);
                return false;
            }
        }
        (*out)[(*n)++] = text;
    }
    return true;
}

static bool read_axes(struct lower *lw, const struct tp_expr *axes, struct axis **out, size_t *n)
{
    const struct tp_block *body = block_of(lw, axes, "Expected a block for axes");
    if (body == NULL)
        return false;
    if (body->count == 0) {
        LOWER_ERROR(lw, axes, "No axis directives specified");
        return false;
    }
    *out = tp_arena_alloc(lw->arena, body->count * sizeof(**out));
    *n = 0;
    bool ok = true;
    for (size_t i = 0; i < body->count; i++) {
        const struct tp_expr *axis = tp_lower_stmt_call(body->items[i]);
        if (axis == NULL || strcmp(axis->text, "axis") != 0 || tp_lower_block(axis) == NULL) {
            LOWER_ERROR(lw, body->items[i], "Expected an axis");
            ok = false;
            continue;
        }
        struct axis a = { 0 };
        const struct tp_block *fields = tp_lower_block(axis)->body;
        for (size_t k = 0; k < fields->count; k++) {
            const struct tp_expr *f = tp_lower_stmt_call(fields->items[k]);
            if (f != NULL && strcmp(f->text, "name") == 0 && sole_arg(f) != NULL &&
                sole_arg(f)->kind == TP_EXPR_STRING)
                a.name = sole_arg(f)->text;
            else if (f != NULL && strcmp(f->text, "values") == 0)
                ok = read_values(lw, f, &a.values, &a.nvalues) && ok;
            else
                LOWER_ERROR(lw, fields->items[k], "Expected a name or values for axis");
        }
        if (a.name == NULL || a.nvalues == 0) {
            LOWER_ERROR(lw, axis, "An axis needs a name and at least one value");
            ok = false;
            continue;
        }
        if (!tp_str_is_identifier(a.name)) {
            LOWER_ERROR(lw, axis, identifier_message, a.name);
            ok = false;
            continue;
        }
        for (size_t k = 0; k < *n; k++) {
            if (strcmp((*out)[k].name, a.name) == 0) {
                LOWER_ERROR(lw, axis, "Duplicate axis name: \"%s\"", a.name);
                ok = false;
            }
        }
        (*out)[(*n)++] = a;
    }
    return ok;
}

/* One `exclude { axis {...} ... }`: for each axis index, the set of values it excludes. */
struct exclusion {
    const char **values[16];
    size_t nvalues[16];
    bool negate[16];
    bool constrained[16];
};

static bool read_excludes(struct lower *lw, const struct tp_expr *excludes, const struct axis *axes,
                          size_t naxes, struct exclusion **out, size_t *n)
{
    const struct tp_block *body = block_of(lw, excludes, "Expected a block for excludes");
    if (body == NULL)
        return false;
    *out = tp_arena_alloc(lw->arena, (body->count + 1) * sizeof(**out));
    *n = 0;
    for (size_t i = 0; i < body->count; i++) {
        const struct tp_expr *ex = tp_lower_stmt_call(body->items[i]);
        if (ex == NULL || strcmp(ex->text, "exclude") != 0 || tp_lower_block(ex) == NULL) {
            LOWER_ERROR(lw, body->items[i], "Expected an exclude");
            return false;
        }
        struct exclusion *e = &(*out)[(*n)++];
        const struct tp_block *axis_list = tp_lower_block(ex)->body;
        for (size_t k = 0; k < axis_list->count; k++) {
            const struct tp_expr *axis = tp_lower_stmt_call(axis_list->items[k]);
            if (axis == NULL || tp_lower_block(axis) == NULL) {
                LOWER_ERROR(lw, axis_list->items[k], "Expected an axis");
                return false;
            }
            const char *name = NULL;
            const char **values = NULL;
            size_t nvalues = 0;
            int kinds = 0;
            bool negate = false;
            const struct tp_block *fields = tp_lower_block(axis)->body;
            for (size_t f = 0; f < fields->count; f++) {
                const struct tp_expr *field = tp_lower_stmt_call(fields->items[f]);
                if (field == NULL)
                    continue;
                if (strcmp(field->text, "name") == 0 && sole_arg(field) != NULL &&
                    sole_arg(field)->kind == TP_EXPR_STRING) {
                    name = sole_arg(field)->text;
                } else if (strcmp(field->text, "values") == 0 ||
                           strcmp(field->text, "notValues") == 0) {
                    kinds++;
                    negate = field->text[0] == 'n';
                    if (!read_values(lw, field, &values, &nvalues))
                        return false;
                }
            }
            if (kinds != 1) {
                LOWER_ERROR(lw, axis,
                            "Exclude axis must contain either \"values\" or "
                            "\"notValues\"");
                return false;
            }
            size_t index = naxes;
            for (size_t a = 0; a < naxes && name != NULL; a++) {
                if (strcmp(axes[a].name, name) == 0)
                    index = a;
            }
            if (index == naxes || index >= 16) {
                LOWER_ERROR(lw, axis, "Unknown axis name in exclude: \"%s\"", name ? name : "");
                return false;
            }
            e->values[index] = values;
            e->nvalues[index] = nvalues;
            e->negate[index] = negate;
            e->constrained[index] = true;
        }
    }
    return true;
}

static bool excluded(const struct exclusion *ex, size_t nex, const size_t *pick,
                     const struct axis *axes, size_t naxes)
{
    for (size_t i = 0; i < nex; i++) {
        bool all = true;
        for (size_t a = 0; a < naxes && all; a++) {
            if (!ex[i].constrained[a])
                continue;
            bool in = false;
            for (size_t v = 0; v < ex[i].nvalues[a]; v++)
                in = in || strcmp(ex[i].values[a][v], axes[a].values[pick[a]]) == 0;
            all = ex[i].negate[a] ? !in : in;
        }
        if (all)
            return true;
    }
    return false;
}

bool tp_lower_matrix_cells(struct lower *lw, const struct tp_expr *matrix,
                           const struct tp_expr *axes_call, const struct tp_expr *excludes_call,
                           struct tp_matrix_cells *out)
{
    struct axis *axes;
    size_t naxes;
    memset(out, 0, sizeof(*out));
    if (!read_axes(lw, axes_call, &axes, &naxes))
        return false;
    if (naxes > 16) {
        LOWER_ERROR(lw, axes_call, "A matrix may have at most 16 axes");
        return false;
    }
    struct exclusion *ex = NULL;
    size_t nex = 0;
    if (excludes_call != NULL && !read_excludes(lw, excludes_call, axes, naxes, &ex, &nex))
        return false;
    size_t total = 1;
    for (size_t a = 0; a < naxes; a++) {
        total *= axes[a].nvalues;
        if (total > TP_PLAN_MAX_STAGES) {
            LOWER_ERROR(lw, matrix, "The matrix has more than %d cells", TP_PLAN_MAX_STAGES);
            return false;
        }
    }
    out->cells = tp_arena_alloc(lw->arena, total * sizeof(*out->cells));
    out->naxes = naxes;
    /* Cartesian product, the first axis varying fastest (Jenkins' order). */
    size_t pick[16] = { 0 };
    for (size_t cell = 0; cell < total; cell++) {
        size_t rest = cell;
        for (size_t a = 0; a < naxes; a++) {
            pick[a] = rest % axes[a].nvalues;
            rest /= axes[a].nvalues;
        }
        if (excluded(ex, nex, pick, axes, naxes))
            continue;
        struct tp_plan_env *values = tp_arena_alloc(lw->arena, naxes * sizeof(*values));
        for (size_t a = 0; a < naxes; a++) {
            values[a] = (struct tp_plan_env){ .key = axes[a].name,
                                              .line = matrix->line,
                                              .col = matrix->col };
            struct tp_expr *v = tp_arena_alloc(lw->arena, sizeof(*v));
            v->kind = TP_EXPR_STRING;
            v->text = axes[a].values[pick[a]];
            v->len = strlen(v->text);
            v->line = matrix->line;
            v->col = matrix->col;
            values[a].value = v;
        }
        out->cells[out->ncells++] = values;
    }
    return true;
}
