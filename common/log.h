/* SPDX-License-Identifier: MIT */
/*
 * The server log: one line per event on stderr, `<time> <LEVEL> <module>: message key=value`.
 * Pure modules never log; build output is data in the store, never in this log.
 */
#ifndef TP_COMMON_LOG_H
#define TP_COMMON_LOG_H

enum tp_log_level {
    TP_LOG_DEBUG,
    TP_LOG_INFO,
    TP_LOG_WARN,
    TP_LOG_ERROR,
    TP_LOG_OFF
};

extern enum tp_log_level tp_log_threshold;

/* Arguments are evaluated only when the level is enabled. */
#define tp_log(level, module, ...)                        \
    do {                                                  \
        if ((level) >= tp_log_threshold)                  \
            tp_log_write((level), (module), __VA_ARGS__); \
    } while (0)

void tp_log_write(enum tp_log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
