/* SPDX-License-Identifier: MIT */
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>

#include "common/timefmt.h"

enum tp_log_level tp_log_threshold = TP_LOG_INFO;

void tp_log_write(enum tp_log_level level, const char *module, const char *fmt, ...)
{
    static const char *const names[] = { "DEBUG", "INFO", "WARN", "ERROR", "OFF" };
    char when[40];
    char line[2048];
    tp_time_format_utc(tp_time_now_ms(), when, sizeof(when));
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    /* One fprintf per line so concurrent writers never interleave inside a line. */
    fprintf(stderr, "%s %s %s: %s\n", when, names[level], module, line);
}
