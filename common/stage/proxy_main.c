/*
 * proxy_main.c - main() of the proxy stages (given code).
 *
 * Usage: PROGRAM [-b ADDRESS] [-l LEVEL] [-t HEADER_MS] [-i IDLE_MS] [...]
 *                PORT   (PROGRAM -h lists every option of its stage)
 * (options come before the port, as POSIX getopt wants). The options
 * here are those of every proxy; each part of a later stage (stage.h)
 * adds its own.
 * As in the CS:APP Proxy Lab, the port is the only argument a grader
 * needs. Listens on 127.0.0.1 unless -b says otherwise (an open proxy on a
 * campus network gets abused), logs "listening on HOST:PORT" (PORT 0
 * picks a free port), then runs the stage's accept loop (stage.h) until
 * SIGINT or SIGTERM; requests in flight then have -g seconds to finish.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "die.h"
#include "log.h"
#include "net.h"
#include "proxy.h"
#include "stage.h"
#include "stop.h"
#include "waiting_room.h"

#define ARGS      "[-b ADDRESS] [-l LEVEL] [-t HEADER_MS] [-i IDLE_MS] [...] PORT"
#define CORE_OPTS "b:l:t:c:i:g:"
#define OPTS_MAX  64 /* getopt letters of the core and every part */
/* Descriptors kept back from the waiting room for everything else (the
 * clients being served, their origins, logs): a quarter of the limit, and
 * this many more. */
#define FD_RESERVE 64
#define HELP_MAX   4096 /* -h's text */

static const char *const core_help =
    "  PORT          TCP port to listen on (0: any free port)\n"
    "  -b ADDRESS    address to listen on (default 127.0.0.1)\n"
    "  -l LEVEL      log level: error, warn, info or debug (default info)\n"
    "  -t HEADER_MS  a client must send its request head within this\n"
    "                (default 10000)\n"
    "  -c CONNECT_MS give up connecting to an origin after this\n"
    "                (default 5000)\n"
    "  -i IDLE_MS    drop a client or origin silent this long\n"
    "                (default 30000)\n"
    "  -g GRACE_S    after SIGTERM, let requests in flight finish for this\n"
    "                long (default 2)\n";

/* core_option - apply one of the core's options to cfg; false if it is
 * not one, or its argument is not valid. */
static bool core_option(int opt, const char *arg, struct proxy_config *cfg)
{
    enum log_level level;

    switch (opt) {
    case 'b':
        cfg->address = arg;
        return true;
    case 'l':
        if (!log_level_parse(arg, &level)) {
            return false;
        }
        log_set_level(level);
        return true;
    case 't':
        cfg->header_ms = int_arg(arg, 1, PROXY_MAX_MS, "-t HEADER_MS");
        return true;
    case 'c':
        cfg->forward.connect_ms =
            int_arg(arg, 1, PROXY_MAX_MS, "-c CONNECT_MS");
        return true;
    case 'i':
        cfg->forward.idle_ms = int_arg(arg, 1, PROXY_MAX_MS, "-i IDLE_MS");
        cfg->client_idle_ms = cfg->forward.idle_ms;
        return true;
    case 'g':
        stop_set_grace(int_arg(arg, 0, 60, "-g GRACE_S"));
        return true;
    default:
        return false;
    }
}

/* part_option - apply an option to the part that adds it; false if no
 * part does, or its argument is not valid. */
static bool part_option(int opt, const char *arg)
{
    for (int i = 0; i < PROXY_MAXPARTS && stage.parts[i] != NULL; i++) {
        const struct stage_part *part = stage.parts[i];

        if (strchr(part->optstring, opt) != NULL) {
            return part->option(opt, arg);
        }
    }
    return false;
}

/* join_parts - core followed by each part's getopt letters (or, if help,
 * by each part's help), into buf. */
