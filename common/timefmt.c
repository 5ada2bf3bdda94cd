/* SPDX-License-Identifier: MIT */
#include "common/timefmt.h"

#include <stdio.h>
#include <time.h>

int64_t tp_time_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t tp_time_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void tp_time_format(int64_t ms, char *out, size_t size)
{
    time_t secs = (time_t)(ms / 1000);
    int millis = (int)(ms % 1000);
    struct tm tm;
    localtime_r(&secs, &tm);
    long off = tm.tm_gmtoff / 60;
    char sign = off < 0 ? '-' : '+';
    if (off < 0)
        off = -off;
    snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03d%c%02ld%02ld", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis, sign, off / 60,
             off % 60);
}

void tp_time_format_utc(int64_t ms, char *out, size_t size)
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

void tp_time_span(uint64_t ms, char *out, size_t size)
{
    unsigned long long s = ms / 1000, m = s / 60, h = m / 60, d = h / 24;
    if (d > 0)
        snprintf(out, size, "%llu day %llu hr", d, h % 24);
    else if (h > 0)
        snprintf(out, size, "%llu hr %llu min", h, m % 60);
    else if (m > 0)
        snprintf(out, size, "%llu min %llu sec", m, s % 60);
    else if (s >= 10)
        snprintf(out, size, "%llu sec", s);
    else if (s > 0)
        snprintf(out, size, "%.1f sec", (double)ms / 1000.0);
    else
        snprintf(out, size, "%llu ms", (unsigned long long)ms);
}
