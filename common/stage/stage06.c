/*
 * stage06.c - stage 06's table: stage 05, plus a policy that filters,
 * logs and, if asked, anonymises every request.
 */
#include "proxy_cache.h"
#include "proxy_policy.h"
#include "stage.h"
#include "threads.h"
#include "tunnel.h"

const struct stage stage = {
    .name = "06-policy",
    .serve = threads_serve,
    .tunnel = tunnel_serve,
    .start = proxy_policy_start,
    .stop = proxy_policy_stop,
    .exchange = proxy_cache_exchange,
    .admit = proxy_policy_admit,
    .account = proxy_policy_account,
};
