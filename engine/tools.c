/* SPDX-License-Identifier: MIT */
#include "engine/tools.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"
#include "common/str.h"
#include "jenkinsfile/plan.h"

/* What each type's installations set besides PATH, and the Jenkins class of its
 * installations (the `tool` step's type: may name either). */
static const struct {
    const char *type, *class_name, *homes[3];
} kinds[] = {
    { "jdk", "hudson.model.JDK", { "JAVA_HOME" } },
    { "maven", "hudson.tasks.Maven$MavenInstallation", { "MAVEN_HOME", "M2_HOME" } },
    { "gradle", "hudson.plugins.gradle.GradleInstallation", { "GRADLE_HOME" } },
    { "ant", "hudson.tasks.Ant$AntInstallation", { "ANT_HOME" } },
    { "nodejs", "jenkins.plugins.nodejs.tools.NodeJSInstallation", { "NODEJS_HOME" } },
    { "go", "org.jenkinsci.plugins.golang.GolangInstallation", { "GOROOT" } },
    { "dotnetsdk", "io.jenkins.plugins.dotnet.DotNetSDK", { "DOTNET_ROOT" } },
    { "msbuild", "hudson.plugins.msbuild.MsBuildInstallation", { NULL } },
    { "terraform", "org.jenkinsci.plugins.terraform.TerraformInstallation", { NULL } },
};

enum {
    NKINDS = sizeof(kinds) / sizeof(kinds[0])
};

const char *tp_tools_type(const char *type_or_class)
{
    for (size_t i = 0; i < NKINDS; i++) {
        if (strcmp(type_or_class, kinds[i].type) == 0 ||
            strcmp(type_or_class, kinds[i].class_name) == 0)
            return kinds[i].type;
    }
    return NULL;
}

void tp_tools_close(struct tp_tools *tools)
{
    for (size_t i = 0; i < tools->count; i++) {
        free(tools->items[i].type);
        free(tools->items[i].name);
        free(tools->items[i].home);
    }
    free(tools->items);
    tools->items = NULL;
    tools->count = 0;
}

/* Cuts the next blank-separated word off *s. */
static char *word(char **s)
{
    char *start = *s;
    size_t n = strcspn(start, " \t");
    char *rest = start + n;
    if (*rest != '\0')
        *rest++ = '\0';
    while (*rest == ' ' || *rest == '\t')
        rest++;
    *s = rest;
    return start;
}

int tp_tools_parse(const char *text, struct tp_tools *out, struct tp_buf *error)
{
    out->items = NULL;
    out->count = 0;
    char *copy = tp_xstrdup(text), *cursor = copy, *s;
    for (int line = 1; (s = tp_str_next_line(&cursor)) != NULL; line++) {
        if (*s == '\0' || *s == '#')
            continue;
        char *type = word(&s), *name = word(&s), *home = s;
        if (!tp_str_in(type, tp_plan_tool_types))
            tp_buf_printf(error,
                          "line %d: '%s' is not a tool type (one of jdk, maven, gradle, ant, "
                          "nodejs, go, dotnetsdk, msbuild, terraform)",
                          line, type);
        else if (*name == '\0' || *home == '\0')
            tp_buf_printf(error, "line %d: expected TYPE NAME HOME", line);
        else if (home[0] != '/')
            tp_buf_printf(error, "line %d: the home of %s %s is not an absolute path", line, type,
                          name);
        else if (tp_tools_find(out, type, name) != NULL)
            tp_buf_printf(error, "line %d: %s %s is there twice", line, type, name);
        else if (out->count >= TP_TOOLS_MAX)
            tp_buf_printf(error, "line %d: more than %d tools", line, TP_TOOLS_MAX);
        if (error->len > 0) {
            free(copy);
            tp_tools_close(out);
            return TP_EINVAL;
        }
        size_t n = strlen(home);
        while (n > 1 && home[n - 1] == '/')
            home[--n] = '\0';
        out->items = tp_xrealloc(out->items, (out->count + 1) * sizeof(*out->items));
        out->items[out->count++] = (struct tp_tool){ .type = tp_xstrdup(type),
                                                     .name = tp_xstrdup(name),
                                                     .home = tp_xstrdup(home) };
    }
    free(copy);
    return 0;
}

const struct tp_tool *tp_tools_find(const struct tp_tools *tools, const char *type,
                                    const char *name)
{
    for (size_t i = 0; tools != NULL && i < tools->count; i++) {
        const struct tp_tool *t = &tools->items[i];
        if ((type == NULL || strcmp(t->type, type) == 0) && strcmp(t->name, name) == 0)
            return t;
    }
    return NULL;
}

/* Levenshtein distance, as Jenkins' EditDistance ranks its suggestions. */
static size_t distance(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    size_t *row = tp_xmalloc((nb + 1) * sizeof(*row));
    for (size_t j = 0; j <= nb; j++)
        row[j] = j;
    for (size_t i = 1; i <= na; i++) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t above = row[j];
            size_t best = diagonal + (a[i - 1] != b[j - 1]);
            if (above + 1 < best)
                best = above + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diagonal = above;
        }
    }
    size_t d = row[nb];
    free(row);
    return d;
}

void tp_tools_missing(const struct tp_tools *tools, const char *type, const char *name,
                      struct tp_buf *out)
{
    const char *nearest = NULL;
    size_t best = 0;
    for (size_t i = 0; tools != NULL && i < tools->count; i++) {
        const struct tp_tool *t = &tools->items[i];
        if (strcmp(t->type, type) != 0)
            continue;
        size_t d = distance(name, t->name);
        if (nearest == NULL || d < best) {
            nearest = t->name;
            best = d;
        }
    }
    tp_buf_printf(out,
                  "Tool type \"%s\" does not have an install of \"%s\" configured - did you "
                  "mean \"%s\"?",
                  type, name, nearest != NULL ? nearest : "null");
}

void tp_tools_env(const struct tp_tool *tool, void (*each)(void *ctx, const char *entry), void *ctx)
{
    struct tp_buf entry;
    tp_buf_init(&entry);
    for (size_t i = 0; i < NKINDS; i++) {
        if (strcmp(kinds[i].type, tool->type) != 0)
            continue;
        for (size_t h = 0; h < 3 && kinds[i].homes[h] != NULL; h++) {
            tp_buf_reset(&entry);
            tp_buf_printf(&entry, "%s=%s", kinds[i].homes[h], tool->home);
            each(ctx, tp_buf_str(&entry));
        }
    }
    tp_buf_reset(&entry);
    tp_buf_puts(&entry, "PATH+");
    for (const char *p = tool->type; *p; p++)
        tp_buf_putc(&entry, (char)toupper((unsigned char)*p));
    tp_buf_printf(&entry, "=%s/bin", tool->home);
    each(ctx, tp_buf_str(&entry));
    tp_buf_close(&entry);
}
