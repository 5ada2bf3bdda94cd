/* SPDX-License-Identifier: MIT */
/* engine/stubs: the --stubs file format. */
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "engine/stubs.h"
#include "harness/tp_test.h"

TP_TEST(stubs_parse_each_kind_and_skip_comments)
{
    struct tp_stubs stubs;
    struct tp_buf error;
    tp_buf_init(&error);
    ASSERT_OK(tp_stubs_parse("# comment\n\n  slackSend   noop  \nscan shell:echo \"$X\" done\n"
                             "deploy fail",
                             &stubs, &error));
    ASSERT_EQ(3, (int)stubs.count);
    ASSERT_EQ(TP_STUB_NOOP, tp_stubs_find(&stubs, "slackSend")->kind);
    ASSERT_EQ(TP_STUB_SHELL, tp_stubs_find(&stubs, "scan")->kind);
    ASSERT_STR_EQ("echo \"$X\" done", tp_stubs_find(&stubs, "scan")->command);
    ASSERT_EQ(TP_STUB_FAIL, tp_stubs_find(&stubs, "deploy")->kind);
    ASSERT_TRUE(tp_stubs_find(&stubs, "other") == NULL);
    tp_stubs_close(&stubs);
    tp_buf_close(&error);
}

TP_TEST(stubs_errors_name_the_line)
{
    static const struct {
        const char *text, *error;
    } cases[] = {
        { "a noop\nb maybe\n", "line 2: expected noop, shell:<command> or fail after b" },
        { "a noop\na fail\n", "line 2: a is stubbed twice" },
        { "1x noop\n", "line 1: '1x' is not a step name" },
        { "a shell:\n", "line 1: expected noop, shell:<command> or fail after a" },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct tp_stubs stubs;
        struct tp_buf error;
        tp_buf_init(&error);
        ASSERT_EQ(TP_EINVAL, tp_stubs_parse(cases[i].text, &stubs, &error));
        ASSERT_STR_EQ(cases[i].error, tp_buf_str(&error));
        ASSERT_EQ(0, (int)stubs.count);
        tp_buf_close(&error);
    }
}

TP_TEST_LIST(TP_CASE(stubs_parse_each_kind_and_skip_comments), TP_CASE(stubs_errors_name_the_line))
