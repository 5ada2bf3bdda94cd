/* SPDX-License-Identifier: MIT */
#include "engine/cron.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/err.h"

struct field {
    int min, max;
    const char *const *names; /* names for min.. (months, days), or NULL */
};

static const char *const month_names[] = { "jan", "feb", "mar", "apr", "may", "jun", "jul",
                                           "aug", "sep", "oct", "nov", "dec", NULL };
static const char *const day_names[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL };

static const struct field fields[5] = {
    { 0, 59, NULL }, { 0, 23, NULL }, { 1, 31, NULL }, { 1, 12, month_names }, { 0, 7, day_names },
};

/* Jenkins' String.hashCode of the job name, spread over the field's range. */
static int hashed(const char *job, int which, int lo, int hi)
{
    uint32_t h = 0;
    for (const char *p = job; *p; p++)
        h = h * 31 + (unsigned char)*p;
    h = h * 31 + (uint32_t)which;
    return lo + (int)(h % (uint32_t)(hi - lo + 1));
}

/* A number or a name at *p. */
static bool value(const char **p, const struct field *f, int *out)
{
    if (isdigit((unsigned char)**p)) {
        char *end;
        long v = strtol(*p, &end, 10);
        if (v < f->min || v > f->max)
            return false;
        *out = (int)v;
        *p = end;
        return true;
    }
    for (int i = 0; f->names != NULL && f->names[i] != NULL; i++) {
        if (strncasecmp(*p, f->names[i], 3) == 0) {
            *out = f->min + i;
            *p += 3;
            return true;
        }
    }
    return false;
}

/* One comma-separated part of a field into `bits`. */
static bool part(const char *text, const struct field *f, int which, const char *job,
                 uint64_t *bits)
{
    const char *p = text;
    int lo = f->min, hi = f->max, step = 1;
    bool hash = false;
    int max = which == 4 ? 6 : f->max; /* H picks a day of week among 0..6 */
    if (*p == '*') {
        p++;
    } else if (*p == 'H') {
        hash = true;
        p++;
        hi = max;
        if (*p == '(') {
            p++;
            if (!value(&p, f, &lo) || *p++ != '-' || !value(&p, f, &hi) || *p++ != ')' || lo > hi)
                return false;
        }
    } else {
        if (!value(&p, f, &lo))
            return false;
        hi = lo;
        if (*p == '-') {
            p++;
            if (!value(&p, f, &hi) || hi < lo)
                return false;
        }
    }
    if (*p == '/') {
        p++;
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 1 || v > f->max + 1)
            return false;
        step = (int)v;
        p = end;
        if (!hash && lo == hi)
            hi = f->max; /* N/STEP: from N to the end */
    }
    if (*p != '\0')
        return false;
    if (hash) {
        /* H alone: one value; H/STEP: every STEP from a hashed offset */
        int span = step > 1 ? step : hi - lo + 1;
        int start = lo + hashed(job, which, 0, (span < hi - lo + 1 ? span : hi - lo + 1) - 1);
        if (step == 1) {
            *bits |= 1ULL << start;
            return true;
        }
        lo = start;
    }
    for (int v = lo; v <= hi; v += step)
        *bits |= 1ULL << (which == 4 && v == 7 ? 0 : v);
    return true;
}

static int parse_line(char *line, const char *job, struct tp_cron_line *out, const char **why)
{
    static const struct {
        const char *alias, *spec;
    } aliases[] = { { "@yearly", "H H H H *" },  { "@annually", "H H H H *" },
                    { "@monthly", "H H H * *" }, { "@weekly", "H H * * H" },
                    { "@daily", "H H * * *" },   { "@midnight", "H H(0-2) * * *" },
                    { "@hourly", "H * * * *" } };

    char expanded[64];
    if (line[0] == '@') {
        const char *spec = NULL;
        for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
            if (strcmp(line, aliases[i].alias) == 0)
                spec = aliases[i].spec;
        }
        if (spec == NULL) {
            *why = "unknown @ alias (@yearly, @monthly, @weekly, @daily, @hourly...)";
            return TP_EINVAL;
        }
        strcpy(expanded, spec);
        line = expanded;
    }
    char *words[6];
    int n = 0;
    for (char *save = NULL, *w = strtok_r(line, " \t", &save); w != NULL && n < 6;
         w = strtok_r(NULL, " \t", &save))
        words[n++] = w;
    if (n != 5) {
        *why = "expected 5 fields: MINUTE HOUR DOM MONTH DOW";
        return TP_EINVAL;
    }
    uint64_t bits[5] = { 0 };
    for (int i = 0; i < 5; i++) {
        for (char *save = NULL, *p = strtok_r(words[i], ",", &save); p != NULL;
             p = strtok_r(NULL, ",", &save)) {
            if (!part(p, &fields[i], i, job, &bits[i])) {
                static const char *const invalid[5] = { "invalid minute", "invalid hour",
                                                        "invalid day of month", "invalid month",
                                                        "invalid day of week" };
                *why = invalid[i];
                return TP_EINVAL;
            }
        }
    }
    out->minutes = bits[0];
    out->hours = (uint32_t)bits[1];
    out->days = (uint32_t)bits[2];
    out->months = (uint16_t)bits[3];
    out->weekdays = (uint8_t)bits[4];
    out->any_day = strcmp(words[2], "*") == 0;
    out->any_weekday = strcmp(words[4], "*") == 0;
    return 0;
}

int tp_cron_parse(const char *spec, const char *job, struct tp_cron *out, struct tp_buf *error)
{
    memset(out, 0, sizeof(*out));
    if (strlen(spec) > TP_CRON_MAX_TEXT) {
        tp_buf_puts(error, "the spec is too long");
        return TP_EINVAL;
    }
    char *copy = strdup(spec);
    int number = 0, err = 0;
    for (char *line = copy, *next; line != NULL && err == 0; line = next) {
        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        number++;
        line[strcspn(line, "#\r")] = '\0';
        while (*line == ' ' || *line == '\t')
            line++;
        if (*line == '\0' || strncmp(line, "TZ=", 3) == 0)
            continue;
        if (out->count >= TP_CRON_MAX_LINES) {
            tp_buf_puts(error, "too many lines");
            err = TP_EINVAL;
            break;
        }
        const char *why = NULL;
        err = parse_line(line, job, &out->lines[out->count], &why);
        if (err < 0)
            tp_buf_printf(error, "line %d: %s", number, why);
        else
            out->count++;
    }
    free(copy);
    return err;
}

bool tp_cron_matches(const struct tp_cron *cron, const struct tm *tm)
{
    for (int i = 0; i < cron->count; i++) {
        const struct tp_cron_line *l = &cron->lines[i];
        bool dom = (l->days >> tm->tm_mday) & 1, dow = (l->weekdays >> tm->tm_wday) & 1;
        bool day = l->any_day && l->any_weekday ? true
                   : l->any_day                 ? dow
                   : l->any_weekday             ? dom
                                                : dom || dow;
        if (((l->minutes >> tm->tm_min) & 1) && ((l->hours >> tm->tm_hour) & 1) &&
            ((l->months >> (tm->tm_mon + 1)) & 1) && day)
            return true;
    }
    return false;
}
