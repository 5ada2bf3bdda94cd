/* SPDX-License-Identifier: MIT */
/*
 * The HTTP server: the only file of the HTTP room that does I/O. It accepts TCP connections
 * and moves bytes between libuv and tp_conn (which does all the HTTP). Loop thread only.
 */
#ifndef TP_HTTP_SERVER_H
#define TP_HTTP_SERVER_H

#include <uv.h>

#include "http/conn.h"

struct tp_server;

/*
 * Listens on `bind`:`port` (port 0: the OS picks; see tp_server_port).
 * Returns 0, or a libuv error (UV_EADDRINUSE, UV_EINVAL for a bad address...).
 */
int tp_server_start(uv_loop_t *loop, const char *bind, int port, tp_conn_handler handler,
                    struct tp_app *app, struct tp_server **out);
/* The port actually bound. */
int tp_server_port(const struct tp_server *server);
/* Stops listening and closes every connection; frees the server once all are closed. */
void tp_server_stop(struct tp_server *server);

#endif
