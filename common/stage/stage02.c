/*
 * stage02.c - stage 02's table: a sequential forwarding proxy.
 */
#include "stage.h"

const struct stage stage = {
    .name = "02-forward",
    .serve = proxy_serve_sequential,
    .tunnel = NULL, /* CONNECT arrives in stage 04 */
};
