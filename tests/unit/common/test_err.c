/* SPDX-License-Identifier: MIT */
/* common/err */
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

TP_TEST(errors_map_to_http_status)
{
    ASSERT_EQ(404, tp_err_http_status(TP_ENOTFOUND));
    ASSERT_EQ(413, tp_err_http_status(TP_ETOOBIG));
    ASSERT_EQ(415, tp_err_http_status(TP_EMEDIA));
    ASSERT_EQ(500, tp_err_http_status(-2));
    ASSERT_STR_EQ("not found", tp_strerror(TP_ENOTFOUND));
    ASSERT_STR_EQ("TP_ECONFLICT", tp_err_name(TP_ECONFLICT));
}

TP_TEST_LIST(TP_CASE(errors_map_to_http_status))
