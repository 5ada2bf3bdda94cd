/* SPDX-License-Identifier: MIT */
/* common/buf */
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

TP_TEST_LIST(TP_CASE(buf_grows_and_consumes))
