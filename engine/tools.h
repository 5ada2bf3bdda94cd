/* SPDX-License-Identifier: MIT */
/*
 * Tool installations (`--tools FILE`), what Jenkins keeps in its global tool configuration:
 * each a type, a name and the directory it is installed in. One per line:
 *
 *   # TYPE  NAME   HOME
 *   jdk     jdk17  /usr/lib/jvm/java-17-openjdk-amd64
 *   maven   M3     /usr/share/maven
 *
 * `tools { maven 'M3' }` and the `tool` step look installations up here; an installation
 * gives the environment Jenkins' envVarsForTool gives (JAVA_HOME, M2_HOME..., and its bin
 * directory in front of PATH). Pure: parsing and lookups; the engine applies them.
 */
#ifndef TP_ENGINE_TOOLS_H
#define TP_ENGINE_TOOLS_H

#include <stddef.h>

struct tp_buf;

struct tp_tool {
    char *type; /* a declarative tool type: jdk, maven, gradle, ... */
    char *name;
    char *home; /* absolute */
};

struct tp_tools {
    struct tp_tool *items;
    size_t count;
};

enum {
    TP_TOOLS_MAX = 1000, /* installations in one file */
    TP_TOOLS_MAX_FILE = 1 << 20
};

/*
 * Parses a tools file's text into `out` (owned: free with tp_tools_close).
 * Returns 0, or TP_EINVAL with "line N: problem" in `error` (nothing is kept).
 */
int tp_tools_parse(const char *text, struct tp_tools *out, struct tp_buf *error);
void tp_tools_close(struct tp_tools *tools);

/* The type a `tool` step's `type:` names: a declarative type ("maven") or the Jenkins class
 * of its installations ("hudson.tasks.Maven$MavenInstallation"); NULL when neither. */
const char *tp_tools_type(const char *type_or_class);

/* The installation `name` of `type` (any type when NULL), or NULL. `tools` may be NULL. */
const struct tp_tool *tp_tools_find(const struct tp_tools *tools, const char *type,
                                    const char *name);

/* Jenkins' message for an installation that is not there: `Tool type "maven" does not have an
 * install of "M4" configured - did you mean "M3"?` (the nearest name of that type, or null). */
void tp_tools_missing(const struct tp_tools *tools, const char *type, const char *name,
                      struct tp_buf *out);

/* Calls `each` with the variables the installation sets, as withEnv takes them: "JAVA_HOME=..."
 * then "PATH+JDK=<home>/bin". */
void tp_tools_env(const struct tp_tool *tool, void (*each)(void *ctx, const char *entry),
                  void *ctx);

#endif
