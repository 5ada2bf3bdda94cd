/* SPDX-License-Identifier: MIT */
/*
 * The data steps of pipeline-utility-steps: readJSON (file: or text:) and writeJSON (file:,
 * json:, pretty:, returnText:), readProperties (file:, text:, defaults:, interpolate:),
 * readYaml (file: or text:; libyaml). Values go to Groovy as maps, lists, strings, numbers and
 * booleans; files are the workspace's (the frame's directory).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>
#include <yaml.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/fs.h"
#include "common/mem.h"
#include "common/str.h"
#include "engine/engine_int.h"

enum {
    DATA_FILE_MAX = 16 << 20 /* the largest file these steps read */
};

static enum tp_step_status failed(struct frame *f, const char *message)
{
    tp_frame_fail(f, TP_RESULT_FAILURE, true, message);
    f->step.result = TP_RESULT_FAILURE;
    return TP_STEP_DONE;
}

/* The text of `file:` (read from the workspace) or of `text:`; NULL after failing `f`. */
static const char *input_text(struct frame *f, const struct tp_plan_step *step, const char *what)
{
    const char *file = NULL, *text = NULL;
    if (tp_frame_eval_text(f, tp_ast_named_arg(step->call, "file"), &file) < 0 ||
        tp_frame_eval_text(f, tp_ast_named_arg(step->call, "text"), &text) < 0)
        return NULL;
    if ((file == NULL) == (text == NULL)) {
        failed(f,
               tp_arena_printf(&f->run->arena, "%s needs either file: or text:, not both", what));
        return NULL;
    }
    if (text != NULL)
        return text;
    const char *path = tp_frame_path(f, file);
    f->step.description = file;
    struct tp_buf content;
    tp_buf_init(&content);
    int err = tp_fs_read_file(path, DATA_FILE_MAX, &content);
    const char *out = err == 0 ? tp_arena_strdup(&f->run->arena, tp_buf_str(&content)) : NULL;
    tp_buf_close(&content);
    if (err < 0)
        failed(f, tp_arena_printf(&f->run->arena, "java.io.FileNotFoundException: %s", path));
    return out;
}

static enum tp_step_status start_read_json(struct frame *f, const struct tp_plan_step *step)
{
    const char *text = input_text(f, step, "readJSON");
    if (text == NULL)
        return TP_STEP_DONE;
    cJSON *value = cJSON_Parse(text);
    if (value == NULL)
        return failed(f, tp_arena_printf(&f->run->arena,
                                         "net.sf.json.JSONException: Invalid JSON String near "
                                         "character %zu",
                                         (size_t)(cJSON_GetErrorPtr() - text)));
    f->step_value = value;
    f->step.result = TP_RESULT_SUCCESS;
    return TP_STEP_DONE;
}

/* A literal value (what Groovy handed the step: maps, lists, strings, numbers) as JSON; a
 * declarative expression is evaluated to its string. NULL after failing `f`. */
static cJSON *json_of(struct frame *f, const struct tp_expr *e)
{
    switch (e->kind) {
    case TP_EXPR_NULL:
        return cJSON_CreateNull();
    case TP_EXPR_BOOL:
        return cJSON_CreateBool(e->flag);
    case TP_EXPR_INT:
        return cJSON_CreateNumber((double)e->ival);
    case TP_EXPR_FLOAT:
        return cJSON_CreateNumber(e->fval);
    case TP_EXPR_STRING:
        return cJSON_CreateString(e->text);
    case TP_EXPR_LIST: {
        cJSON *list = cJSON_CreateArray();
        for (size_t i = 0; i < e->args.count; i++) {
            cJSON *item = json_of(f, e->args.items[i]);
            if (item == NULL) {
                cJSON_Delete(list);
                return NULL;
            }
            cJSON_AddItemToArray(list, item);
        }
        return list;
    }
    case TP_EXPR_MAP: {
        cJSON *map = cJSON_CreateObject();
        for (size_t i = 0; i < e->named.count; i++) {
            const char *key = NULL;
            cJSON *item = NULL;
            if (tp_frame_eval_text(f, e->named.items[i].key, &key) < 0 || key == NULL ||
                (item = json_of(f, e->named.items[i].value)) == NULL) {
                cJSON_Delete(map);
                return NULL;
            }
            cJSON_AddItemToObject(map, key, item);
        }
        return map;
    }
    default: {
        const char *text = NULL;
        if (tp_frame_eval_text(f, e, &text) < 0)
            return NULL;
        /* a JSON text (a readJSON value passed on in declarative) stays what it is */
        cJSON *parsed = text != NULL ? cJSON_Parse(text) : NULL;
        return parsed != NULL ? parsed : cJSON_CreateString(text != NULL ? text : "");
    }
    }
}