static const char *join_parts(char *buf, size_t size, const char *core,
                              bool help)
{
    size_t len = (size_t)snprintf(buf, size, "%s", core);

    for (int i = 0; i < PROXY_MAXPARTS && stage.parts[i] != NULL; i++) {
        const struct stage_part *part = stage.parts[i];

        len += (size_t)snprintf(buf + len, size - len, "%s",
                                help ? part->help : part->optstring);
        if (len >= size) {
            die("the options of stage %s do not fit", stage.name);
        }
    }
    return buf;
}

/* parse_args - fill cfg, and the parts' options, from the command line,
 * or exit with the usage. */
static void parse_args(int argc, char **argv, struct proxy_config *cfg)
{
    char opts[OPTS_MAX];
    char help_text[HELP_MAX];
    int opt;

    help_if_asked(argc, argv, ARGS,
                  join_parts(help_text, sizeof(help_text), core_help, true));
    join_parts(opts, sizeof(opts), CORE_OPTS, false);
    while ((opt = getopt(argc, argv, opts)) != -1) {
        if (!core_option(opt, optarg, cfg) && !part_option(opt, optarg)) {
            usage(argv[0], ARGS,
                  join_parts(help_text, sizeof(help_text), core_help, true));
        }
    }
    if (optind != argc - 1) {
        usage(argv[0], ARGS,
              join_parts(help_text, sizeof(help_text), core_help, true));
    }
    cfg->port = argv[optind];
    (void)int_arg(cfg->port, 0, 65535, "PORT");
}

/* room_capacity - how many clients may wait for their heads at once: as
 * many as the descriptor limit, raised as far as it goes, leaves after
 * the reserve for everything else. */
static size_t room_capacity(void)
{
    long limit = net_raise_fd_limit();

    if (limit < 0) {
        die("cannot read the descriptor limit:");
    }
    limit -= limit / 4 + FD_RESERVE;
    return limit > 16 ? (size_t)limit : 16;
}

/* listen_or_die - open the listening socket and its waiting room, and
 * log where it is. Returns the socket. */
static int listen_or_die(struct proxy *proxy)
{
    const struct proxy_config *cfg = &proxy->cfg;
    char name[NET_PEER_MAX];
    int listenfd = net_listen(cfg->address, cfg->port);

    if (listenfd == NET_ERR_DNS) {
        die("cannot listen on %s: no such address", cfg->address);
    }
    if (listenfd < 0) {
        die("cannot listen on %s port %s:", cfg->address, cfg->port);
    }
    if (net_local_name(listenfd, name, sizeof(name)) == NULL) {
        die("cannot read the listening address:");
    }
    proxy->room = waiting_room_new(listenfd, proxy->stop_fd, cfg->header_ms,
                                   room_capacity());
    if (proxy->room == NULL) {
        die("cannot watch the listening socket:");
    }
    log_info("listening on %s (stage %s)", name, stage.name);
    return listenfd;
}

/* serve - run the accept loop: the part's that serves, or stage 02's. */
static int serve(const struct proxy *proxy)
{
    int i = stage_part_for(STEP_SERVE);

    if (i < 0) {
        return proxy_serve_sequential(proxy);
    }
    return stage.parts[i]->serve(proxy->part_state[i], proxy);
}

int main(int argc, char **argv)
{
    struct proxy proxy = {
        .cfg = { .address = NET_LOOPBACK,
                 .header_ms = 10000,
                 .client_idle_ms = 30000,
                 .forward = { .connect_ms = 5000, .idle_ms = 30000 } },
    };
    int listenfd;
    int rc;

    parse_args(argc, argv, &proxy.cfg);
    if (stop_install() < 0) {
        die("cannot install signal handlers:");
    }
    proxy.stop_fd = stop_fd();
    proxy.cfg.forward.cancel_fd = stop_abort_fd();
    if (stage_start(&proxy) < 0) {
        die("cannot start stage %s:", stage.name);
    }
    listenfd = listen_or_die(&proxy);
    rc = serve(&proxy);
    if (rc < 0) {
        log_error("the accept loop failed:");
    }
    waiting_room_free(proxy.room);
    close(listenfd);
    stage_stop(&proxy);
    if (rc == 0) {
        log_info("stopped");
    }
    return rc == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
