/* SPDX-License-Identifier: MIT */
/* Wall-clock and monotonic time in milliseconds, and Jenkins' timestamp format. */
#ifndef TP_COMMON_TIMEFMT_H
#define TP_COMMON_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* Milliseconds since the Unix epoch. */
int64_t tp_time_now_ms(void);
/* Milliseconds from an arbitrary origin that never goes backwards. */
int64_t tp_time_mono_ms(void);
/*
 * Formats `ms` as Blue Ocean does: yyyy-MM-dd'T'HH:mm:ss.SSSZ in the server's local time
 * zone, offset written +HHMM (e.g. 2024-05-01T10:00:00.000+0000). `out` needs 29 bytes.
 */
void tp_time_format(int64_t ms, char *out, size_t size);
/* The same in UTC with a 'Z' suffix, for the server log. */
void tp_time_format_utc(int64_t ms, char *out, size_t size);
/* A duration as Jenkins writes one (Util.getTimeSpanString): its two largest units,
 * "5 min 0 sec", "2 hr 30 min", "30 sec", "1.5 sec", "200 ms". */
void tp_time_span(uint64_t ms, char *out, size_t size);

#endif