static enum tp_step_status start_write_json(struct frame *f, const struct tp_plan_step *step)
{
    const struct tp_expr *json = tp_ast_named_arg(step->call, "json");
    const struct tp_expr *pretty = tp_ast_named_arg(step->call, "pretty");
    const struct tp_expr *return_text = tp_ast_named_arg(step->call, "returnText");
    bool as_text = return_text != NULL && return_text->kind == TP_EXPR_BOOL && return_text->flag;
    const char *file = NULL;
    if (json == NULL)
        return failed(f, "writeJSON needs json:");
    if (tp_frame_eval_text(f, tp_ast_named_arg(step->call, "file"), &file) < 0)
        return failed(f, "writeJSON: file: could not be evaluated");
    if ((file == NULL) == !as_text)
        return failed(f, "writeJSON needs either file: or returnText: true");
    cJSON *value = json_of(f, json);
    if (value == NULL) {
        f->step.result = TP_RESULT_FAILURE;
        return TP_STEP_DONE;
    }
    char *text = pretty != NULL && pretty->kind == TP_EXPR_INT && pretty->ival > 0
                     ? cJSON_Print(value)
                     : cJSON_PrintUnformatted(value);
    cJSON_Delete(value);
    int err = 0;
    if (as_text) {
        f->step_value = cJSON_CreateString(text);
    } else {
        f->step.description = file;
        err = tp_fs_write_file(tp_frame_path(f, file), text, strlen(text), 0644);
    }
    cJSON_free(text);
    if (err < 0)
        return failed(
            f, tp_arena_printf(&f->run->arena, "cannot write %s: %s", file, tp_strerror(err)));
    f->step.result = TP_RESULT_SUCCESS;
    return TP_STEP_DONE;
}

/* Java's .properties: `key=value`, `key: value` or `key value`; '#' and '!' comments; a line
 * ending in a backslash goes on; \t \n \r \f \uXXXX and escaped separators. */
