/*
 * stage07.c - stage 07's table: stage 06, with client connections kept
 * open from one request to the next.
 */
#include "proxy_cache.h"
#include "proxy_persist.h"
#include "proxy_policy.h"
#include "proxy_threads.h"
#include "proxy_tunnel.h"
#include "stage.h"

const struct stage stage = {
    .name = "07-persist",
    .parts = { &proxy_threads_part, &proxy_tunnel_part, &proxy_cache_part,
               &proxy_policy_part, &proxy_persist_part },
};
