/* SPDX-License-Identifier: MIT */
/*
 * Every API surface tidepool speaks, in one list: a request goes to the first table whose
 * prefix it falls under. Adding a surface (classic Jenkins, KubeSphere, ...) is one more
 * table here and nothing else.
 */
#ifndef TP_HTTP_API_H
#define TP_HTTP_API_H

#include "http/http.h"

/* The connection handler for every surface (a tp_conn_handler). Returns 0 or an error. */
int tp_api_handle(struct tp_req *req, struct tp_resp *resp);

#endif
