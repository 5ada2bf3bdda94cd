/* SPDX-License-Identifier: MIT */
#include "common/err.h"

#include <string.h>

const char *tp_strerror(int err)
{
    switch (err) {
#define XX(name, value, http, message) \
    case TP_##name:                    \
        return message;
        TP_ERR_MAP(XX)
#undef XX
    default:
        break;
    }
    if (err < 0 && err > -4096)
        return strerror(-err);
    return "unknown error";
}

const char *tp_err_name(int err)
{
    switch (err) {
#define XX(name, value, http, message) \
    case TP_##name:                    \
        return "TP_" #name;
        TP_ERR_MAP(XX)
#undef XX
    default:
        return "errno";
    }
}

int tp_err_http_status(int err)
{
    switch (err) {
#define XX(name, value, http, message) \
    case TP_##name:                    \
        return http;
        TP_ERR_MAP(XX)
#undef XX
    default:
        return 500;
    }
}
