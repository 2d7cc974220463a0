/*
 * stage.h - what a proxy stage adds to the given core of stage 02.
 *
 * The core (proxy.h) is stage 02's program: the options every proxy has,
 * one client at a time, each request forwarded with forward_request. Every
 * later stage brings one part, in a glue file of its own: the options it
 * adds, the state it makes from them, and the steps of the program it
 * takes over.
 *
 *   stage  part                 options       takes over
 *   03     proxy03_threads.c    -n -q -w      serve: the thread pool
 *   04     proxy04_tunnel.c     -p            tunnel: CONNECT
 *   05     proxy05_cache.c      -m -o -e      exchange: hits and misses
 *   06     proxy06_policy.c     -f -a -A -C   admit, account: the policy
 *   07     proxy07_persist.c    -k -u -U -K   respond, answered: kept
 *                                             client connections;
 *                                             forward: kept origin
 *                                             connections
 *
 * A stage's table, stageNN.c, lists the parts of the stages up to it. The
 * core runs each step with the last part that takes it over, or does what
 * stage 02 does when none does. So the core names nothing a later stage
 * owns, and moving to the next stage never means editing a file a student
 * wrote.
 *
 * Interface:
 *   struct stage_part, enum stage_step, struct stage
 *   stage           this program's table (defined in its stageNN.c)
 *   stage_part_for  which part takes over a step (proxy_parts.c)
 *   stage_start, stage_stop   start and stop every part (proxy_parts.c)
 */
#ifndef STAGE_H
#define STAGE_H

#include <stdbool.h>

#include "forward.h"
#include "http.h"
#include "proxy.h"
#include "rio.h"
#include "sink.h"

struct stage_part {
    const char *name;      /* "cache", for messages */
    const char *optstring; /* the getopt letters it adds: "m:o:e:" */
    const char *help;      /* their lines of -h */

    /* Apply one of its options (arg is NULL for a flag) to the part's
     * options, before start; false if arg is not valid. */
    bool (*option)(int letter, const char *arg);

    /* Make the part's state from its options and the core's (proxy->cfg),
     * before the accept loop; the proxy outlives the state, and its steps
     * (proxy_forward) may be used from it once the accept loop runs. NULL
     * with errno set if it cannot (main() then exits).
     * stop frees it once the accept loop has ended and no request is in flight.
     * NULL: the part has no state to make or free. */
    void *(*start)(const struct proxy *proxy);
    void (*stop)(void *state);

    /* The steps it takes over; NULL where it takes over nothing. Each gets
     * the state its start made. */

    /* Accept the proxy's clients (proxy_accept) and serve each with
     * proxy_serve_client until the proxy stops; 0 then, -1 with errno set
     * on failure. Stage 02: proxy_serve_sequential. */
    int (*serve)(void *state, const struct proxy *proxy);

    /* Serve a CONNECT request that admit let through; as serve_request
     * in proxy_client.c, it returns 0 once out->status and out->bytes
     * tell what was sent, the status to answer with, or -1 when the
     * client is gone. Stage 02: 501. */
    int (*tunnel)(void *state, struct rio *client,
                  const struct http_request *req, struct outcome *out);

    /* Serve a request that goes to an origin, its answer going to the
     * client through to_client (respond's sink): returns as
     * forward_request does, and may set out->note. Stage 02:
     * forward_request. */
    int (*exchange)(void *state, struct rio *client, struct sink *to_client,
                    const struct http_request *req, struct forward_result *res,
                    struct outcome *out);

    /* Send req to its origin and relay the answer through sink: what an
     * exchange does with a request the cache cannot answer (proxy_forward
     * runs this step). Returns as forward_request does. Stage 02:
     * forward_request, a new connection for every request. */
    int (*forward)(void *state, const struct http_request *req,
                   struct rio *client, struct sink *sink,
                   struct forward_result *res);

    /* The way the answer to req, a request that goes to an origin, reaches
     * the client: a sink in front of client's connection, which answered
     * then frees; NULL with errno set when it cannot be made. Stage 02:
     * the connection itself. */
    struct sink *(*respond)(void *state, struct rio *client,
                            const struct http_request *req);

    /* The answer that went through to_client is over; complete says
     * whether it ended as its framing says. Frees to_client. Returns how
     * long the client's connection may then wait for its next request, in
     * ms, or 0 when it must close. Stage 02: 0, every connection closes. */
    int (*answered)(void *state, struct sink *to_client, bool complete);

    /* Decide whether a request may reach its origin (a CONNECT request:
     * its target), and rewrite it before it goes. Called after
     * http_parse_target, except for CONNECT. Returns 0, or the status to
     * answer with (then out->detail may say why). Stage 02: 0. */
    int (*admit)(void *state, struct http_request *req, struct outcome *out);

    /* Account for a request whose answer is over. Stage 02: nothing (the
     * log lines on stderr are all). */
    void (*account)(void *state, const struct outcome *out);
};

/* The steps a part may take over, for stage_part_for. */
enum stage_step {
    STEP_SERVE,
    STEP_TUNNEL,
    STEP_EXCHANGE,
    STEP_FORWARD,
    STEP_ADMIT,
    STEP_ACCOUNT,
    STEP_RESPOND /* respond and answered */
};

struct stage {
    const char *name; /* "02-forward", for the start-up log line */
    /* The parts of stages 03 up to this one, in order; NULL ends them. */
    const struct stage_part *parts[PROXY_MAXPARTS];
};

extern const struct stage stage;

/*
 * stage_part_for - the index in stage.parts of the last part that takes
 * over step, or -1 when none does.
 */
int stage_part_for(enum stage_step step);

/*
 * stage_start - start every part, in order, into proxy->part_state.
 * Returns 0, or -1 with errno set after stopping those already started.
 */
int stage_start(struct proxy *proxy);

/* stage_stop - stop every part, the last first. */
void stage_stop(struct proxy *proxy);

#endif /* STAGE_H */
