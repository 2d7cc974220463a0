/*
 * stage02.c - stage 02's table: the core alone, a sequential forwarding
 * proxy.
 */
#include "stage.h"

const struct stage stage = {
    .name = "02-forward",
    .parts = { NULL },
};
