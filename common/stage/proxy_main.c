/*
 * proxy_main.c - main() of the proxy stages 02-06 (given code).
 *
 * Usage: PROGRAM [-b ADDRESS] [-l LEVEL] [-t HEADER_MS] [-c CONNECT_MS]
 *                [-i IDLE_MS] [...] PORT   (PROGRAM -h lists every option)
 * (options come before the port, as POSIX getopt wants).
 * As in the CS:APP Proxy Lab, the port is the only argument a grader
 * needs. Listens on 127.0.0.1 unless -b says otherwise (an open proxy on a
 * campus network gets abused), logs "listening on HOST:PORT" (PORT 0
 * picks a free port), then runs the stage's accept loop (stage.h) until
 * SIGINT or SIGTERM; requests in flight then have -g seconds to finish.
 */
#include <limits.h>
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

#define ARGS                                                               \
    "[-b ADDRESS] [-l LEVEL] [-t HEADER_MS] [-c CONNECT_MS] [-i IDLE_MS] " \
    "PORT"
#define MAX_MS      3600000 /* an hour: longer limits are mistakes */
#define MAX_THREADS 1024    /* more workers than this is a mistake too */
#define MAX_QUEUE   65536

static const char *const help =
    "  PORT          TCP port to listen on (0: any free port)\n"
    "  -b ADDRESS    address to listen on (default 127.0.0.1)\n"
    "  -l LEVEL      log level: error, warn, info or debug (default info)\n"
    "  -t HEADER_MS  a client must send its request head within this "
    "(default 10000)\n"
    "  -c CONNECT_MS give up connecting to an origin after this "
    "(default 5000)\n"
    "  -i IDLE_MS    drop a client or origin silent this long (default "
    "30000)\n"
    "  -g GRACE_S    after SIGTERM, let requests in flight finish for this "
    "long (default 2)\n"
    "  -n THREADS    worker threads, stage 03 on (default 16; 0: a thread per "
    "connection)\n"
    "  -q QUEUE      connections waiting for a worker, at most (default 128)\n"
    "  -w QUEUE_WAIT_MS  a client waits this long for room in the queue, "
    "then gets 503 (default 1000)\n"
    "  -p PORTS      ports CONNECT may reach, stage 04 on, comma-separated "
    "(default 443)\n"
    "  -m CACHE_BYTES   the cache's size, stage 05 on (default 1048576)\n"
    "  -o OBJECT_BYTES  the largest response cached (default 102400)\n"
    "  -e HEURISTIC_S   how long a response that says nothing stays fresh "
    "(default 300)\n"
    "  -f BLOCKLIST  refuse hosts this file names, stage 06 (SIGHUP reloads "
    "it)\n"
    "  -a ACCESS_LOG append a line per request to this file, stage 06 "
    "(SIGHUP reopens it)\n"
    "  -A            anonymous: strip headers that identify the user, stage "
    "06\n"
    "  -C            with -A, remove Cookie headers too (implies -A)\n";

/* parse_ports - fill the CONNECT allow-list from "443,8443" or die. */
static void parse_ports(const char *list, struct tunnel_config *tunnel)
{
    char copy[256];
    char *save = NULL;

    if (snprintf(copy, sizeof(copy), "%s", list) >= (int)sizeof(copy)) {
        die("-p PORTS: the list is too long");
    }
    tunnel->nports = 0;
    for (char *p = strtok_r(copy, ",", &save); p != NULL;
         p = strtok_r(NULL, ",", &save)) {
        if (tunnel->nports == TUNNEL_MAXPORTS) {
            die("-p PORTS: more than %d ports", TUNNEL_MAXPORTS);
        }
        tunnel->ports[tunnel->nports++] = int_arg(p, 1, 65535, "-p PORTS");
    }
    if (tunnel->nports == 0) {
        die("-p PORTS: no port given");
    }
}

