/* SPDX-License-Identifier: MIT */
/*
 * Golden tests of the plan: tests/golden/plan/NAME.Jenkinsfile compiles to the dump in
 * NAME.plan (stage tree, ids, kinds, directives, steps, graph). TP_UPDATE_GOLDEN=1 rewrites
 * the .plan files; review the diff before committing it.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/fs.h"
#include "harness/tp_test.h"
#include "jenkinsfile/plan.h"

/* The whole file at `path` in `out` (replacing what it held). */
static bool read_all(const char *path, struct tp_buf *out)
{
    tp_buf_reset(out);
    return tp_fs_read_file(path, SIZE_MAX, out) == 0;
}

TP_TEST(plans_match_their_golden_dumps)
{
    const char *dir = getenv("TP_GOLDEN_DIR");
    bool update = getenv("TP_UPDATE_GOLDEN") != NULL;
    ASSERT_TRUE(dir != NULL);
    DIR *d = opendir(dir);
    ASSERT_TRUE(d != NULL);
    struct dirent *e;
    int checked = 0, different = 0;
    struct tp_buf text, expected, dump;
    tp_buf_init(&text);
    tp_buf_init(&expected);
    tp_buf_init(&dump);
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 12 || strcmp(e->d_name + len - 12, ".Jenkinsfile") != 0 || len > 200)
            continue;
        char path[4096], golden[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        snprintf(golden, sizeof(golden), "%s/%.*s.plan", dir, (int)(len - 12), e->d_name);
        ASSERT_TRUE(read_all(path, &text));
        struct tp_plan *plan;
        int err = tp_plan_compile(text.data, text.len, &plan);
        tp_buf_reset(&dump);
        if (err == 0)
            tp_plan_dump(plan, &dump);
        else
            tp_plan_format_errors(plan, &dump);
        tp_plan_free(plan);
        if (update) {
            FILE *f = fopen(golden, "wb");
            ASSERT_TRUE(f != NULL);
            fwrite(dump.data, 1, dump.len, f);
            fclose(f);
        } else if (!read_all(golden, &expected) || strcmp(expected.data, dump.data) != 0) {
            printf("  %s differs from %s:\n%s\n", e->d_name, golden, dump.data);
            different++;
        }
        checked++;
    }
    closedir(d);
    tp_buf_close(&text);
    tp_buf_close(&expected);
    tp_buf_close(&dump);
    ASSERT_TRUE(checked >= 4);
    ASSERT_EQ(0, different);
}

TP_TEST_LIST(TP_CASE(plans_match_their_golden_dumps))
