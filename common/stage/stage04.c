/*
 * stage04.c - stage 04's table: threads, and CONNECT tunnels for HTTPS.
 */
#include "proxy_threads.h"
#include "proxy_tunnel.h"
#include "stage.h"

const struct stage stage = {
    .name = "04-connect",
    .parts = { &proxy_threads_part, &proxy_tunnel_part },
};
