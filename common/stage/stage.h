/*
 * stage.h - what a proxy stage plugs into the given glue.
 *
 * Each stage N >= 2 has a small table, common/stage/stageNN.c, naming the
 * functions that make it different from the stage before: stage 02 serves
 * clients one at a time with the given loop, stage 03 with the student's
 * thread pool, and so on. The glue calls through the table, so moving to
 * the next stage never means editing a file a student wrote.
 *
 * Interface:
 *   struct stage, the table
 *   stage        this program's table (defined in its stageNN.c)
 */
#ifndef STAGE_H
#define STAGE_H

#include "proxy.h"

struct stage {
    const char *name; /* "02-forward", for the start-up log line */

    /* Accept clients on listenfd and serve each with proxy_serve_client
     * until cfg->stop_fd fires; return 0 then, -1 on failure. */
    int (*serve)(int listenfd, const struct proxy_config *cfg);
};

extern const struct stage stage;

#endif /* STAGE_H */
