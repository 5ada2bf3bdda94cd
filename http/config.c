/* SPDX-License-Identifier: MIT */
#include "http/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"

enum {
    MAX_DEPTH = 64,
    MAX_PARAMS = 200
};

static const char CPS[] = "org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition";
static const char CPS_SCM[] = "org.jenkinsci.plugins.workflow.cps.CpsScmFlowDefinition";

struct param {
    const char *symbol; /* string, booleanParam, ... */
    char *name, *description, *default_value;
    bool trim;
    struct tp_buf choices; /* Groovy list items: 'a', 'b' */
    size_t nchoices;
};

struct reader {
    XML_Parser parser;
    const char *stack[MAX_DEPTH];
    int depth;
    struct tp_buf text; /* the current element's text */
    struct tp_job_config *out;
    struct tp_buf *error;
    bool seen_root, has_script;
    bool scm;              /* CpsScmFlowDefinition: the script comes from a git repository */
    int definitions_depth; /* depth of <parameterDefinitions>, 0 when not inside */
    struct param params[MAX_PARAMS];
    size_t nparams;
    struct param *current;
};

static void stop(struct reader *r, const char *message)
{
    if (r->error->len == 0)
        tp_buf_puts(r->error, message);
    XML_StopParser(r->parser, XML_FALSE);
}

static const char *attribute(const XML_Char **attributes, const char *name)
{
    for (size_t i = 0; attributes[i] != NULL; i += 2) {
        if (strcmp(attributes[i], name) == 0)
            return attributes[i + 1];
    }
    return NULL;
}

static const char *param_symbol(const char *element)
{
    static const char *const types[][2] = {
        { "hudson.model.StringParameterDefinition", "string" },
        { "hudson.model.TextParameterDefinition", "text" },
        { "hudson.model.BooleanParameterDefinition", "booleanParam" },
        { "hudson.model.ChoiceParameterDefinition", "choice" },
        { "hudson.model.PasswordParameterDefinition", "password" },
    };
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (strcmp(element, types[i][0]) == 0)
            return types[i][1];
    }
    return NULL;
}

static void XMLCALL on_start(void *data, const XML_Char *name, const XML_Char **attributes)
{
    struct reader *r = data;
    if (r->depth >= MAX_DEPTH) {
        stop(r, "config.xml nests too deeply");
        return;
    }
    if (!r->seen_root) {
        r->seen_root = true;
        if (strcmp(name, TP_FOLDER_XML_ROOT) == 0)
            r->out->folder = true;
        else if (strcmp(name, "flow-definition") != 0)
            stop(r, "tidepool runs Pipeline jobs (flow-definition) only");
    }
    r->stack[r->depth++] = name;
    tp_buf_reset(&r->text);
    if (r->depth == 2 && strcmp(name, "definition") == 0) {
        const char *cls = attribute(attributes, "class");
        if (cls != NULL && strcmp(cls, CPS_SCM) == 0)
            r->scm = true;
        else if (cls != NULL && strcmp(cls, CPS) != 0)
            stop(r, "tidepool runs inline Pipeline scripts (CpsFlowDefinition) only");
    }
    if (strcmp(name, "parameterDefinitions") == 0 && r->definitions_depth == 0) {
        r->definitions_depth = r->depth;
    } else if (r->definitions_depth > 0 && r->depth == r->definitions_depth + 1) {
        const char *symbol = param_symbol(name);
        r->current = NULL;
        if (symbol == NULL) {
            stop(r, "tidepool does not know this parameter type");
        } else if (r->nparams >= MAX_PARAMS) {
            stop(r, "too many parameters");
        } else {
            r->current = &r->params[r->nparams++];
            memset(r->current, 0, sizeof(*r->current));
            r->current->symbol = symbol;
            tp_buf_init(&r->current->choices);
        }
    }
}

/* A Groovy single-quoted string literal of `text`. */
static void groovy_string(struct tp_buf *out, const char *text)
{
    tp_buf_putc(out, '\'');
    for (const char *p = text != NULL ? text : ""; *p; p++) {
        if (*p == '\\' || *p == '\'')
            tp_buf_putc(out, '\\');
        if (*p == '\n')
            tp_buf_puts(out, "\\n");
        else if (*p != '\r')
            tp_buf_putc(out, *p);
    }
    tp_buf_putc(out, '\'');
}

static void add_choice(struct param *p, const char *text)
{
    if (p->nchoices++ > 0)
        tp_buf_puts(&p->choices, ", ");
    groovy_string(&p->choices, text);
}

