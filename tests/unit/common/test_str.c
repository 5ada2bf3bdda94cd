/* SPDX-License-Identifier: MIT */
/* common/str */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"
#include "common/str.h"
#include "common/timefmt.h"
#include "harness/tp_test.h"

TP_TEST(str_to_i64_is_strict)
{
    int64_t v = 0;
    ASSERT_OK(tp_str_to_i64("42", 2, &v));
    ASSERT_EQ(42, v);
    ASSERT_OK(tp_str_to_i64("-7", 2, &v));
    ASSERT_EQ(-7, v);
    ASSERT_EQ(TP_EINVAL, tp_str_to_i64("", 0, &v));
    ASSERT_EQ(TP_EINVAL, tp_str_to_i64("-", 1, &v));
    ASSERT_EQ(TP_EINVAL, tp_str_to_i64("1e3", 3, &v));
    ASSERT_EQ(TP_EINVAL, tp_str_to_i64(" 1", 2, &v));
    ASSERT_EQ(TP_EINVAL, tp_str_to_i64("99999999999999999999", 20, &v));
    ASSERT_OK(tp_str_to_i64("9223372036854775807", 19, &v));
}

TP_TEST(url_decode_and_encode)
{
    struct tp_buf b;
    tp_buf_init(&b);
    ASSERT_OK(tp_str_url_decode("a%20b+c", 7, true, &b));
    ASSERT_STR_EQ("a b c", b.data);
    tp_buf_reset(&b);
    ASSERT_OK(tp_str_url_decode("a+b%2Fc", 7, false, &b));
    ASSERT_STR_EQ("a+b/c", b.data);
    tp_buf_reset(&b);
    ASSERT_EQ(TP_EINVAL, tp_str_url_decode("%zz", 3, false, &b));
    tp_buf_reset(&b);
    ASSERT_EQ(TP_EINVAL, tp_str_url_decode("abc%4", 5, false, &b));
    tp_buf_reset(&b);
    ASSERT_EQ(TP_EINVAL, tp_str_url_decode("%00", 3, false, &b));
    tp_buf_reset(&b);
    tp_str_url_encode("feature/ux 1", &b);
    ASSERT_STR_EQ("feature%2Fux%201", b.data);
    tp_buf_close(&b);
    ASSERT_TRUE(tp_str_is_identifier("_A1"));
    ASSERT_TRUE(!tp_str_is_identifier("my-var"));
    ASSERT_TRUE(!tp_str_is_identifier("1a"));
}

TP_TEST(str_in_finds_exact_members)
{
    static const char *const list[] = { "timeout", "retry", NULL };
    ASSERT_TRUE(tp_str_in("retry", list));
    ASSERT_TRUE(!tp_str_in("retr", list));
    ASSERT_TRUE(!tp_str_in("retry ", list));
    static const char *const none[] = { NULL };
    ASSERT_TRUE(!tp_str_in("x", none));
}

TP_TEST(glob_matches_ant_paths)
{
    ASSERT_TRUE(tp_str_glob("**", "out/lib/a.jar", true));
    ASSERT_TRUE(tp_str_glob("out/**", "out/lib/a.jar", true));
    ASSERT_TRUE(tp_str_glob("**/*.log", "build.log", true));
    ASSERT_TRUE(tp_str_glob("**/*.log", "out/x/build.log", true));
    ASSERT_TRUE(!tp_str_glob("*.log", "out/build.log", true)); /* '*' stays in a segment */
    ASSERT_TRUE(tp_str_glob("release-?", "release-1", true));
    ASSERT_TRUE(!tp_str_glob("a?b", "a/b", true));
    ASSERT_TRUE(tp_str_glob("MAIN", "main", false));
    ASSERT_TRUE(!tp_str_glob("MAIN", "main", true));
}

TP_TEST_LIST(TP_CASE(str_in_finds_exact_members), TP_CASE(glob_matches_ant_paths),
             TP_CASE(str_to_i64_is_strict), TP_CASE(url_decode_and_encode))
