/*
 * stage05.c - stage 05's table: threads, tunnels, and a shared cache.
 */
#include "proxy_cache.h"
#include "stage.h"
#include "threads.h"
#include "tunnel.h"

const struct stage stage = {
    .name = "05-cache",
    .serve = threads_serve,
    .tunnel = tunnel_serve,
    .start = proxy_cache_start,
    .stop = proxy_cache_stop,
    .exchange = proxy_cache_exchange,
};
