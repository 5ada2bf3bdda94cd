/* SPDX-License-Identifier: MIT */
/*
 * Jenkins' classic REST API, the surface python-jenkins, jenkins-job-builder, node-jenkins,
 * jenkins-api and Backstage talk to: the root and identity, `api/json` of the root, jobs,
 * builds, the queue and the built-in node (with `tree=` and `depth=`), build triggers that
 * answer 201 and the queue item's Location, console logs (whole and progressive), and the
 * build actions that answer 302 to a page that answers 200. One route table; handlers are
 * thin: read the store, call the engine, build JSON (classic_json.h).
 */
#ifndef TP_HTTP_CLASSIC_H
#define TP_HTTP_CLASSIC_H

#include "http/router.h"

extern const struct tp_route_table tp_classic_table;

#endif
