/* SPDX-License-Identifier: MIT */
/*
 * Error codes. Fallible functions return 0 or a negative code: libuv's UV_E* (-errno) pass
 * through unchanged, tidepool's own codes come from the one table below, which carries each
 * code's name, value, HTTP status and message.
 */
#ifndef TP_COMMON_ERR_H
#define TP_COMMON_ERR_H

#define TP_ERR_MAP(XX)                                                \
    XX(EINVAL, -5000, 400, "invalid argument")                        \
    XX(ENOTFOUND, -5001, 404, "not found")                            \
    XX(ECONFLICT, -5002, 409, "conflicting state")                    \
    XX(ETOOBIG, -5003, 413, "input exceeds limit")                    \
    XX(ESYNTAX, -5004, 400, "Jenkinsfile is not valid")               \
    XX(EDB, -5005, 500, "database error")                             \
    XX(EMETHOD, -5006, 405, "method not allowed")                     \
    XX(EMEDIA, -5007, 415, "Content-Type: application/json required") \
    XX(EPROTO, -5008, 400, "malformed request")                       \
    XX(EUNSUPPORTED, -5009, 501, "not supported by tidepool yet")     \
    XX(ESCHEMA, -5010, 500, "database was written by a newer tidepool")

enum tp_err {
#define XX(name, value, http, message) TP_##name = (value),
    TP_ERR_MAP(XX)
#undef XX
};

/* Message for any code (tidepool's own, or an errno-range code from libuv/libc). */
const char *tp_strerror(int err);
/* Symbolic name ("TP_ENOTFOUND", "UV_ENOENT"...). */
const char *tp_err_name(int err);
/* HTTP status for a code; 500 for anything that is not tidepool's own. */
int tp_err_http_status(int err);

#endif