static void parse_properties(const char *text, cJSON *out)
{
    struct tp_buf line, key, value;
    tp_buf_init(&line);
    tp_buf_init(&key);
    tp_buf_init(&value);
    const char *p = text;
    while (*p != '\0') {
        tp_buf_reset(&line);
        for (;;) { /* a logical line: physical ones joined at a trailing backslash */
            const char *start = p;
            while (*start == ' ' || *start == '\t' || *start == '\f')
                start++;
            size_t n = strcspn(start, "\r\n");
            p = start + n;
            if (*p == '\r')
                p++;
            if (*p == '\n')
                p++;
            size_t slashes = 0;
            while (slashes < n && start[n - 1 - slashes] == '\\')
                slashes++;
            tp_buf_append(&line, start, slashes % 2 ? n - 1 : n);
            if (slashes % 2 == 0 || *p == '\0')
                break;
        }
        const char *s = tp_buf_str(&line);
        if (*s == '\0' || *s == '#' || *s == '!')
            continue;
        tp_buf_reset(&key);
        tp_buf_reset(&value);
        struct tp_buf *into = &key;
        bool separated = false;
        for (; *s != '\0'; s++) {
            if (*s == '\\' && s[1] != '\0') {
                char c = *++s;
                if (c == 'u' && isxdigit((unsigned char)s[1]) && isxdigit((unsigned char)s[2]) &&
                    isxdigit((unsigned char)s[3]) && isxdigit((unsigned char)s[4])) {
                    char hex[5] = { s[1], s[2], s[3], s[4], '\0' };
                    unsigned code = (unsigned)strtoul(hex, NULL, 16);
                    if (code < 0x80) {
                        tp_buf_putc(into, (char)code);
                    } else if (code < 0x800) {
                        tp_buf_putc(into, (char)(0xc0 | (code >> 6)));
                        tp_buf_putc(into, (char)(0x80 | (code & 0x3f)));
                    } else {
                        tp_buf_putc(into, (char)(0xe0 | (code >> 12)));
                        tp_buf_putc(into, (char)(0x80 | ((code >> 6) & 0x3f)));
                        tp_buf_putc(into, (char)(0x80 | (code & 0x3f)));
                    }
                    s += 4;
                } else {
                    tp_buf_putc(into, c == 't'   ? '\t'
                                      : c == 'n' ? '\n'
                                      : c == 'r' ? '\r'
                                      : c == 'f' ? '\f'
                                                 : c);
                }
                continue;
            }
            if (!separated && (*s == '=' || *s == ':' || *s == ' ' || *s == '\t')) {
                separated = true;
                into = &value;
                /* blanks around the separator, and one '=' or ':' after blanks */
                while (s[1] == ' ' || s[1] == '\t')
                    s++;
                if ((*s == ' ' || *s == '\t') && (s[1] == '=' || s[1] == ':'))
                    s++;
                while (s[1] == ' ' || s[1] == '\t')
                    s++;
                continue;
            }
            tp_buf_putc(into, *s);
        }
        cJSON_DeleteItemFromObjectCaseSensitive(out, tp_buf_str(&key));
        cJSON_AddStringToObject(out, tp_buf_str(&key), tp_buf_str(&value));
    }
    tp_buf_close(&line);
    tp_buf_close(&key);
    tp_buf_close(&value);
}

/* interpolate: true — ${key} in a value is that key's value (once). */
static void interpolate(cJSON *props)
{
    cJSON *item;
    cJSON_ArrayForEach(item, props)
    {
        if (strstr(item->valuestring, "${") == NULL)
            continue;
        struct tp_buf out;
        tp_buf_init(&out);
        for (const char *s = item->valuestring; *s != '\0';) {
            const char *end = strncmp(s, "${", 2) == 0 ? strchr(s, '}') : NULL;
            if (end == NULL) {
                tp_buf_putc(&out, *s++);
                continue;
            }
            char *name = tp_xstrndup(s + 2, (size_t)(end - s - 2));
            const cJSON *other = cJSON_GetObjectItemCaseSensitive(props, name);
            if (cJSON_IsString(other))
                tp_buf_puts(&out, other->valuestring);
            else
                tp_buf_append(&out, s, (size_t)(end - s + 1));
            free(name);
            s = end + 1;
        }
        cJSON_SetValuestring(item, tp_buf_str(&out));
        tp_buf_close(&out);
    }
}

static enum tp_step_status start_read_properties(struct frame *f, const struct tp_plan_step *step)
{
    const char *text = input_text(f, step, "readProperties");
    if (text == NULL)
        return TP_STEP_DONE;
    cJSON *props = cJSON_CreateObject();
    const struct tp_expr *defaults = tp_ast_named_arg(step->call, "defaults");
    if (defaults != NULL) {
        cJSON *given = json_of(f, defaults);
        const cJSON *item;
        cJSON_ArrayForEach(item, given)
        {
            if (item->string != NULL)
                cJSON_AddStringToObject(props, item->string,
                                        cJSON_IsString(item) ? item->valuestring : "");
        }
        cJSON_Delete(given);
    }
    parse_properties(text, props);
    const struct tp_expr *interp = tp_ast_named_arg(step->call, "interpolate");
    if (interp != NULL && interp->kind == TP_EXPR_BOOL && interp->flag)
        interpolate(props);
    f->step_value = props;
    f->step.result = TP_RESULT_SUCCESS;
    return TP_STEP_DONE;
}

/* A plain YAML scalar as SnakeYAML (YAML 1.1) resolves it: null, booleans, integers (also
 * 0x.. and 0..), floats; anything else, and every quoted scalar, a string. */
