/*
 * proxy07_persist.c - stage 07's part: kept client connections (given
 * glue; see proxy_persist.h and persist.h).
 *
 * Each answer gets a framer of its own, on the heap: it holds two heads
 * (about 80 KiB), too much for a worker's stack beside the request. With
 * -k 0 there is no framer: every answer goes out as stage 06 sends it,
 * and every connection closes after one (the graded tests of labs 1-6
 * run stage 07's program so).
 */
#include <stdbool.h>
#include <stdlib.h>

#include "die.h"
#include "persist.h"
#include "proxy.h"
#include "proxy_persist.h"
#include "sink.h"
#include "stage.h"

/* The options of stage 07 (-k). */
struct persist_options {
    int idle_ms; /* a kept connection may wait this long for a request;
                    0: no connection is kept */
};

/* A framer and the sink the core writes the answer to. */
struct answer {
    struct sink sink;
    struct sink client;
    struct persist_framer framer;
};

static struct persist_options options = {
    .idle_ms = 15000, /* between Apache's 5 s and nginx's 75 s */
};

/* option - apply -k. */
static bool option(int letter, const char *arg)
{
    if (letter != 'k') {
        return false;
    }
    options.idle_ms = int_arg(arg, 0, PROXY_MAX_MS, "-k KEEP_MS");
    return true;
}

/* start - the state is the options themselves. */
static void *start(const struct proxy_config *cfg)
{
    (void)cfg;
    return &options;
}

/* write_to_framer - the write callback of an answer's sink. */
static ssize_t write_to_framer(struct sink *sink, const void *buf, size_t n)
{
    struct answer *answer = sink->arg;

    return persist_framer_write(&answer->framer, buf, n);
}

/* write_as_is - the write callback of an answer's sink with -k 0. */
static ssize_t write_as_is(struct sink *sink, const void *buf, size_t n)
{
    struct answer *answer = sink->arg;

    return sink_write(&answer->client, buf, n);
}

/* respond - a framer for the answer to req, in front of client. */
static struct sink *respond(void *state, struct rio *client,
                            const struct http_request *req)
{
    const struct persist_options *opt = state;
    struct answer *answer = malloc(sizeof(*answer));

    if (answer == NULL) {
        return NULL;
    }
    answer->client = sink_to_rio(client);
    answer->sink = (struct sink){ .write = write_to_framer, .arg = answer };
    if (opt->idle_ms == 0) {
        answer->sink.write = write_as_is;
        return &answer->sink;
    }
    persist_framer_init(&answer->framer, req, &answer->client);
    return &answer->sink;
}

/* answered - whether the answer left the connection fit for another
 * request; free its framer. */
static int answered(void *state, struct sink *to_client, bool complete)
{
    const struct persist_options *opt = state;
    struct answer *answer = to_client->arg;
    bool keep =
        opt->idle_ms > 0 && persist_framer_end(&answer->framer, complete);

    free(answer);
    return keep ? opt->idle_ms : 0;
}

const struct stage_part proxy_persist_part = {
    .name = "persist",
    .optstring = "k:",
    .help = "  -k KEEP_MS    how long a kept client connection may wait for\n"
            "                its next request (default 15000; 0: close every\n"
            "                connection after one answer, as stage 06)\n",
    .option = option,
    .start = start,
    .respond = respond,
    .answered = answered,
};
