/*
 * stage05.c - stage 05's table: threads, tunnels, and a shared cache.
 */
#include "proxy_cache.h"
#include "proxy_threads.h"
#include "proxy_tunnel.h"
#include "stage.h"

const struct stage stage = {
    .name = "05-cache",
    .parts = { &proxy_threads_part, &proxy_tunnel_part, &proxy_cache_part },
};
