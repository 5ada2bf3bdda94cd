/* SPDX-License-Identifier: MIT */
/* engine/tools: the --tools file format, lookups, Jenkins' messages, the environment. */
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "engine/tools.h"
#include "harness/tp_test.h"

TP_TEST(tools_parse_and_find)
{
    struct tp_tools tools;
    struct tp_buf error;
    tp_buf_init(&error);
    ASSERT_OK(tp_tools_parse("# TYPE NAME HOME\n\n  jdk  jdk17   /opt/jdk 17/  \r\n"
                             "maven M3 /usr/share/maven\nmaven M4 /opt/m4",
                             &tools, &error));
    ASSERT_EQ(3, (int)tools.count);
    ASSERT_STR_EQ("/opt/jdk 17", tp_tools_find(&tools, "jdk", "jdk17")->home);
    ASSERT_STR_EQ("/usr/share/maven", tp_tools_find(&tools, NULL, "M3")->home);
    ASSERT_TRUE(tp_tools_find(&tools, "jdk", "M3") == NULL);
    ASSERT_TRUE(tp_tools_find(NULL, "jdk", "jdk17") == NULL);
    ASSERT_STR_EQ("maven", tp_tools_type("hudson.tasks.Maven$MavenInstallation"));
    ASSERT_STR_EQ("jdk", tp_tools_type("jdk"));
    ASSERT_TRUE(tp_tools_type("hammer") == NULL);

    tp_tools_missing(&tools, "maven", "M5", &error);
    ASSERT_STR_EQ("Tool type \"maven\" does not have an install of \"M5\" configured - did you "
                  "mean \"M3\"?",
                  tp_buf_str(&error));
    tp_buf_reset(&error);
    tp_tools_missing(&tools, "gradle", "g7", &error);
    ASSERT_STR_EQ("Tool type \"gradle\" does not have an install of \"g7\" configured - did you "
                  "mean \"null\"?",
                  tp_buf_str(&error));
    tp_tools_close(&tools);
    tp_buf_close(&error);
}

static void collect(void *ctx, const char *entry)
{
    struct tp_buf *out = ctx;
    tp_buf_printf(out, "%s;", entry);
}

TP_TEST(tools_env_is_envVarsForTool)
{
    struct tp_buf out;
    tp_buf_init(&out);
    char maven_type[] = "maven", maven_name[] = "M3", maven_home[] = "/m";
    struct tp_tool maven = { .type = maven_type, .name = maven_name, .home = maven_home };
    tp_tools_env(&maven, collect, &out);
    ASSERT_STR_EQ("MAVEN_HOME=/m;M2_HOME=/m;PATH+MAVEN=/m/bin;", tp_buf_str(&out));
    tp_buf_reset(&out);
    char tf_type[] = "terraform", tf_name[] = "t", tf_home[] = "/t";
    struct tp_tool tf = { .type = tf_type, .name = tf_name, .home = tf_home };
    tp_tools_env(&tf, collect, &out);
    ASSERT_STR_EQ("PATH+TERRAFORM=/t/bin;", tp_buf_str(&out));
    tp_buf_close(&out);
}

TP_TEST(tools_errors_name_the_line)
{
    static const struct {
        const char *text, *error;
    } cases[] = {
        { "jdk a /x\nhammer h /y\n", "line 2: 'hammer' is not a tool type (one of jdk, maven, "
                                     "gradle, ant, nodejs, go, dotnetsdk, msbuild, terraform)" },
        { "jdk a /x\njdk a /y\n", "line 2: jdk a is there twice" },
        { "maven M3\n", "line 1: expected TYPE NAME HOME" },
        { "maven M3 opt/maven\n", "line 1: the home of maven M3 is not an absolute path" },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct tp_tools tools;
        struct tp_buf error;
        tp_buf_init(&error);
        ASSERT_EQ(TP_EINVAL, tp_tools_parse(cases[i].text, &tools, &error));
        ASSERT_STR_EQ(cases[i].error, tp_buf_str(&error));
        ASSERT_EQ(0, (int)tools.count);
        tp_buf_close(&error);
    }
}

TP_TEST_LIST(TP_CASE(tools_parse_and_find), TP_CASE(tools_env_is_envVarsForTool),
             TP_CASE(tools_errors_name_the_line))
