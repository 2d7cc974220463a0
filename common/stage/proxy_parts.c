/*
 * proxy_parts.c - the parts a stage adds to the core, started, stopped and
 * looked up by step (given glue; see stage.h).
 */
#include <errno.h>
#include <stddef.h>

#include "proxy.h"
#include "stage.h"

/* count - how many parts this stage has. */
static int count(void)
{
    int n = 0;

    while (n < PROXY_MAXPARTS && stage.parts[n] != NULL) {
        n++;
    }
    return n;
}

/* takes_over - whether part has its own code for step. */
static bool takes_over(const struct stage_part *part, enum stage_step step)
{
    switch (step) {
    case STEP_SERVE:
        return part->serve != NULL;
    case STEP_TUNNEL:
        return part->tunnel != NULL;
    case STEP_EXCHANGE:
        return part->exchange != NULL;
    case STEP_FORWARD:
        return part->forward != NULL;
    case STEP_ADMIT:
        return part->admit != NULL;
    case STEP_ACCOUNT:
        return part->account != NULL;
    case STEP_RESPOND:
        return part->respond != NULL;
    }
    return false;
}

int stage_part_for(enum stage_step step)
{
    for (int i = count() - 1; i >= 0; i--) {
        if (takes_over(stage.parts[i], step)) {
            return i;
        }
    }
    return -1;
}

int stage_start(struct proxy *proxy)
{
    int n = count();

    for (int i = 0; i < n; i++) {
        const struct stage_part *part = stage.parts[i];

        if (part->start == NULL) {
            continue;
        }
        proxy->part_state[i] = part->start(proxy);
        if (proxy->part_state[i] == NULL) {
            int saved = errno;

            stage_stop(proxy);
            errno = saved;
            return -1;
        }
    }
    return 0;
}

void stage_stop(struct proxy *proxy)
{
    for (int i = count() - 1; i >= 0; i--) {
        const struct stage_part *part = stage.parts[i];

        if (part->stop != NULL && proxy->part_state[i] != NULL) {
            part->stop(proxy->part_state[i]);
        }
        proxy->part_state[i] = NULL;
    }
}
