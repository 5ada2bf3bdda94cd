/* SPDX-License-Identifier: MIT */
/*
 * Jenkins' cron syntax (TimerTrigger, `triggers { cron('...') }`): one spec per line
 * (`#` comments and blank lines skipped), five fields MINUTE HOUR DOM MONTH DOW with `*`,
 * `N`, `A-B`, `/STEP`, lists, month and day names, `H` (a value hashed from the job's name, so
 * jobs spread out: `H`, `H/15`, `H(0-29)`), and `@yearly`, `@annually`, `@monthly`,
 * `@weekly`, `@daily`, `@midnight`, `@hourly`. Day-of-week 7 is Sunday, as 0. When both
 * day-of-month and day-of-week are restricted, either matches (as cron does). Pure.
 */
#ifndef TP_ENGINE_CRON_H
#define TP_ENGINE_CRON_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct tp_buf;

enum {
    TP_CRON_MAX_LINES = 16,
    TP_CRON_MAX_TEXT = 4096
};

struct tp_cron_line {
    uint64_t minutes; /* bit m: minute m */
    uint32_t hours;
    uint32_t days;    /* bit d: day of month d (1..31) */
    uint16_t months;  /* bit m: month m (1..12) */
    uint8_t weekdays; /* bit d: 0 Sunday .. 6 Saturday */
    bool any_day, any_weekday;
};

struct tp_cron {
    struct tp_cron_line lines[TP_CRON_MAX_LINES];
    int count;
};

/*
 * Reads `spec` for the job named `job` (H is hashed from it). Returns 0, or TP_EINVAL with
 * Jenkins-like words in `error` (which line, what is wrong).
 */
int tp_cron_parse(const char *spec, const char *job, struct tp_cron *out, struct tp_buf *error);
/* Whether the minute `tm` (local time) is one the spec runs at. */
bool tp_cron_matches(const struct tp_cron *cron, const struct tm *tm);

#endif
