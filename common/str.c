/* SPDX-License-Identifier: MIT */
#include "common/str.h"

#include <ctype.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"

bool tp_str_starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool tp_str_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

int tp_str_to_i64(const char *s, size_t len, int64_t *out)
{
    size_t i = 0;
    bool negative = false;
    uint64_t value = 0;
    if (len > 0 && s[0] == '-') {
        negative = true;
        i = 1;
    }
    if (i == len)
        return TP_EINVAL;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return TP_EINVAL;
        value = value * 10 + (uint64_t)(s[i] - '0');
        if (value > (uint64_t)INT64_MAX)
            return TP_EINVAL;
    }
    *out = negative ? -(int64_t)value : (int64_t)value;
    return 0;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int tp_str_url_decode(const char *s, size_t len, bool plus_is_space, struct tp_buf *out)
{
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= len)
                return TP_EINVAL;
            int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return TP_EINVAL;
            tp_buf_putc(out, (char)(hi * 16 + lo));
            i += 2;
        } else if (c == '+' && plus_is_space) {
            tp_buf_putc(out, ' ');
        } else {
            tp_buf_putc(out, c);
        }
    }
    if (out->data == NULL)
        tp_buf_append(out, "", 0);
    return 0;
}

void tp_str_url_encode_n(const char *s, size_t len, struct tp_buf *out)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = p[i];
        bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    (c != '\0' && strchr("-_.!~*'()", c) != NULL);
        if (keep) {
            tp_buf_putc(out, (char)c);
        } else {
            char esc[3] = { '%', hex[c >> 4], hex[c & 15] };
            tp_buf_append(out, esc, 3);
        }
    }
    if (out->data == NULL)
        tp_buf_append(out, "", 0);
}

void tp_str_url_encode(const char *s, struct tp_buf *out)
{
    tp_str_url_encode_n(s, strlen(s), out);
}

void tp_str_job_path(const char *full_name, struct tp_buf *out)
{
    for (const char *p = full_name; *p != '\0';) {
        size_t len = strcspn(p, "/");
        tp_buf_puts(out, "job/");
        tp_str_url_encode_n(p, len, out);
        tp_buf_putc(out, '/');
        p += len + (p[len] == '/');
    }
    if (out->data == NULL)
        tp_buf_append(out, "", 0);
}

void tp_str_job_display(const char *full_name, struct tp_buf *out)
{
    for (const char *p = full_name; *p != '\0'; p++) {
        if (*p == '/')
            tp_buf_puts(out, " \u00bb ");
        else
            tp_buf_putc(out, *p);
    }
    if (out->data == NULL)
        tp_buf_append(out, "", 0);
}

bool tp_str_form_value(const char *text, size_t len, const char *name, struct tp_buf *out)
{
    size_t namelen = strlen(name);
    const char *p = text, *end = text + len;
    struct tp_buf key;
    tp_buf_init(&key);
    bool found = false;
    while (p < end && !found) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        size_t keylen = (size_t)((eq ? eq : stop) - p);
        tp_buf_reset(&key);
        if (tp_str_url_decode(p, keylen, true, &key) == 0 && key.len == namelen &&
            memcmp(key.data, name, namelen) == 0) {
            size_t before = out->len;
            found =
                eq == NULL || tp_str_url_decode(eq + 1, (size_t)(stop - eq - 1), true, out) == 0;
            if (!found)
                out->len = before;
            if (out->data == NULL)
                tp_buf_append(out, "", 0);
            break;
        }
        p = stop + 1;
    }
    tp_buf_close(&key);
    return found;
}

bool tp_str_is_identifier(const char *s)
{
    if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
        return false;
    for (s++; *s; s++) {
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return false;
    }
    return true;
}

bool tp_str_in(const char *s, const char *const *list)
{
    for (; *list != NULL; list++) {
        if (strcmp(s, *list) == 0)
            return true;
    }
    return false;
}

char *tp_str_next_line(char **cursor)
{
    char *line = *cursor;
    if (line == NULL || *line == '\0')
        return NULL;
    char *next = strchr(line, '\n');
    if (next != NULL)
        *next++ = '\0';
    *cursor = next;
    while (*line == ' ' || *line == '\t' || *line == '\r')
        line++;
    size_t end = strlen(line);
    while (end > 0 && (line[end - 1] == ' ' || line[end - 1] == '\t' || line[end - 1] == '\r'))
        line[--end] = '\0';
    return line;
}

static bool chars_equal(char a, char b, bool case_sensitive)
{
    return case_sensitive ? a == b : tolower((unsigned char)a) == tolower((unsigned char)b);
}

bool tp_str_glob(const char *pattern, const char *text, bool case_sensitive)
{
    while (*pattern) {
        if (pattern[0] == '*' && pattern[1] == '*') {
            pattern += 2;
            if (*pattern == '/')
                pattern++;
            for (const char *t = text;; t++) {
                if (tp_str_glob(pattern, t, case_sensitive))
                    return true;
                if (*t == '\0')
                    return false;
            }
        }
        if (*pattern == '*') {
            pattern++;
            for (const char *t = text;; t++) {
                if (tp_str_glob(pattern, t, case_sensitive))
                    return true;
                if (*t == '\0' || *t == '/')
                    return false;
            }
        }
        if (*text == '\0')
            return false;
        if (*pattern == '?' ? *text == '/' : !chars_equal(*pattern, *text, case_sensitive))
            return false;
        pattern++;
        text++;
    }
    return *text == '\0';
}
