/* SPDX-License-Identifier: MIT */
/* common/fs */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/fs.h"
#include "harness/tp_test.h"

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

TP_TEST(mkdir_p_read_and_remove_a_tree)
{
    char root[] = "/tmp/tp-fs-XXXXXX";
    ASSERT_TRUE(mkdtemp(root) != NULL);
    char deep[128], file[160], link[160];
    snprintf(deep, sizeof(deep), "%s/a/b/c", root);
    ASSERT_OK(tp_fs_mkdir_p(deep));
    ASSERT_OK(tp_fs_mkdir_p(deep)); /* again: nothing to do */
    snprintf(file, sizeof(file), "%s/note.txt", deep);
    FILE *f = fopen(file, "w");
    ASSERT_TRUE(f != NULL);
    fputs("hello", f);
    fclose(f);

    struct tp_buf text;
    tp_buf_init(&text);
    ASSERT_OK(tp_fs_read_file(file, 100, &text));
    ASSERT_STR_EQ("hello", tp_buf_str(&text));
    tp_buf_reset(&text);
    ASSERT_EQ(TP_ETOOBIG, tp_fs_read_file(file, 4, &text));
    tp_buf_reset(&text);
    snprintf(link, sizeof(link), "%s/missing", root);
    ASSERT_TRUE(tp_fs_read_file(link, 100, &text) < 0);
    tp_buf_close(&text);

    /* A link in the tree is removed, not followed. */
    snprintf(link, sizeof(link), "%s/a/outside", root);
    ASSERT_EQ(0, symlink("/tmp", link));
    ASSERT_OK(tp_fs_remove_tree(root));
    ASSERT_TRUE(!exists(root));
    ASSERT_TRUE(exists("/tmp"));
}

TP_TEST_LIST(TP_CASE(mkdir_p_read_and_remove_a_tree))
