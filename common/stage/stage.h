/*
 * stage.h - what a proxy stage plugs into the given glue.
 *
 * Each stage N >= 2 has a small table, common/stage/stageNN.c, naming the
 * functions that make it different from the stage before: stage 02 serves
 * clients one at a time with the given loop, stage 03 with the student's
 * thread pool, and so on. The glue calls through the table, so moving to
 * the next stage never means editing a file a student wrote.
 *
 * Interface:
 *   struct stage, the table
 *   stage        this program's table (defined in its stageNN.c)
 */
#ifndef STAGE_H
#define STAGE_H

#include "accesslog.h"
#include "forward.h"
#include "http.h"
#include "proxy.h"
#include "rio.h"
#include "tunnel.h"

struct stage {
    const char *name; /* "02-forward", for the start-up log line */

    /* Accept clients on listenfd and serve each with proxy_serve_client
     * until cfg->stop_fd fires; return 0 then, -1 on failure. */
    int (*serve)(int listenfd, const struct proxy_config *cfg);

    /* Serve a CONNECT request (tunnel.h's tunnel_serve); NULL before
     * stage 04, and the glue answers CONNECT with 501. */
    int (*tunnel)(struct rio *client, const struct http_request *req,
                  const struct tunnel_config *cfg, struct tunnel_result *res);

    /* Set up, before the accept loop, and tear down, after it, what the
     * stage adds (the cache in 05); NULL: nothing to do. start returns 0,
     * or -1 with errno set, and main() then exits. */
    int (*start)(struct proxy_config *cfg);
    void (*stop)(struct proxy_config *cfg);

    /* Serve a request that goes to an origin (not CONNECT): the cache in
     * stage 05, which answers hits itself and calls forward_request for
     * misses. Returns as forward_request does, and sets *note ("HIT",
     * "MISS" or NULL) for the log line. NULL: forward_request directly. */
    int (*exchange)(struct rio *client, const struct http_request *req,
                    const struct proxy_config *cfg, struct forward_result *res,
                    const char **note);

    /* Decide whether a request may reach its origin (a CONNECT request:
     * its target), and rewrite it (the anonymity option) before it goes:
     * stage 06's policy. Called after http_parse_target, except for
     * CONNECT. Returns 0, or the status to answer with: 403, with the
     * rule that matched copied into rule (BLOCKLIST_MAXRULE bytes), 400
     * or 431. NULL: every request goes as it is. */
    int (*admit)(struct http_request *req, const struct proxy_config *cfg,
                 char *rule);

    /* Account for a request whose answer is over (stage 06's access
     * log). NULL: the log lines on stderr are all. */
    void (*account)(const struct access_entry *entry,
                    const struct proxy_config *cfg);
};

extern const struct stage stage;

#endif /* STAGE_H */
