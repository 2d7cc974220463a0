/*
 * proxy06_policy.c - the given glue around the stage 06 policy; see
 * proxy_policy.h.
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
#include <string.h>

#include "accesslog.h"
#include "anonymity.h"
#include "blocklist.h"
#include "filter.h"
#include "log.h"
#include "proxy.h"
#include "proxy_cache.h"
#include "proxy_policy.h"
#include "tunnel.h"

static pthread_t reloader;   /* waits for SIGHUP */
static bool reloading;       /* reloader runs: there is something to reload */
static atomic_bool stopping; /* set before the last SIGHUP, from stop */

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
static void reload(const struct proxy_config *cfg)
{
    if (cfg->filter != NULL) {
        struct blocklist *list = load_list(cfg->blocklist_path);

        if (list == NULL) {
            log_warn("SIGHUP: kept the blocklist in use");
        } else if (filter_replace(cfg->filter, list) < 0) {
            log_error("SIGHUP: cannot replace the blocklist:");
        }
    }
    if (cfg->access_log != NULL && accesslog_reopen(cfg->access_log) < 0) {
        log_error("SIGHUP: cannot reopen the access log %s:",
                  cfg->access_log_path);
    }
    log_info("SIGHUP: reload done");
}

/* reload_loop - the SIGHUP thread: wait, reload, until stopping. */
static void *reload_loop(void *arg)
{
    const struct proxy_config *cfg = arg;
    sigset_t hup;
    int sig;

    sigemptyset(&hup);
    sigaddset(&hup, SIGHUP);
    while (sigwait(&hup, &sig) == 0 && !atomic_load(&stopping)) {
        reload(cfg);
    }
    return NULL;
}

/* start_reloader - block SIGHUP here (and so in every thread made from
 * now on) and start the thread that waits for it. */
static int start_reloader(struct proxy_config *cfg)
{
    sigset_t hup;
    int err;

    sigemptyset(&hup);
    sigaddset(&hup, SIGHUP);
    err = pthread_sigmask(SIG_BLOCK, &hup, NULL);
    if (err == 0) {
        atomic_store(&stopping, false);
        err = pthread_create(&reloader, NULL, reload_loop, cfg);
    }
    reloading = err == 0;
    errno = err;
    return reloading ? 0 : -1;
}

int proxy_policy_start(struct proxy_config *cfg)
{
    if (proxy_cache_start(cfg) < 0) {
        return -1;
    }
    if (cfg->blocklist_path != NULL) {
        struct blocklist *list = load_list(cfg->blocklist_path);

        cfg->filter = list != NULL ? filter_new(list) : NULL;
        if (cfg->filter == NULL) {
            return -1;
        }
    }
    if (cfg->access_log_path != NULL) {
        cfg->access_log = accesslog_open(cfg->access_log_path);
        if (cfg->access_log == NULL) {
            log_error("cannot open the access log %s:", cfg->access_log_path);
            return -1;
        }
    }
    if (cfg->filter == NULL && cfg->access_log == NULL) {
        return 0; /* nothing to reload: SIGHUP keeps its default action */
    }
    return start_reloader(cfg);
}

void proxy_policy_stop(struct proxy_config *cfg)
{
    if (reloading) {
        atomic_store(&stopping, true);
        pthread_kill(reloader, SIGHUP);
        pthread_join(reloader, NULL);
        reloading = false;
    }
    accesslog_close(cfg->access_log);
    cfg->access_log = NULL;
    filter_free(cfg->filter);
    cfg->filter = NULL;
    proxy_cache_stop(cfg);
}

/* is_blocked - whether the filter blocks req's origin or, for CONNECT,
 * its target; *status is then 403, or 400 for a target that is not
 * host:port (tunnel_serve would answer that too). */
static bool is_blocked(const struct http_request *req,
                       const struct proxy_config *cfg, char *rule, int *status)
{
    char host[HTTP_MAXHOST];
    char port[HTTP_MAXPORT];

    *status = 403;
    if (strcmp(req->method, "CONNECT") != 0) {
        return filter_check(cfg->filter, req->host, req->port, rule,
                            BLOCKLIST_MAXRULE);
    }
    *status = tunnel_parse_authority(req->target, host, sizeof(host), port,
                                     sizeof(port));
    if (*status != 0) {
        return true;
    }
    *status = 403;
    return filter_check(cfg->filter, host, port, rule, BLOCKLIST_MAXRULE);
}

int proxy_policy_admit(struct http_request *req, const struct proxy_config *cfg,
                       char *rule)
{
    int status;

    if (cfg->filter != NULL && is_blocked(req, cfg, rule, &status)) {
        return status;
    }
    if (cfg->anonymous && strcmp(req->method, "CONNECT") != 0) {
        return anonymity_apply(req, cfg->strip_cookies);
    }
    return 0;
}

void proxy_policy_account(const struct access_entry *entry,
                          const struct proxy_config *cfg)
{
    if (cfg->access_log != NULL &&
        accesslog_write(cfg->access_log, entry) < 0) {
        log_warn("cannot write the access log %s:", cfg->access_log_path);
    }
}
