/*
 * proxy06_policy.c - stage 06's part: the given glue around the policy;
 * see proxy_policy.h.
 *
 * SIGHUP is handled by a thread of its own that waits in sigwait(), not by
 * a signal handler: reading a file and allocating are not allowed in a
 * handler, and in a thread they are ordinary code. Every other thread
 * keeps SIGHUP blocked, so the kernel delivers it to that one.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "accesslog.h"
#include "anonymity.h"
#include "blocklist.h"
#include "deadline.h"
#include "filter.h"
#include "log.h"
#include "net.h"
#include "proxy.h"
#include "proxy_policy.h"
#include "stage.h"
#include "tunnel.h"

_Static_assert(BLOCKLIST_MAXRULE <= PROXY_MAXDETAIL,
               "a blocklist rule fits an error page's detail line");

/* The options of stage 06 (-f, -a, -A, -C). */
struct policy_options {
    const char *blocklist_path;  /* hosts to refuse, or NULL */
    const char *access_log_path; /* the access log, or NULL */
    bool anonymous;              /* strip headers that identify the user */
    bool strip_cookies;          /* ... and Cookie too */
};

/* The part's state: what the options made, and the SIGHUP thread. */
struct proxy_policy {
    struct policy_options opt;
    struct filter *filter;        /* the blocklist (thread-safe), or NULL */
    struct accesslog *access_log; /* the log (thread-safe), or NULL */
    pthread_t reloader;           /* waits for SIGHUP */
    bool reloading;               /* reloader runs */
    atomic_bool stopping;         /* set before the last SIGHUP, by stop */
};

static struct policy_options options;

/* load_list - the blocklist at path, or NULL after logging why not. */
static struct blocklist *load_list(const char *path)
{
    size_t bad_line = 0;
    struct blocklist *list = blocklist_load(path, &bad_line);

    if (list == NULL && errno == EINVAL) {
        log_error("%s, line %zu: not a host pattern", path, bad_line);
    } else if (list == NULL) {
        log_error("cannot load the blocklist %s:", path);
    } else {
        log_info("blocklist %s: %zu rules", path, blocklist_count(list));
    }
    return list;
}

/* reload - what a SIGHUP asks for: a fresh blocklist (the old one stays
 * if the file is no longer valid) and a fresh log file. */
static void reload(struct proxy_policy *pp)
{
    if (pp->filter != NULL) {
        struct blocklist *list = load_list(pp->opt.blocklist_path);

        if (list == NULL) {
            log_warn("SIGHUP: kept the blocklist in use");
        } else if (filter_replace(pp->filter, list) < 0) {
            log_error("SIGHUP: cannot replace the blocklist:");
        }
    }
    if (pp->access_log != NULL && accesslog_reopen(pp->access_log) < 0) {
        log_error("SIGHUP: cannot reopen the access log %s:",
                  pp->opt.access_log_path);
    }
    log_info("SIGHUP: reload done");
}

/* reload_loop - the SIGHUP thread: wait, reload, until stopping. */
static void *reload_loop(void *arg)
{
    struct proxy_policy *pp = arg;
    sigset_t hup;
    int sig;

    sigemptyset(&hup);
    sigaddset(&hup, SIGHUP);
    while (sigwait(&hup, &sig) == 0 && !atomic_load(&pp->stopping)) {
        reload(pp);
    }
    return NULL;
}

/* start_reloader - block SIGHUP here (and so in every thread made from
 * now on) and start the thread that waits for it. */
static int start_reloader(struct proxy_policy *pp)
{
    sigset_t hup;
    int err;

    sigemptyset(&hup);
    sigaddset(&hup, SIGHUP);
    err = pthread_sigmask(SIG_BLOCK, &hup, NULL);
    if (err == 0) {
        atomic_store(&pp->stopping, false);
        err = pthread_create(&pp->reloader, NULL, reload_loop, pp);
    }
    pp->reloading = err == 0;
    errno = err;
    return pp->reloading ? 0 : -1;
}

/* option - apply -f, -a, -A or -C. */
static bool option(int letter, const char *arg)
{
    switch (letter) {
    case 'f':
        options.blocklist_path = arg;
        return true;
    case 'a':
        options.access_log_path = arg;
        return true;
    case 'C':
        options.strip_cookies = true;
        options.anonymous = true;
        return true;
    case 'A':
        options.anonymous = true;
        return true;
    default:
        return false;
    }
}

/* stop - stop the SIGHUP thread, close the log, free the filter. No
 * request may be in flight any more. */