static void XMLCALL on_end(void *data, const XML_Char *name)
{
    struct reader *r = data;
    const char *text = tp_buf_str(&r->text);
    struct param *p = r->current;
    int in_param = r->definitions_depth > 0 ? r->depth - r->definitions_depth : -1;
    if (r->depth == 2 && strcmp(name, "description") == 0) {
        free(r->out->description);
        r->out->description = text[0] ? tp_xstrdup(text) : NULL;
    } else if (r->depth == 2 && strcmp(name, "disabled") == 0) {
        r->out->disabled = strcmp(text, "true") == 0;
    } else if (r->depth == 3 && strcmp(r->stack[1], "definition") == 0 &&
               strcmp(name, "script") == 0) {
        free(r->out->script);
        r->out->script = tp_xstrdup(text);
        r->has_script = true;
    } else if (p != NULL && in_param == 2) {
        if (strcmp(name, "name") == 0) {
            free(p->name);
            p->name = tp_xstrdup(text);
        } else if (strcmp(name, "description") == 0) {
            free(p->description);
            p->description = tp_xstrdup(text);
        } else if (strcmp(name, "defaultValue") == 0) {
            free(p->default_value);
            p->default_value = tp_xstrdup(text);
        } else if (strcmp(name, "trim") == 0) {
            p->trim = strcmp(text, "true") == 0;
        } else if (strcmp(name, "choices") == 0 && p->nchoices == 0 && text[0] != '\0') {
            /* choices written as newline-separated text */
            char *copy = tp_xstrdup(text);
            for (char *save = NULL, *c = strtok_r(copy, "\n", &save); c != NULL;
                 c = strtok_r(NULL, "\n", &save))
                add_choice(p, c);
            free(copy);
        }
    } else if (p != NULL && in_param > 2 && strcmp(name, "string") == 0) {
        add_choice(p, text); /* <choices><string> or <choices><a class="string-array"><string> */
    }
    const char *parent = r->depth >= 2 ? r->stack[r->depth - 2] : "";
    if (r->scm && strcmp(r->stack[1], "definition") == 0) {
        char **into =
            strcmp(name, "url") == 0 && strcmp(parent, "hudson.plugins.git.UserRemoteConfig") == 0
                ? &r->out->scm_url
            : strcmp(name, "name") == 0 && strcmp(parent, "hudson.plugins.git.BranchSpec") == 0
                ? &r->out->scm_branch
            : r->depth == 3 && strcmp(name, "scriptPath") == 0 ? &r->out->script_path
                                                               : NULL;
        if (into != NULL && *into == NULL && text[0] != '\0')
            *into = tp_xstrdup(text);
        if (r->depth == 3 && strcmp(name, "scm") == 0 && r->out->scm_url == NULL)
            stop(r, "tidepool runs Pipeline scripts from git repositories only (GitSCM with a "
                    "url)");
    }
    const char *grand = r->depth >= 3 ? r->stack[r->depth - 3] : "";
    if (strcmp(name, "org.jenkinsci.plugins.workflow.job.properties."
                     "DisableConcurrentBuildsJobProperty") == 0) {
        r->out->no_concurrent = true;
    } else if (strcmp(grand, "jenkins.model.BuildDiscarderProperty") == 0 &&
               strcmp(parent, "strategy") == 0 &&
               (strcmp(name, "numToKeep") == 0 || strcmp(name, "daysToKeep") == 0)) {
        long value = strtol(text, NULL, 10);
        int v = value > 0 && value < 1000000 ? (int)value : -1;
        if (name[0] == 'n')
            r->out->keep_runs = v;
        else
            r->out->keep_days = v;
    } else if (strcmp(parent, "hudson.triggers.TimerTrigger") == 0 && strcmp(name, "spec") == 0 &&
               text[0] != '\0') {
        size_t have = r->out->cron != NULL ? strlen(r->out->cron) : 0;
        r->out->cron = tp_xrealloc(r->out->cron, have + strlen(text) + 2);
        sprintf(r->out->cron + have, "%s%s", have > 0 ? "\n" : "", text);
    }
    if (r->definitions_depth > 0 && r->depth == r->definitions_depth)
        r->definitions_depth = 0;
    r->depth--;
    tp_buf_reset(&r->text);
}

static void XMLCALL on_text(void *data, const XML_Char *s, int len)
{
    struct reader *r = data;
    if (r->text.len + (size_t)len > TP_CONFIG_MAX)
        stop(r, "config.xml text too large");
    else
        tp_buf_append(&r->text, s, (size_t)len);
}

/* The definitions as a Groovy list, or NULL when there are none. */
static char *parameters_groovy(struct reader *r)
{
    if (r->nparams == 0)
        return NULL;
    struct tp_buf out;
    tp_buf_init(&out);
    tp_buf_putc(&out, '[');
    for (size_t i = 0; i < r->nparams; i++) {
        struct param *p = &r->params[i];
        tp_buf_printf(&out, "%s%s(name: ", i ? ", " : "", p->symbol);
        groovy_string(&out, p->name);
        if (strcmp(p->symbol, "choice") == 0) {
            tp_buf_printf(&out, ", choices: [%s]", tp_buf_str(&p->choices));
        } else if (strcmp(p->symbol, "booleanParam") == 0) {
            tp_buf_printf(&out, ", defaultValue: %s",
                          p->default_value != NULL && strcmp(p->default_value, "true") == 0
                              ? "true"
                              : "false");
        } else {
            tp_buf_puts(&out, ", defaultValue: ");
            groovy_string(&out, p->default_value);
        }
        tp_buf_puts(&out, ", description: ");
        groovy_string(&out, p->description);
        if (p->trim)
            tp_buf_puts(&out, ", trim: true");
        tp_buf_putc(&out, ')');
    }
    tp_buf_putc(&out, ']');
    return tp_buf_take(&out);
}