static cJSON *yaml_scalar(const char *text, size_t len, bool plain)
{
    if (!plain)
        return cJSON_CreateString(text);
    static const char *const nulls[] = { "", "~", "null", "Null", "NULL", NULL };
    static const char *const trues[] = { "true", "True", "TRUE", "yes", "Yes", "YES",
                                         "on",   "On",   "ON",   "y",   "Y",   NULL };
    static const char *const falses[] = { "false", "False", "FALSE", "no", "No", "NO",
                                          "off",   "Off",   "OFF",   "n",  "N",  NULL };
    if (tp_str_in(text, nulls))
        return cJSON_CreateNull();
    if (tp_str_in(text, trues))
        return cJSON_CreateBool(true);
    if (tp_str_in(text, falses))
        return cJSON_CreateBool(false);
    char *end = NULL;
    const char *digits = text + (text[0] == '-' || text[0] == '+');
    if (isdigit((unsigned char)digits[0])) {
        long long i = strtoll(text, &end, 0);
        if (end == text + len && strchr(text, '_') == NULL)
            return cJSON_CreateNumber((double)i);
        double d = strtod(text, &end);
        if (end == text + len && strchr(text, 'x') == NULL && strchr(text, 'X') == NULL)
            return cJSON_CreateNumber(d);
    }
    return cJSON_CreateString(text);
}

struct yaml_frame {
    cJSON *node;
    char *key;    /* a mapping's key waiting for its value */
    char *anchor; /* &name of the collection, or NULL */
};

enum {
    YAML_MAX_DEPTH = 256,
    YAML_MAX_ANCHORS = 1024
};

/* Parses YAML `text` into `*out`: the document's value, or, for several documents, a list of
 * them (as readYaml returns). Returns 0, or TP_EINVAL with libyaml's problem in `error`. */
