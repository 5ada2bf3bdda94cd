/* SPDX-License-Identifier: MIT */
/* common/: buffers, strings, errors, time formatting. */
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

TP_TEST(buf_grows_and_consumes)
{
    struct tp_buf b;
    tp_buf_init(&b);
    ASSERT_STR_EQ("", tp_buf_str(&b));
    for (int i = 0; i < 1000; i++)
        tp_buf_printf(&b, "%d,", i);
    ASSERT_TRUE(b.len > 3000);
    ASSERT_TRUE(strncmp(b.data, "0,1,2,", 6) == 0);
    tp_buf_consume(&b, 2);
    ASSERT_TRUE(strncmp(b.data, "1,2,", 4) == 0);
    tp_buf_consume(&b, b.len + 5);
    ASSERT_EQ(0, b.len);
    char *taken = (tp_buf_puts(&b, "xyz"), tp_buf_take(&b));
    ASSERT_STR_EQ("xyz", taken);
    ASSERT_EQ(0, b.len);
    free(taken);
    tp_buf_close(&b);
}

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

TP_TEST(errors_map_to_http_status)
{
    ASSERT_EQ(404, tp_err_http_status(TP_ENOTFOUND));
    ASSERT_EQ(413, tp_err_http_status(TP_ETOOBIG));
    ASSERT_EQ(415, tp_err_http_status(TP_EMEDIA));
    ASSERT_EQ(500, tp_err_http_status(-2));
    ASSERT_STR_EQ("not found", tp_strerror(TP_ENOTFOUND));
    ASSERT_STR_EQ("TP_ECONFLICT", tp_err_name(TP_ECONFLICT));
}

TP_TEST(time_format_is_jenkins_format)
{
    setenv("TZ", "UTC", 1);
    tzset();
    char text[40];
    tp_time_format(1714557600123LL, text, sizeof(text));
    ASSERT_STR_EQ("2024-05-01T10:00:00.123+0000", text);
    setenv("TZ", "America/Los_Angeles", 1);
    tzset();
    tp_time_format(1458144146492LL, text, sizeof(text));
    ASSERT_STR_EQ("2016-03-16T09:02:26.492-0700", text);
    setenv("TZ", "UTC", 1);
    tzset();
}

TP_TEST(arena_allocates_aligned_zeroed_memory)
{
    struct tp_arena a;
    tp_arena_init(&a);
    for (int i = 0; i < 5000; i++) {
        char *p = tp_arena_alloc(&a, (size_t)(i % 97) + 1);
        ASSERT_EQ(0, (uintptr_t)p % _Alignof(max_align_t));
        ASSERT_EQ(0, p[0]);
    }
    char *big = tp_arena_alloc(&a, 100000);
    big[99999] = 1;
    ASSERT_STR_EQ("x=5", tp_arena_printf(&a, "x=%d", 5));
    tp_arena_close(&a);
}

TP_TEST_LIST(TP_CASE(buf_grows_and_consumes), TP_CASE(str_to_i64_is_strict),
             TP_CASE(url_decode_and_encode), TP_CASE(errors_map_to_http_status),
             TP_CASE(time_format_is_jenkins_format), TP_CASE(arena_allocates_aligned_zeroed_memory))
