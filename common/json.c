/* SPDX-License-Identifier: MIT */
#include "common/json.h"

#include <stdio.h>
#include <stdlib.h>

#include "common/buf.h"
#include "common/mem.h"
#include "common/timefmt.h"

void tp_json_init(void)
{
    cJSON_Hooks hooks = { .malloc_fn = tp_xmalloc, .free_fn = free };
    cJSON_InitHooks(&hooks);
}

void tp_json_add_str(cJSON *obj, const char *key, const char *value)
{
    if (value == NULL)
        cJSON_AddNullToObject(obj, key);
    else
        cJSON_AddStringToObject(obj, key, value);
}

void tp_json_add_i64(cJSON *obj, const char *key, int64_t value)
{
    cJSON_AddNumberToObject(obj, key, (double)value);
}

void tp_json_add_bool(cJSON *obj, const char *key, bool value)
{
    cJSON_AddBoolToObject(obj, key, value);
}

void tp_json_add_null(cJSON *obj, const char *key)
{
    cJSON_AddNullToObject(obj, key);
}

void tp_json_add_id(cJSON *obj, const char *key, int64_t value)
{
    char text[24];
    snprintf(text, sizeof(text), "%lld", (long long)value);
    cJSON_AddStringToObject(obj, key, text);
}

void tp_json_add_time(cJSON *obj, const char *key, int64_t ms)
{
    if (ms <= 0) {
        cJSON_AddNullToObject(obj, key);
        return;
    }
    char text[40];
    tp_time_format(ms, text, sizeof(text));
    cJSON_AddStringToObject(obj, key, text);
}

void tp_json_print(const cJSON *value, struct tp_buf *out)
{
    char *text = cJSON_PrintUnformatted(value);
    tp_buf_puts(out, text);
    free(text);
}

const char *tp_json_get_str(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}
