/* SPDX-License-Identifier: MIT */
/* engine/cron: Jenkins' cron specs, parsed and matched minute by minute. */
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "engine/cron.h"
#include "harness/tp_test.h"

/* 2026-11-22 is a Sunday. */
static struct tm at(int mon, int mday, int wday, int hour, int min)
{
    struct tm tm = { 0 };
    tm.tm_year = 126;
    tm.tm_mon = mon - 1;
    tm.tm_mday = mday;
    tm.tm_wday = wday;
    tm.tm_hour = hour;
    tm.tm_min = min;
    return tm;
}

static bool runs(const char *spec, struct tm tm)
{
    struct tp_cron cron;
    struct tp_buf error;
    tp_buf_init(&error);
    int err = tp_cron_parse(spec, "job", &cron, &error);
    tp_buf_close(&error);
    return err == 0 && tp_cron_matches(&cron, &tm);
}

/* How many minutes of the day (Sunday Nov 22) the spec runs at. */
static int per_day(const char *spec, const char *job)
{
    struct tp_cron cron;
    struct tp_buf error;
    tp_buf_init(&error);
    int err = tp_cron_parse(spec, job, &cron, &error);
    tp_buf_close(&error);
    if (err < 0)
        return -1;
    int n = 0;
    for (int h = 0; h < 24; h++) {
        for (int m = 0; m < 60; m++) {
            struct tm tm = at(11, 22, 0, h, m);
            n += tp_cron_matches(&cron, &tm);
        }
    }
    return n;
}

TP_TEST(cron_fields_ranges_steps_names)
{
    ASSERT_TRUE(runs("* * * * *", at(11, 22, 0, 13, 7)));
    ASSERT_TRUE(runs("7 13 * * *", at(11, 22, 0, 13, 7)));
    ASSERT_TRUE(!runs("8 13 * * *", at(11, 22, 0, 13, 7)));
    ASSERT_TRUE(runs("*/5 * * * *", at(11, 22, 0, 1, 35)));
    ASSERT_TRUE(!runs("*/5 * * * *", at(11, 22, 0, 1, 36)));
    ASSERT_TRUE(runs("0 9-17/2 * * MON-FRI", at(11, 23, 1, 11, 0)));
    ASSERT_TRUE(!runs("0 9-17/2 * * MON-FRI", at(11, 23, 1, 10, 0)));
    ASSERT_TRUE(!runs("0 9-17/2 * * MON-FRI", at(11, 22, 0, 11, 0)));
    ASSERT_TRUE(runs("0 0 * * 7", at(11, 22, 0, 0, 0))); /* 7 is Sunday too */
    ASSERT_TRUE(runs("0 0 1,22 nov *", at(11, 22, 0, 0, 0)));
    ASSERT_TRUE(!runs("0 0 1,22 DEC *", at(11, 22, 0, 0, 0)));
    /* day of month and day of week both set: either one */
    ASSERT_TRUE(runs("0 0 1 * SUN", at(11, 22, 0, 0, 0)));
    ASSERT_TRUE(runs("0 0 22 * MON", at(11, 22, 0, 0, 0)));
    ASSERT_TRUE(!runs("0 0 21 * MON", at(11, 22, 0, 0, 0)));
    /* several lines, comments, blank lines */
    ASSERT_TRUE(runs("# nightly\n\n0 2 * * *\n30 13 * * *\n", at(11, 22, 0, 13, 30)));
}

TP_TEST(cron_hash_spreads_jobs)
{
    ASSERT_EQ(1, per_day("H H * * *", "a"));
    ASSERT_EQ(24, per_day("H * * * *", "a"));
    ASSERT_EQ(96, per_day("H/15 * * * *", "a"));
    ASSERT_EQ(3 * 24, per_day("H(0-29)/10 * * * *", "a"));
    ASSERT_EQ(1, per_day("@daily", "a"));
    ASSERT_EQ(24, per_day("@hourly", "a"));
    ASSERT_EQ(1, per_day("@midnight", "a"));
    /* the same job always gets the same minute; jobs differ */
    struct tp_cron one, two;
    struct tp_buf error;
    tp_buf_init(&error);
    ASSERT_EQ(0, tp_cron_parse("H * * * *", "build-app", &one, &error));
    ASSERT_EQ(0, tp_cron_parse("H * * * *", "build-app", &two, &error));
    ASSERT_TRUE(one.lines[0].minutes == two.lines[0].minutes);
    int differ = 0;
    char name[16];
    for (int i = 0; i < 20; i++) {
        snprintf(name, sizeof(name), "job-%d", i);
        ASSERT_EQ(0, tp_cron_parse("H * * * *", name, &two, &error));
        differ += one.lines[0].minutes != two.lines[0].minutes;
    }
    ASSERT_TRUE(differ > 10);
    tp_buf_close(&error);
}

TP_TEST(cron_refuses_bad_specs)
{
    static const struct {
        const char *spec, *error;
    } bad[] = {
        { "* * * *", "line 1: expected 5 fields: MINUTE HOUR DOM MONTH DOW" },
        { "60 * * * *", "line 1: invalid minute" },
        { "* 24 * * *", "line 1: invalid hour" },
        { "\n* * 0 * *", "line 2: invalid day of month" },
        { "* * * 13 *", "line 1: invalid month" },
        { "* * * * 8", "line 1: invalid day of week" },
        { "*/0 * * * *", "line 1: invalid minute" },
        { "5-1 * * * *", "line 1: invalid minute" },
        { "@often", "line 1: unknown @ alias (@yearly, @monthly, @weekly, @daily, @hourly...)" },
        { "H(5-70) * * * *", "line 1: invalid minute" },
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct tp_cron cron;
        struct tp_buf error;
        tp_buf_init(&error);
        ASSERT_EQ(TP_EINVAL, tp_cron_parse(bad[i].spec, "job", &cron, &error));
        ASSERT_STR_EQ(bad[i].error, tp_buf_str(&error));
        tp_buf_close(&error);
    }
}

TP_TEST_LIST(TP_CASE(cron_fields_ranges_steps_names), TP_CASE(cron_hash_spreads_jobs),
             TP_CASE(cron_refuses_bad_specs))
