/* SPDX-License-Identifier: MIT */
/* Fuzz target: Jenkinsfile text -> lex, parse, validate, lower. Must never crash or leak,
 * and a valid plan must be internally consistent. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "common/buf.h"
#include "jenkinsfile/plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tp_plan *plan;
    int err = tp_plan_compile((const char *)data, size, &plan);
    if (err == 0) {
        /* Every node has a distinct id and sits in the node list at its own position. */
        for (size_t i = 0; i < plan->nnodes; i++) {
            const struct tp_plan_stage *stage = plan->nodes[i];
            if (stage->seq != (int64_t)i || stage->id <= 0 || stage->id >= plan->last_id ||
                plan->diags.count != 0)
                abort();
            for (size_t k = 0; k < i; k++) {
                if (plan->nodes[k]->id == stage->id)
                    abort();
            }
        }
    } else {
        struct tp_buf text;
        tp_buf_init(&text);
        tp_plan_format_errors(plan, &text);
        tp_buf_close(&text);
    }
    tp_plan_free(plan);
    return 0;
}
