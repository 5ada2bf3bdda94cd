/* SPDX-License-Identifier: MIT */
/* Small string helpers shared by the rooms: prefix tests, strict number parsing, URL coding. */
#ifndef TP_COMMON_STR_H
#define TP_COMMON_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tp_buf;

bool tp_str_starts_with(const char *s, const char *prefix);
bool tp_str_ends_with(const char *s, const char *suffix);
/*
 * Parses a whole decimal integer (optional leading '-'). Returns 0, or TP_EINVAL when `s`
 * is empty, has other characters, or overflows int64.
 */
int tp_str_to_i64(const char *s, size_t len, int64_t *out);
/*
 * Decodes %XX escapes (and '+' as space when `plus_is_space`) from s[0..len) into `out`.
 * Returns 0, or TP_EINVAL for a malformed escape or an encoded NUL.
 */
int tp_str_url_decode(const char *s, size_t len, bool plus_is_space, struct tp_buf *out);
/* Appends `s` percent-encoded as Jenkins' Util.rawEncode does (unreserved chars kept). */
void tp_str_url_encode(const char *s, struct tp_buf *out);
/* The same for the `len` bytes at `s`. */
void tp_str_url_encode_n(const char *s, size_t len, struct tp_buf *out);
/* Appends a job's path under Jenkins' root: "job/<name>/", and for an item inside folders
 * ("a/b") "job/a/job/b/", each segment encoded. */
void tp_str_job_path(const char *full_name, struct tp_buf *out);
/* Appends a job's full display name as Jenkins writes it: "team » app" for "team/app". */
void tp_str_job_display(const char *full_name, struct tp_buf *out);
/*
 * Finds `name` in an application/x-www-form-urlencoded string (a query string or a form
 * body) and appends its decoded value to `out` ("" for a bare `name`). Returns true when
 * present; a value that does not decode counts as absent.
 */
bool tp_str_form_value(const char *text, size_t len, const char *name, struct tp_buf *out);
/* True when `s` is a valid shell/Java identifier [A-Za-z_][A-Za-z0-9_]*. */
bool tp_str_is_identifier(const char *s);

/* Whether `s` is one of the strings of the NULL-terminated `list`. */
bool tp_str_in(const char *s, const char *const *list);

/* Line-oriented config files (--stubs, --users, --tools): the next line of the text at
 * *cursor, cut in place and trimmed of blanks and '\r' at both ends, *cursor moved past it; NULL
 * at the end. A blank line is "" and a comment is the caller's to skip. */
char *tp_str_next_line(char **cursor);

/* Ant's path matching: `*` within a path segment, `**` across segments, `?` one character
 * (never '/'). */
bool tp_str_glob(const char *pattern, const char *text, bool case_sensitive);

#endif
