/* SPDX-License-Identifier: MIT */
/*
 * A small test harness: each test file lists its cases with TP_TEST_LIST; the generated main
 * runs them all (or the one named in argv[1]) and prints "N passed, N failed".
 */
#ifndef TP_TESTS_HARNESS_TP_TEST_H
#define TP_TESTS_HARNESS_TP_TEST_H

#include <stdio.h>
#include <string.h>

struct tp_test_case {
    const char *name;
    void (*fn)(int *failed);
};

#define TP_TEST(name) static void test_##name(int *tp_failed_)
/* clang-format reads the stringizing '#' as a directive: keep it off this line. */
/* clang-format off */
#define TP_CASE(name) { #name, test_##name }
/* clang-format on */

#define TP_FAIL_(fmt, ...)                                                      \
    do {                                                                        \
        fprintf(stderr, "  %s:%d: " fmt "\n", __FILE__, __LINE__, __VA_ARGS__); \
        *tp_failed_ = 1;                                                        \
        return;                                                                 \
    } while (0)

#define ASSERT_TRUE(x)                         \
    do {                                       \
        if (!(x))                              \
            TP_FAIL_("expected true: %s", #x); \
    } while (0)

#define ASSERT_EQ(expected, actual)                                                    \
    do {                                                                               \
        long long e_ = (long long)(expected), a_ = (long long)(actual);                \
        if (e_ != a_)                                                                  \
            TP_FAIL_("%s == %s: expected %lld, got %lld", #expected, #actual, e_, a_); \
    } while (0)

#define ASSERT_OK(x) ASSERT_EQ(0, (x))

#define ASSERT_STR_EQ(expected, actual)                                            \
    do {                                                                           \
        const char *e_ = (expected), *a_ = (actual);                               \
        if (a_ == NULL || strcmp(e_, a_) != 0)                                     \
            TP_FAIL_("%s:\n    expected \"%s\"\n    got      \"%s\"", #actual, e_, \
                     a_ ? a_ : "(null)");                                          \
    } while (0)

#define TP_TEST_LIST(...)                                                       \
    static const struct tp_test_case tp_cases_[] = { __VA_ARGS__ };             \
    int main(int argc, char **argv)                                             \
    {                                                                           \
        int passed = 0, failed = 0;                                             \
        for (size_t i = 0; i < sizeof(tp_cases_) / sizeof(tp_cases_[0]); i++) { \
            if (argc > 1 && strcmp(argv[1], tp_cases_[i].name) != 0)            \
                continue;                                                       \
            int f = 0;                                                          \
            tp_cases_[i].fn(&f);                                                \
            printf("%s %s\n", f ? "FAIL" : "ok  ", tp_cases_[i].name);          \
            if (f)                                                              \
                failed++;                                                       \
            else                                                                \
                passed++;                                                       \
        }                                                                       \
        printf("%d passed, %d failed\n", passed, failed);                       \
        return failed ? 1 : 0;                                                  \
    }

#endif
