/*
 * tunnel.h - CONNECT tunnels for HTTPS: the contract of
 * labs/04-connect/tunnel.c.
 *
 * A client that wants https://host/ through the proxy sends
 * "CONNECT host:443 HTTP/1.1". The proxy opens a TCP connection to
 * host:443, answers "HTTP/1.1 200 Connection Established", and from then on
 * copies bytes both ways without looking at them: TLS runs end to end
 * between the client and the origin, and the proxy never sees plaintext.
 *
 *   lab4.1  tunnel_parse_authority, tunnel_port_allowed: pure checks
 *   lab4.2  connecting to the target (tunnel.c's connect_target)
 *   lab4.3  answering 200, then the relay: poll() on both sockets,
 *           half-close, idle timeout (run_tunnel)
 *
 * Interface:
 *   struct tunnel_config, struct tunnel_result, TUNNEL_MAXPORTS
 *   tunnel_parse_authority, tunnel_port_allowed, tunnel_serve
 *
 * Thread-safe: all state lives in the arguments. A tunnel runs in the
 * thread that serves its connection: the pool size bounds the tunnels
 * open at once, and the idle timeout bounds how long one can hold a worker.
 */
#ifndef TUNNEL_H
#define TUNNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http.h"
#include "rio.h"

#define TUNNEL_MAXPORTS 16    /* ports in the allow-list, at most */
#define TUNNEL_BUFSIZE  65536 /* bytes relayed per read, each way */

struct tunnel_config {
    int ports[TUNNEL_MAXPORTS]; /* ports CONNECT may reach (443 default) */
    int nports;
    int connect_ms; /* give up connecting to the target after this */
    int idle_ms;    /* close a tunnel silent both ways this long */
    int cancel_fd;  /* readable: abandon the tunnel (stop_abort_fd) */
};

struct tunnel_result {
    uint64_t up;   /* bytes relayed from the client to the target */
    uint64_t down; /* bytes relayed from the target to the client */
};

/*
 * tunnel_parse_authority - split a CONNECT target "host:port" (RFC 9110
 * section 9.3.6) or "[v6-address]:port" into host (brackets removed) and
 * port, each NUL-terminated within its size.
 *
 * Returns 0, or 400 when the target is not an authority: no port, an
 * empty or non-numeric port or one outside 1..65535, an empty host, a path,
 * a scheme or user info, or parts too long for the buffers.
 */
int tunnel_parse_authority(const char *target, char *host, size_t hostsize,
                           char *port, size_t portsize)
    __attribute__((warn_unused_result));

/*
 * tunnel_port_allowed - whether port (digits) is in cfg's allow-list.
 */
bool tunnel_port_allowed(const char *port, const struct tunnel_config *cfg);

/*
 * tunnel_serve - serve the CONNECT request req on client's connection.
 *
 * Checks the target (400) and its port (403), connects to it within
 * cfg->connect_ms, answers "HTTP/1.1 200 Connection Established", then
 * relays bytes both ways until both directions have ended or the tunnel
 * has been idle for cfg->idle_ms. Bytes the client sent after its request
 * head (already in client's buffer) go to the target first. An end of file
 * from one side is passed on as a half-close (shutdown SHUT_WR); a reset
 * or an error on either side ends both. res counts the bytes each way.
 *
 * Returns 0 once a tunnel ran (whatever ended it), an HTTP status when
 * nothing was sent to the client yet (400, 403, 502 when the target does
 * not resolve or refuses, 504 when connecting timed out), or -1 when the
 * client failed before the tunnel opened.
 */
int tunnel_serve(struct rio *client, const struct http_request *req,
                 const struct tunnel_config *cfg, struct tunnel_result *res)
    __attribute__((warn_unused_result));

#endif /* TUNNEL_H */
