/* SPDX-License-Identifier: MIT */
/*
 * The real-world corpus (../shared/corpus/jenkinsfiles): every file Jenkins accepts compiles
 * without a diagnostic, and every file Jenkins rejected fails with the first error that
 * SOURCES.tsv records for it (files whose braces do not balance fail in the parser, as
 * Groovy's compiler does).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/fs.h"
#include "harness/tp_test.h"
#include "jenkinsfile/plan.h"

static const char *corpus_dir(void)
{
    const char *dir = getenv("TP_CORPUS_DIR");
    return dir != NULL ? dir : "../shared/corpus/jenkinsfiles";
}

/* The whole file at `path` in `out` (replacing what it held). */
static bool read_all(const char *path, struct tp_buf *out)
{
    tp_buf_reset(out);
    return tp_fs_read_file(path, SIZE_MAX, out) == 0;
}

/* The expected first error from a SOURCES.tsv features field: "INVALID(msg | msg ...)". */
static bool expected_error(const char *features, char *out, size_t size)
{
    const char *start = strstr(features, "INVALID(");
    if (start == NULL)
        return false;
    start += 8;
    size_t n = strcspn(start, "|");
    const char *close = strstr(start, ")");
    /* A message ends at " | " or at the ")" closing INVALID( when it is the only one. */
    if (close != NULL && (size_t)(close - start) < n && strchr(start, '|') == NULL)
        n = (size_t)(close - start);
    while (n > 0 && start[n - 1] == ' ')
        n--;
    if (n >= size)
        n = size - 1;
    memcpy(out, start, n);
    out[n] = '\0';
    return true;
}

TP_TEST(valid_files_lint_clean_and_rejected_files_fail_like_jenkins)
{
    char index_path[4096];
    snprintf(index_path, sizeof(index_path), "%s/SOURCES.tsv", corpus_dir());
    FILE *index = fopen(index_path, "r");
    if (index == NULL)
        printf("  corpus not found at %s: set TP_CORPUS_DIR\n", corpus_dir());
    ASSERT_TRUE(index != NULL);
    static char line[65536];
    struct tp_buf text;
    tp_buf_init(&text);
    int valid = 0, rejected = 0, problems = 0;
    while (fgets(line, sizeof(line), index) != NULL) {
        char *tab = strchr(line, '\t');
        if (tab == NULL || strncmp(line, "file\t", 5) == 0)
            continue;
        *tab = '\0';
        if (strlen(line) > 255)
            continue;
        char path[4096 + 256];
        snprintf(path, sizeof(path), "%.4000s/%.255s", corpus_dir(), line);
        ASSERT_TRUE(read_all(path, &text));
        struct tp_plan *plan;
        int err = tp_plan_compile(text.data, text.len, &plan);
        char expected[1024];
        const char *first = plan->diags.count ? plan->diags.items[0].message : "(none)";
        if (!expected_error(tab + 1, expected, sizeof(expected))) {
            valid++;
            if (err != 0) {
                printf("  %s: false error at %d:%d: %s\n", line, plan->diags.items[0].line,
                       plan->diags.items[0].col, first);
                problems++;
            }
        } else {
            rejected++;
            bool groovy = strstr(expected, "Groovy compilation would fail") != NULL;
            bool ok = err == TP_ESYNTAX &&
                      (groovy ? strstr(first, "expecting") == first : strcmp(first, expected) == 0);
            if (!ok) {
                printf("  %s:\n    expected %s\n    got      %s\n", line, expected, first);
                problems++;
            }
        }
        tp_plan_free(plan);
    }
    fclose(index);
    tp_buf_close(&text);
    ASSERT_EQ(106, valid);
    ASSERT_EQ(10, rejected);
    ASSERT_EQ(0, problems);
}

TP_TEST_LIST(TP_CASE(valid_files_lint_clean_and_rejected_files_fail_like_jenkins))
