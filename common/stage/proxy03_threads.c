/*
 * proxy03_threads.c - stage 03's part: serve clients on threads (given
 * glue; see proxy_threads.h and threads.h).
 */
#include <stdbool.h>

#include "die.h"
#include "proxy.h"
#include "proxy_threads.h"
#include "stage.h"
#include "threads.h"

#define MAX_THREADS 1024 /* more workers than this is a mistake */
#define MAX_QUEUE   65536

static struct threads_config options = {
    .threads = 16,
    .queue_size = 128,
    .queue_wait_ms = 1000,
};

/* option - apply -n, -q or -w. */
static bool option(int letter, const char *arg)
{
    switch (letter) {
    case 'n':
        options.threads = int_arg(arg, 0, MAX_THREADS, "-n THREADS");
        return true;
    case 'q':
        options.queue_size = int_arg(arg, 1, MAX_QUEUE, "-q QUEUE");
        return true;
    case 'w':
        options.queue_wait_ms =
            int_arg(arg, 1, PROXY_MAX_MS, "-w QUEUE_WAIT_MS");
        return true;
    default:
        return false;
    }
}

/* start - the state is the options themselves: the pool is made by
 * threads_serve, and lives as long as its accept loop. */
static void *start(const struct proxy *proxy)
{
    (void)proxy;
    return &options;
}

/* serve - the accept loop of stages 03 on. */
static int serve(void *state, const struct proxy *proxy)
{
    return threads_serve(proxy, state);
}

const struct stage_part proxy_threads_part = {
    .name = "thread pool",
    .optstring = "n:q:w:",
    .help = "  -n THREADS    worker threads (default 16; 0: a thread per\n"
            "                connection)\n"
            "  -q QUEUE      connections waiting for a worker, at most\n"
            "                (default 128)\n"
            "  -w QUEUE_WAIT_MS  a client waits this long for room in the\n"
            "                queue, then gets 503 (default 1000)\n",
    .option = option,
    .start = start,
    .serve = serve,
};