/* parse_option - apply one option to cfg; false if it is not one. */
static bool parse_option(int opt, const char *arg, struct proxy_config *cfg)
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
        cfg->header_ms = int_arg(arg, 1, MAX_MS, "-t HEADER_MS");
        return true;
    case 'c':
        cfg->forward.connect_ms = int_arg(arg, 1, MAX_MS, "-c CONNECT_MS");
        cfg->tunnel.connect_ms = cfg->forward.connect_ms;
        return true;
    case 'i':
        cfg->forward.idle_ms = int_arg(arg, 1, MAX_MS, "-i IDLE_MS");
        cfg->client_idle_ms = cfg->forward.idle_ms;
        cfg->tunnel.idle_ms = cfg->forward.idle_ms;
        return true;
    case 'g':
        stop_set_grace(int_arg(arg, 0, 60, "-g GRACE_S"));
        return true;
    case 'n':
        cfg->threads = int_arg(arg, 0, MAX_THREADS, "-n THREADS");
        return true;
    case 'q':
        cfg->queue_size = int_arg(arg, 1, MAX_QUEUE, "-q QUEUE");
        return true;
    case 'w':
        cfg->queue_wait_ms = int_arg(arg, 1, MAX_MS, "-w QUEUE_WAIT_MS");
        return true;
    case 'p':
        parse_ports(arg, &cfg->tunnel);
        return true;
    case 'm':
        cfg->cache_bytes = (size_t)int_arg(arg, 1, INT_MAX, "-m CACHE_BYTES");
        return true;
    case 'o':
        cfg->cache_object = (size_t)int_arg(arg, 1, INT_MAX, "-o OBJECT_BYTES");
        return true;
    case 'e':
        cfg->heuristic_s = int_arg(arg, 1, MAX_MS / 1000, "-e HEURISTIC_S");
        return true;
    case 'f':
        cfg->blocklist_path = arg;
        return true;
    case 'a':
        cfg->access_log_path = arg;
        return true;
    case 'C':
        cfg->strip_cookies = true;
        cfg->anonymous = true;
        return true;
    case 'A':
        cfg->anonymous = true;
        return true;
    default:
        return false;
    }
}

/* parse_args - fill cfg from the command line or exit with the usage. */
static void parse_args(int argc, char **argv, struct proxy_config *cfg)
{
    int opt;

    while ((opt = getopt(argc, argv, "b:l:t:c:i:g:n:q:w:p:m:o:e:f:a:AC")) !=
           -1) {
        if (!parse_option(opt, optarg, cfg)) {
            usage(argv[0], ARGS, help);
        }
    }
    if (optind != argc - 1) {
        usage(argv[0], ARGS, help);
    }
    cfg->port = argv[optind];
    (void)int_arg(cfg->port, 0, 65535, "PORT");
    if ((cfg->blocklist_path != NULL || cfg->access_log_path != NULL ||
         cfg->anonymous) &&
        stage.admit == NULL) {
        die("-f, -a, -A and -C need the policy of stage 06; this is stage %s",
            stage.name);
    }
}

/* listen_or_die - open the listening socket and log where it is. */
static int listen_or_die(const struct proxy_config *cfg)
{
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
    if (proxy_accept_open(listenfd, cfg) < 0) {
        die("cannot watch the listening socket:");
    }
    log_info("listening on %s (stage %s)", name, stage.name);
    return listenfd;
}

int main(int argc, char **argv)
{
    struct proxy_config cfg = {
        .address = NET_LOOPBACK,
        .header_ms = 10000,
        .client_idle_ms = 30000,
        .forward = { .connect_ms = 5000, .idle_ms = 30000 },
        .threads = 16,
        .queue_size = 128,
        .queue_wait_ms = 1000,
        .tunnel = { .ports = { 443 },
                    .nports = 1,
                    .connect_ms = 5000,
                    .idle_ms = 30000 },
        .cache_bytes = 1048576, /* the CS:APP Proxy Lab's sizes */
        .cache_object = 102400,
        .heuristic_s = 300,
    };
    int listenfd;
    int rc;

    parse_args(argc, argv, &cfg);
    if (stop_install() < 0) {
        die("cannot install signal handlers:");
    }
    cfg.stop_fd = stop_fd();
    cfg.forward.cancel_fd = stop_abort_fd();
    cfg.tunnel.cancel_fd = stop_abort_fd();
    if (stage.start != NULL && stage.start(&cfg) < 0) {
        die("cannot start stage %s:", stage.name);
    }
    listenfd = listen_or_die(&cfg);
    rc = stage.serve(listenfd, &cfg);
    close(listenfd);
    if (stage.stop != NULL) {
        stage.stop(&cfg);
    }
    if (rc < 0) {
        log_error("the accept loop failed:");
        return EXIT_FAILURE;
    }
    log_info("stopped");
    return EXIT_SUCCESS;
}
