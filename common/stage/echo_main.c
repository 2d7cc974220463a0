/*
 * echo_main.c - main() of the lab 01 echo server (given code).
 *
 * Usage: echo [-b ADDRESS] [-i IDLE_MS] [-l LEVEL] PORT
 * (options come before the port, as POSIX getopt wants)
 * Listens on ADDRESS:PORT (127.0.0.1 unless -b says otherwise), logs the
 * port it bound ("listening on 127.0.0.1:PORT"; PORT 0 picks a free one),
 * then hands over to echo_serve() in the student's echo.c until SIGINT or
 * SIGTERM.
 */
#include <stdlib.h>
#include <unistd.h>

#include "die.h"
#include "echo.h"
#include "log.h"
#include "net.h"
#include "stop.h"

#define ARGS         "[-b ADDRESS] [-i IDLE_MS] [-l LEVEL] PORT"
#define ECHO_IDLE_MS 30000 /* default: drop a client silent for 30 s */

static const char *const help_text =
    "  PORT         TCP port to listen on (0: any free port)\n"
    "  -b ADDRESS   address to listen on (default 127.0.0.1)\n"
    "  -i IDLE_MS   close a client silent this long (default 30000)\n"
    "  -l LEVEL     log level: error, warn, info or debug (default info)\n";

struct echo_args {
    const char *port;
    const char *address;
    struct echo_config config;
};

/* parse_args - fill *args from the command line or exit with the usage. */
static void parse_args(int argc, char **argv, struct echo_args *args)
{
    enum log_level level = LOG_INFO;
    int opt;

    help_if_asked(argc, argv, ARGS, help_text);
    while ((opt = getopt(argc, argv, "b:i:l:")) != -1) {
        if (opt == 'b') {
            args->address = optarg;
        } else if (opt == 'i') {
            args->config.idle_ms = int_arg(optarg, 0, 3600000, "-i IDLE_MS");
        } else if (opt == 'l' && log_level_parse(optarg, &level)) {
            log_set_level(level);
        } else {
            usage(argv[0], ARGS, help_text);
        }
    }
    if (optind != argc - 1) {
        usage(argv[0], ARGS, help_text);
    }
    args->port = argv[optind];
    (void)int_arg(args->port, 0, 65535, "PORT");
}

int main(int argc, char **argv)
{
    struct echo_args args = { .address = NET_LOOPBACK,
                              .config = { .idle_ms = ECHO_IDLE_MS } };
    char name[NET_PEER_MAX];
    int listenfd;
    int rc;

    parse_args(argc, argv, &args);
    if (stop_install() < 0) {
        die("cannot install signal handlers:");
    }
    args.config.stop_fd = stop_fd();

    listenfd = net_listen(args.address, args.port);
    if (listenfd == NET_ERR_DNS) {
        die("cannot listen on %s: no such address", args.address);
    }
    if (listenfd < 0) {
        die("cannot listen on %s port %s:", args.address, args.port);
    }
    if (net_local_name(listenfd, name, sizeof(name)) == NULL) {
        die("cannot read the listening address:");
    }
    log_info("listening on %s", name);

    rc = echo_serve(listenfd, &args.config);
    close(listenfd);
    if (rc < 0) {
        log_error("echo_serve failed:");
        return EXIT_FAILURE;
    }
    log_info("stopped");
    return EXIT_SUCCESS;
}
