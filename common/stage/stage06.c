/*
 * stage06.c - stage 06's table: stage 05, plus a policy that filters,
 * logs and, if asked, anonymises every request.
 */
#include "proxy_cache.h"
#include "proxy_policy.h"
#include "proxy_threads.h"
#include "proxy_tunnel.h"
#include "stage.h"

const struct stage stage = {
    .name = "06-policy",
    .parts = { &proxy_threads_part, &proxy_tunnel_part, &proxy_cache_part,
               &proxy_policy_part },
};
