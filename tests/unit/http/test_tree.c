/* SPDX-License-Identifier: MIT */
/* http/tree: the tree= query language. */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "harness/tp_test.h"
#include "http/tree.h"

/* Applies `tree` to the JSON `in` and returns the compact result (malloc'd). */
static char *apply(const char *tree_text, const char *in)
{
    struct tp_arena arena;
    tp_arena_init(&arena);
    struct tp_tree *tree;
    char *out = NULL;
    if (tp_tree_parse(tree_text, &arena, &tree) == 0) {
        cJSON *json = cJSON_Parse(in);
        tp_tree_apply(json, tree);
        out = cJSON_PrintUnformatted(json);
        cJSON_Delete(json);
    }
    tp_arena_close(&arena);
    return out;
}

#define EXPECT_TREE(tree, in, expected) \
    do {                                \
        char *got = apply(tree, in);    \
        ASSERT_TRUE(got != NULL);       \
        ASSERT_STR_EQ(expected, got);   \
        free(got);                      \
    } while (0)

static const char JOB[] =
    "{\"_class\":\"J\",\"name\":\"x\",\"url\":\"u\",\"color\":\"blue\","
    "\"builds\":[{\"_class\":\"B\",\"number\":3,\"result\":\"SUCCESS\"},"
    "{\"_class\":\"B\",\"number\":2,\"result\":\"FAILURE\"},"
    "{\"_class\":\"B\",\"number\":1,\"result\":null}],"
    "\"lastBuild\":{\"_class\":\"B\",\"number\":3,\"actions\":[{\"_class\":\"A\",\"x\":1}]}}";

TP_TEST(tree_selects_fields_nests_and_slices)
{
    EXPECT_TREE("name", JOB, "{\"_class\":\"J\",\"name\":\"x\"}");
    EXPECT_TREE("name,nope", JOB, "{\"_class\":\"J\",\"name\":\"x\"}");
    EXPECT_TREE("builds[number]{1,3}", JOB,
                "{\"_class\":\"J\",\"builds\":[{\"_class\":\"B\",\"number\":2},"
                "{\"_class\":\"B\",\"number\":1}]}");
    EXPECT_TREE("builds[number]{,1}", JOB,
                "{\"_class\":\"J\",\"builds\":[{\"_class\":\"B\",\"number\":3}]}");
    EXPECT_TREE("builds[number]{2}", JOB,
                "{\"_class\":\"J\",\"builds\":[{\"_class\":\"B\",\"number\":1}]}");
    EXPECT_TREE("lastBuild", JOB, "{\"_class\":\"J\",\"lastBuild\":{\"_class\":\"B\"}}");
    EXPECT_TREE("lastBuild[actions[*]]", JOB,
                "{\"_class\":\"J\",\"lastBuild\":{\"_class\":\"B\",\"actions\":[{\"_class\":"
                "\"A\",\"x\":1}]}}");
    EXPECT_TREE("builds", JOB,
                "{\"_class\":\"J\",\"builds\":[{\"_class\":\"B\"},{\"_class\":\"B\"},"
                "{\"_class\":\"B\"}]}");
    EXPECT_TREE("name{0,50}", JOB, "{\"_class\":\"J\",\"name\":\"x\"}"); /* harmless on scalars */
    EXPECT_TREE("*", "{\"_class\":\"J\",\"a\":1,\"o\":{\"_class\":\"O\",\"b\":2}}",
                "{\"_class\":\"J\",\"a\":1,\"o\":{\"_class\":\"O\"}}");
    EXPECT_TREE(
        "jobs[name,jobs[name]]",
        "{\"jobs\":[{\"name\":\"f\",\"url\":\"u\",\"jobs\":[{\"name\":\"c\",\"url\":\"v\"}]}]}",
        "{\"jobs\":[{\"name\":\"f\",\"jobs\":[{\"name\":\"c\"}]}]}");
    EXPECT_TREE("a,,b,", "{\"a\":1,\"b\":2,\"c\":3}", "{\"a\":1,\"b\":2}");
}

TP_TEST(tree_rejects_malformed_expressions)
{
    static const char *const bad[] = { "jobs[name", "jobs]", "a{x}", "a{1,2", "a[b]]", NULL };
    struct tp_arena arena;
    tp_arena_init(&arena);
    for (const char *const *b = bad; *b != NULL; b++) {
        struct tp_tree *tree;
        ASSERT_EQ(TP_EINVAL, tp_tree_parse(*b, &arena, &tree));
    }
    char deep[64] = "";
    for (int i = 0; i < 20; i++)
        strcat(deep, "a[");
    struct tp_tree *tree;
    ASSERT_EQ(TP_EINVAL, tp_tree_parse(deep, &arena, &tree));
    tp_arena_close(&arena);
}

TP_TEST_LIST(TP_CASE(tree_selects_fields_nests_and_slices),
             TP_CASE(tree_rejects_malformed_expressions))