static void stop(void *state)
{
    struct proxy_policy *pp = state;

    if (pp->reloading) {
        atomic_store(&pp->stopping, true);
        pthread_kill(pp->reloader, SIGHUP);
        pthread_join(pp->reloader, NULL);
    }
    accesslog_close(pp->access_log);
    filter_free(pp->filter);
    free(pp);
}

/* open_all - the filter and the access log, as the options ask.
 * Returns 0, or -1 with errno set. */
static int open_all(struct proxy_policy *pp)
{
    if (pp->opt.blocklist_path != NULL) {
        struct blocklist *list = load_list(pp->opt.blocklist_path);

        pp->filter = list != NULL ? filter_new(list) : NULL;
        if (pp->filter == NULL) {
            return -1;
        }
    }
    if (pp->opt.access_log_path != NULL) {
        pp->access_log = accesslog_open(pp->opt.access_log_path);
        if (pp->access_log == NULL) {
            log_error("cannot open the access log %s:",
                      pp->opt.access_log_path);
            return -1;
        }
    }
    if (pp->filter == NULL && pp->access_log == NULL) {
        return 0; /* nothing to reload: SIGHUP keeps its default action */
    }
    return start_reloader(pp);
}

/* start - the filter, the access log and the SIGHUP thread. It runs
 * before any other thread exists: it blocks SIGHUP, and threads made
 * later inherit that. */
static void *start(const struct proxy *proxy)
{
    struct proxy_policy *pp = calloc(1, sizeof(*pp));

    (void)proxy;
    if (pp == NULL) {
        return NULL;
    }
    pp->opt = options;
    if (open_all(pp) < 0) {
        int saved = errno;

        stop(pp);
        errno = saved;
        return NULL;
    }
    return pp;
}

/* is_blocked - whether the filter blocks req's origin or, for CONNECT,
 * its target; *status is then 403, or 400 for a target that is not
 * host:port (tunnel_serve would answer that too). */
static bool is_blocked(const struct http_request *req, struct filter *filter,
                       char *rule, int *status)
{
    char host[HTTP_MAXHOST];
    char port[HTTP_MAXPORT];

    *status = 403;
    if (strcmp(req->method, "CONNECT") != 0) {
        return filter_check(filter, req->host, req->port, rule,
                            BLOCKLIST_MAXRULE);
    }
    *status = tunnel_parse_authority(req->target, host, sizeof(host), port,
                                     sizeof(port));
    if (*status != 0) {
        return true;
    }
    *status = 403;
    return filter_check(filter, host, port, rule, BLOCKLIST_MAXRULE);
}

/* admit - 403 (and the rule in out->detail) when the blocklist blocks
 * req's host and port (a CONNECT request's: its target's, or 400 when
 * that is not host:port); otherwise, with -A, anonymity_apply's answer
 * for a request other than CONNECT; otherwise 0. */
static int admit(void *state, struct http_request *req, struct outcome *out)
{
    struct proxy_policy *pp = state;
    int status;

    if (pp->filter != NULL &&
        is_blocked(req, pp->filter, out->detail, &status)) {
        return status;
    }
    if (pp->opt.anonymous && strcmp(req->method, "CONNECT") != 0) {
        return anonymity_apply(req, pp->opt.strip_cookies);
    }
    return 0;
}

/* account - write the request's line to the access log, if there is one. */
static void account(void *state, const struct outcome *out)
{
    struct proxy_policy *pp = state;
    char client[NET_PEER_MAX];
    const struct http_request *req = out->req;
    struct access_entry entry = {
        .client = net_peer_host(out->peer, client, sizeof(client)),
        .started_ms = out->arrived_ms,
        .method = req != NULL ? req->method : NULL,
        .target = req != NULL ? req->target : NULL,
        .minor_version = req != NULL ? req->minor_version : 0,
        .status = out->status,
        .bytes = out->bytes,
        .duration_ms = deadline_now() - out->arrived,
        .cache = out->note,
        .up = out->counted_up ? &out->up : NULL,
    };

    if (pp->access_log != NULL && accesslog_write(pp->access_log, &entry) < 0) {
        log_warn("cannot write the access log %s:", pp->opt.access_log_path);
    }
}

const struct stage_part proxy_policy_part = {
    .name = "policy",
    .optstring = "f:a:AC",
    .help = "  -f BLOCKLIST  refuse hosts this file names (SIGHUP reloads it)\n"
            "  -a ACCESS_LOG append a line per request to this file (SIGHUP\n"
            "                reopens it)\n"
            "  -A            anonymous: strip headers that identify the user\n"
            "  -C            with -A, remove Cookie headers too (implies -A)\n",
    .option = option,
    .start = start,
    .stop = stop,
    .admit = admit,
    .account = account,
};
