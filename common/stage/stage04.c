/*
 * stage04.c - stage 04's table: threads, and CONNECT tunnels for HTTPS.
 */
#include "stage.h"
#include "threads.h"
#include "tunnel.h"

const struct stage stage = {
    .name = "04-connect",
    .serve = threads_serve,
    .tunnel = tunnel_serve,
};
