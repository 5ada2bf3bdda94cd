/* SPDX-License-Identifier: MIT */
/*
 * Helpers over cJSON used by every JSON builder: cJSON adds nothing when given a NULL string,
 * but Jenkins writes nulls out, so these write `null` instead. Numbers that are ids go out as
 * strings (cJSON keeps doubles, exact only up to 2^53).
 */
#ifndef TP_COMMON_JSON_H
#define TP_COMMON_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct tp_buf;

/* Installs allocation hooks that abort on exhaustion; call once at start-up. */
void tp_json_init(void);
/* Adds `value`, or JSON null when value is NULL. */
void tp_json_add_str(cJSON *obj, const char *key, const char *value);
void tp_json_add_i64(cJSON *obj, const char *key, int64_t value);
void tp_json_add_bool(cJSON *obj, const char *key, bool value);
void tp_json_add_null(cJSON *obj, const char *key);
/* Adds the decimal string of `value` ("12"), as Blue Ocean writes ids. */
void tp_json_add_id(cJSON *obj, const char *key, int64_t value);
/* Adds a Jenkins timestamp string, or null when ms <= 0. */
void tp_json_add_time(cJSON *obj, const char *key, int64_t ms);
/* Compact serialization appended to `out`. */
void tp_json_print(const cJSON *value, struct tp_buf *out);
/* Returns the string member `key` of `obj`, or NULL when absent or not a string. */
const char *tp_json_get_str(const cJSON *obj, const char *key);

#endif
