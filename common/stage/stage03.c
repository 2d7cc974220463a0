/*
 * stage03.c - stage 03's table: the forwarding proxy, served by threads.
 */
#include "proxy_threads.h"
#include "stage.h"

const struct stage stage = {
    .name = "03-threads",
    .parts = { &proxy_threads_part },
};