int tp_job_config_parse(const char *xml, size_t len, struct tp_job_config *out,
                        struct tp_buf *error)
{
    memset(out, 0, sizeof(*out));
    out->keep_runs = out->keep_days = -1;
    if (len > TP_CONFIG_MAX) {
        tp_buf_puts(error, "config.xml is too large");
        return TP_EINVAL;
    }
    struct reader r = { .out = out, .error = error };
    tp_buf_init(&r.text);
    r.parser = XML_ParserCreate("UTF-8");
    XML_SetUserData(r.parser, &r);
    XML_SetElementHandler(r.parser, on_start, on_end);
    XML_SetCharacterDataHandler(r.parser, on_text);
    if (XML_Parse(r.parser, xml, (int)len, XML_TRUE) == XML_STATUS_ERROR && error->len == 0)
        tp_buf_printf(error, "Malformed config.xml: %s at line %lu",
                      XML_ErrorString(XML_GetErrorCode(r.parser)),
                      (unsigned long)XML_GetCurrentLineNumber(r.parser));
    if (error->len == 0 && r.scm && out->scm_url == NULL)
        tp_buf_puts(error, "config.xml has no git repository url for its Pipeline script");
    if (error->len == 0 && r.scm) {
        free(out->script);
        out->script = tp_xstrdup(""); /* read from the repository when a build starts */
        r.has_script = true;
    }
    if (error->len == 0 && !r.has_script && !out->folder)
        tp_buf_puts(error, "config.xml has no Pipeline script (definition/script)");
    if (error->len == 0)
        out->parameters = parameters_groovy(&r);
    for (size_t i = 0; i < r.nparams; i++) {
        free(r.params[i].name);
        free(r.params[i].description);
        free(r.params[i].default_value);
        tp_buf_close(&r.params[i].choices);
    }
    XML_ParserFree(r.parser);
    tp_buf_close(&r.text);
    if (error->len > 0) {
        tp_job_config_close(out);
        return TP_EINVAL;
    }
    return 0;
}

void tp_job_config_close(struct tp_job_config *config)
{
    free(config->script);
    free(config->description);
    free(config->parameters);
    free(config->cron);
    free(config->scm_url);
    free(config->scm_branch);
    free(config->script_path);
    memset(config, 0, sizeof(*config));
}

static void xml_text(struct tp_buf *out, const char *text)
{
    for (const char *p = text != NULL ? text : ""; *p; p++) {
        switch (*p) {
        case '<':
            tp_buf_puts(out, "&lt;");
            break;
        case '>':
            tp_buf_puts(out, "&gt;");
            break;
        case '&':
            tp_buf_puts(out, "&amp;");
            break;
        case '"':
            tp_buf_puts(out, "&quot;");
            break;
        case '\'':
            tp_buf_puts(out, "&apos;");
            break;
        default:
            tp_buf_putc(out, *p);
        }
    }
}

void tp_folder_config_write(const char *description, struct tp_buf *out)
{
    tp_buf_puts(out, "<?xml version='1.1' encoding='UTF-8'?>\n<" TP_FOLDER_XML_ROOT
                     " plugin=\"cloudbees-folder\">\n  <actions/>\n  <description>");
    xml_text(out, description);
    tp_buf_puts(out, "</description>\n  <properties/>\n</" TP_FOLDER_XML_ROOT ">\n");
}

void tp_job_config_write(const char *script, const char *description, bool disabled,
                         struct tp_buf *out)
{
    tp_buf_puts(out, "<?xml version='1.1' encoding='UTF-8'?>\n"
                     "<flow-definition plugin=\"workflow-job\">\n  <actions/>\n"
                     "  <description>");
    xml_text(out, description);
    tp_buf_puts(out, "</description>\n  <keepDependencies>false</keepDependencies>\n"
                     "  <properties/>\n"
                     "  <definition class=\"org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition\""
                     " plugin=\"workflow-cps\">\n    <script>");
    xml_text(out, script);
    tp_buf_printf(out,
                  "</script>\n    <sandbox>true</sandbox>\n  </definition>\n  <triggers/>\n"
                  "  <disabled>%s</disabled>\n</flow-definition>\n",
                  disabled ? "true" : "false");
}
