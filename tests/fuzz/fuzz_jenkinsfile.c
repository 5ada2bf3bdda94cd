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
        /* Ids grow in flow order and every step sits inside its stage's id range. */
        int64_t last = 0;
        for (size_t i = 0; i < plan->nstages; i++) {
            const struct tp_plan_stage *stage = &plan->stages[i];
            if (stage->id <= last || plan->diags.count != 0)
                abort();
            last = stage->id;
            for (size_t k = 0; k < stage->nsteps; k++) {
                if (stage->steps[k].id <= last)
                    abort();
                last = stage->steps[k].id;
            }
        }
        if (plan->nstages > 0 && plan->last_id <= last)
            abort();
    } else {
        struct tp_buf text;
        tp_buf_init(&text);
        tp_plan_format_errors(plan, &text);
        tp_buf_close(&text);
    }
    tp_plan_free(plan);
    return 0;
}
