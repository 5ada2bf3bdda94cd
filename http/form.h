/* SPDX-License-Identifier: MIT */
/*
 * Form fields of a request body, as servlet getParameter() finds them: in an
 * application/x-www-form-urlencoded body, a multipart/form-data body (curl -F), or the
 * query string. Pure; the body is already bounded by the connection.
 */
#ifndef TP_HTTP_FORM_H
#define TP_HTTP_FORM_H

#include <stdbool.h>
#include <stddef.h>

#include "http/http.h"

/*
 * Finds field `name`; `*value`/`*len` get its decoded bytes (in the request's arena).
 * Returns true when present.
 */
bool tp_form_field(struct tp_req *req, const char *name, const char **value, size_t *len);

#endif
