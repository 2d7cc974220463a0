/*
 * proxy04_tunnel.c - stage 04's part: CONNECT tunnels (given glue; see
 * proxy_tunnel.h and tunnel.h).
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "deadline.h"
#include "die.h"
#include "http.h"
#include "log.h"
#include "proxy.h"
#include "proxy_tunnel.h"
#include "rio.h"
#include "stage.h"
#include "tunnel.h"

#define PORTS_MAX 256 /* the -p list's length, in characters */

static struct tunnel_config options = { .ports = { 443 }, .nports = 1 };

/* parse_ports - fill the allow-list from "443,8443" or die. */
static void parse_ports(const char *list)
{
    char copy[PORTS_MAX];
    char *save = NULL;

    if (snprintf(copy, sizeof(copy), "%s", list) >= (int)sizeof(copy)) {
        die("-p PORTS: the list is too long");
    }
    options.nports = 0;
    for (char *p = strtok_r(copy, ",", &save); p != NULL;
         p = strtok_r(NULL, ",", &save)) {
        if (options.nports == TUNNEL_MAXPORTS) {
            die("-p PORTS: more than %d ports", TUNNEL_MAXPORTS);
        }
        options.ports[options.nports++] = int_arg(p, 1, 65535, "-p PORTS");
    }
    if (options.nports == 0) {
        die("-p PORTS: no port given");
    }
}

/* option - apply -p. */
static bool option(int letter, const char *arg)
{
    if (letter != 'p') {
        return false;
    }
    parse_ports(arg);
    return true;
}

/* start - the tunnel's limits are the core's towards origins (-c, -i). */
static void *start(const struct proxy *proxy)
{
    options.connect_ms = proxy->cfg.forward.connect_ms;
    options.idle_ms = proxy->cfg.forward.idle_ms;
    options.cancel_fd = proxy->cfg.forward.cancel_fd;
    return &options;
}

/* tunnel - serve a CONNECT request and log what it relayed. */
static int tunnel(void *state, struct rio *client,
                  const struct http_request *req, struct outcome *out)
{
    struct tunnel_result res;
    int rc = tunnel_serve(client, req, state, &res);

    if (rc == 0) {
        log_info("%s \"CONNECT %s\" tunnel: %" PRIu64 " bytes up, %" PRIu64
                 " down, %" PRId64 " ms",
                 out->peer, req->target, res.up, res.down,
                 deadline_now() - out->arrived);
        out->status = 200;
        out->counted_up = true;
        out->up = res.up;
        out->bytes = res.down;
    }
    return rc;
}

const struct stage_part proxy_tunnel_part = {
    .name = "tunnel",
    .optstring = "p:",
    .help = "  -p PORTS      ports CONNECT may reach, comma-separated\n"
            "                (default 443)\n",
    .option = option,
    .start = start,
    .tunnel = tunnel,
};
