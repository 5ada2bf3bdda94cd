/* SPDX-License-Identifier: MIT */
/* Blue Ocean's REST API (spec: blueocean-api.md) as one route table. */
#ifndef TP_HTTP_BLUE_H
#define TP_HTTP_BLUE_H

#include "http/router.h"

extern const struct tp_route_table tp_blue_table;

#endif
