/* SPDX-License-Identifier: MIT */
/* common/mem */
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

TP_TEST_LIST(TP_CASE(arena_allocates_aligned_zeroed_memory))
