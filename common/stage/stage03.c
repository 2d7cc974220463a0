/*
 * stage03.c - stage 03's table: the forwarding proxy, served by threads.
 */
#include "stage.h"
#include "threads.h"

const struct stage stage = {
    .name = "03-threads",
    .serve = threads_serve,
    .tunnel = NULL, /* CONNECT arrives in stage 04 */
};
