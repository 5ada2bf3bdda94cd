/* SPDX-License-Identifier: MIT */
#include "http/form.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/str.h"

/* Finds `name=` in an urlencoded string. */
static bool urlencoded_field(struct tp_req *req, const char *text, size_t text_len,
                             const char *name, const char **value, size_t *len)
{
    struct tp_buf decoded;
    tp_buf_init(&decoded);
    bool found = tp_str_form_value(text, text_len, name, &decoded);
    if (found) {
        *len = decoded.len;
        *value = tp_arena_strndup(req->arena, tp_buf_str(&decoded), decoded.len);
    }
    tp_buf_close(&decoded);
    return found;
}

static const char *find_bytes(const char *hay, size_t hay_len, const char *needle, size_t n)
{
    if (n == 0 || hay_len < n)
        return NULL;
    for (size_t i = 0; i + n <= hay_len; i++) {
        if (hay[i] == needle[0] && memcmp(hay + i, needle, n) == 0)
            return hay + i;
    }
    return NULL;
}

/* Finds the part named `name` in a multipart/form-data body. */
static bool multipart_field(struct tp_req *req, const char *content_type, const char *name,
                            const char **value, size_t *len)
{
    const char *b = strstr(content_type, "boundary=");
    if (b == NULL)
        return false;
    b += 9;
    size_t blen = strcspn(b, ";");
    if (blen >= 2 && b[0] == '"' && b[blen - 1] == '"') {
        b++;
        blen -= 2;
    }
    if (blen == 0 || blen > 200)
        return false;
    char delimiter[256];
    size_t dlen = (size_t)snprintf(delimiter, sizeof(delimiter), "--%.*s", (int)blen, b);
    const char *body = req->body, *end = req->body + req->body_len;
    const char *part = find_bytes(body, req->body_len, delimiter, dlen);
    char wanted[300];
    snprintf(wanted, sizeof(wanted), "name=\"%s\"", name);
    while (part != NULL) {
        part += dlen;
        if (end - part >= 2 && part[0] == '-' && part[1] == '-')
            return false; /* the closing delimiter */
        const char *headers_end = find_bytes(part, (size_t)(end - part), "\r\n\r\n", 4);
        if (headers_end == NULL)
            return false;
        const char *content = headers_end + 4;
        const char *next = find_bytes(content, (size_t)(end - content), delimiter, dlen);
        if (next == NULL)
            return false;
        if (find_bytes(part, (size_t)(headers_end - part), wanted, strlen(wanted)) != NULL) {
            /* The part's content ends before the CRLF that precedes the next delimiter. */
            size_t n = (size_t)(next - content);
            if (n >= 2 && content[n - 2] == '\r' && content[n - 1] == '\n')
                n -= 2;
            *value = tp_arena_strndup(req->arena, content, n);
            *len = n;
            return true;
        }
        part = next;
    }
    return false;
}

bool tp_form_field(struct tp_req *req, const char *name, const char **value, size_t *len)
{
    const char *type = tp_req_header(req, "Content-Type");
    if (type != NULL && strncasecmp(type, "multipart/form-data", 19) == 0) {
        if (multipart_field(req, type, name, value, len))
            return true;
    } else if (req->body_len > 0 &&
               urlencoded_field(req, req->body, req->body_len, name, value, len)) {
        return true;
    }
    return urlencoded_field(req, req->query, strlen(req->query), name, value, len);
}
