/* SPDX-License-Identifier: MIT */
/* common/timefmt */
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

TP_TEST_LIST(TP_CASE(time_format_is_jenkins_format))