static int yaml_to_json(const char *text, cJSON **out, struct tp_buf *error)
{
    yaml_parser_t parser;
    yaml_event_t event;
    if (!yaml_parser_initialize(&parser))
        return TP_EINVAL;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
    struct yaml_frame stack[YAML_MAX_DEPTH];
    size_t depth = 0;
    cJSON *docs = cJSON_CreateArray();

    struct {
        char *name;
        cJSON *value;
    } anchors[YAML_MAX_ANCHORS];

    size_t nanchors = 0;
    int err = 0;
    for (bool done = false; !done && err == 0;) {
        if (!yaml_parser_parse(&parser, &event)) {
            tp_buf_printf(error, "%s (line %zu)",
                          parser.problem != NULL ? parser.problem : "not YAML",
                          parser.problem_mark.line + 1);
            err = TP_EINVAL;
            break;
        }
        cJSON *value = NULL;
        const char *anchor = NULL;
        switch (event.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_SCALAR_EVENT:
            value = yaml_scalar((const char *)event.data.scalar.value, event.data.scalar.length,
                                event.data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
                                    event.data.scalar.tag == NULL);
            anchor = (const char *)event.data.scalar.anchor;
            break;
        case YAML_ALIAS_EVENT:
            for (size_t i = nanchors; i-- > 0 && value == NULL;) {
                if (strcmp(anchors[i].name, (const char *)event.data.alias.anchor) == 0)
                    value = cJSON_Duplicate(anchors[i].value, true);
            }
            if (value == NULL) {
                tp_buf_printf(error, "unknown alias *%s", event.data.alias.anchor);
                err = TP_EINVAL;
            }
            break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            if (depth == YAML_MAX_DEPTH) {
                tp_buf_puts(error, "YAML nested too deep");
                err = TP_EINVAL;
                break;
            }
            stack[depth].node = event.type == YAML_SEQUENCE_START_EVENT ? cJSON_CreateArray()
                                                                        : cJSON_CreateObject();
            stack[depth].key = NULL;
            const yaml_char_t *name = event.type == YAML_SEQUENCE_START_EVENT
                                          ? event.data.sequence_start.anchor
                                          : event.data.mapping_start.anchor;
            stack[depth].anchor = name != NULL ? tp_xstrdup((const char *)name) : NULL;
            depth++;
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            value = stack[--depth].node;
            free(stack[depth].key);
            anchor = stack[depth].anchor; /* freed below */
            break;
        default:
            break;
        }
        bool owned_anchor =
            event.type == YAML_SEQUENCE_END_EVENT || event.type == YAML_MAPPING_END_EVENT;
        if (value != NULL && err == 0) {
            if (anchor != NULL && nanchors < YAML_MAX_ANCHORS) {
                anchors[nanchors].name = tp_xstrdup(anchor);
                anchors[nanchors++].value = cJSON_Duplicate(value, true);
            }
            if (depth == 0) {
                cJSON_AddItemToArray(docs, value);
            } else if (cJSON_IsArray(stack[depth - 1].node)) {
                cJSON_AddItemToArray(stack[depth - 1].node, value);
            } else if (stack[depth - 1].key == NULL) {
                /* a key: its text (a key that is a collection reads as its JSON) */
                char *key = cJSON_IsString(value) ? tp_xstrdup(value->valuestring)
                                                  : cJSON_PrintUnformatted(value);
                stack[depth - 1].key = key;
                cJSON_Delete(value);
            } else if (strcmp(stack[depth - 1].key, "<<") == 0 && cJSON_IsObject(value)) {
                /* a merge key: the entries not already there */
                cJSON *item;
                cJSON_ArrayForEach(item, value)
                {
                    if (!cJSON_HasObjectItem(stack[depth - 1].node, item->string))
                        cJSON_AddItemToObject(stack[depth - 1].node, item->string,
                                              cJSON_Duplicate(item, true));
                }
                cJSON_Delete(value);
                free(stack[depth - 1].key);
                stack[depth - 1].key = NULL;
            } else {
                cJSON_DeleteItemFromObjectCaseSensitive(stack[depth - 1].node,
                                                        stack[depth - 1].key);
                cJSON_AddItemToObject(stack[depth - 1].node, stack[depth - 1].key, value);
                free(stack[depth - 1].key);
                stack[depth - 1].key = NULL;
            }
        } else if (value != NULL) {
            cJSON_Delete(value);
        }
        if (owned_anchor)
            free((char *)anchor);
        yaml_event_delete(&event);
    }
    while (depth > 0) { /* an error left these open */
        depth--;
        free(stack[depth].key);
        free(stack[depth].anchor);
        cJSON_Delete(stack[depth].node);
    }
    for (size_t i = 0; i < nanchors; i++) {
        free(anchors[i].name);
        cJSON_Delete(anchors[i].value);
    }
    yaml_parser_delete(&parser);
    if (err < 0) {
        cJSON_Delete(docs);
        return err;
    }
    if (cJSON_GetArraySize(docs) == 1) {
        *out = cJSON_DetachItemFromArray(docs, 0);
        cJSON_Delete(docs);
    } else {
        *out = docs; /* none (an empty text) or several documents */
        if (cJSON_GetArraySize(docs) == 0) {
            cJSON_Delete(docs);
            *out = cJSON_CreateNull();
        }
    }
    return 0;
}

static enum tp_step_status start_read_yaml(struct frame *f, const struct tp_plan_step *step)
{
    const char *text = input_text(f, step, "readYaml");
    if (text == NULL)
        return TP_STEP_DONE;
    struct tp_buf error;
    tp_buf_init(&error);
    cJSON *value = NULL;
    if (yaml_to_json(text, &value, &error) < 0) {
        enum tp_step_status status =
            failed(f, tp_arena_printf(&f->run->arena, "readYaml: %s", tp_buf_str(&error)));
        tp_buf_close(&error);
        return status;
    }
    tp_buf_close(&error);
    f->step_value = value;
    f->step.result = TP_RESULT_SUCCESS;
    return TP_STEP_DONE;
}

const struct tp_step_def tp_utility_steps[] = {
    { "readJSON", "Read JSON from files in the workspace.", true, start_read_json, false },
    { "writeJSON", "Write JSON to a file in the workspace.", true, start_write_json, false },
    { "readProperties", "Read properties from files in the workspace or text.", true,
      start_read_properties, false },
    { "readYaml", "Read yaml from files in the workspace or text.", true, start_read_yaml, false },
    { NULL, NULL, false, NULL, false },
};
