/*
 * net.h - TCP listen, accept and connect over getaddrinfo.
 *
 * Every function works for IPv4 and IPv6 alike. Addresses and ports are
 * strings, as getaddrinfo takes them: "127.0.0.1", "::1", "example.org",
 * "8080". Sockets are created close-on-exec.
 *
 * Interface:
 *   net_listen      a listening socket on host:port (127.0.0.1 by default)
 *   net_local_name  "host:port" a socket is bound to (after binding port 0)
 *   net_accept      the next connection, or ECANCELED once a stop fd fires
 *   net_accept_waiting  a connection already waiting, without waiting
 *   net_out_of_resources  whether an errno says descriptors or memory ran out
 *   net_connect     a connected socket to host:port, within a deadline
 *   net_peer_name   "host:port" text of an address, for log lines
 *   net_peer_host   the host part of such a text
 *   net_raise_fd_limit  allow the process as many descriptors as it may have
 *   NET_ERR_DNS     the name did not resolve
 *
 * Errors: -1 with errno set, or NET_ERR_DNS where errno means nothing.
 * Thread-safe.
 */
#ifndef NET_H
#define NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define NET_ERR_DNS    (-2)        /* getaddrinfo found no address */
#define NET_LOOPBACK   "127.0.0.1" /* the default address to listen on */
#define NET_BACKLOG    128         /* pending connections the kernel holds */
#define NET_PEER_MAX   64          /* room for "[v6-address]:port" */
#define NET_BACKOFF_MS 100         /* pause after accept ran out of fds */

/*
 * net_listen - open a socket listening on host:port.
 *
 * host NULL means NET_LOOPBACK: the kit never listens on every interface
 * unless asked ("0.0.0.0" or "::"). Port "0" picks a free port; read it back
 * with net_local_name. SO_REUSEADDR is set so a restarted server can bind at
 * once. The socket is non-blocking, so that net_accept never hangs on a
 * client that left between poll() and accept(): accept with net_accept.
 * Returns the listening socket, -1 with errno set, or NET_ERR_DNS.
 */
int net_listen(const char *host, const char *port)
    __attribute__((warn_unused_result));

/*
 * net_local_name - the "host:port" socket fd is bound to, as net_peer_name
 * formats it ("127.0.0.1:41234", "[::1]:41234"), written into buf.
 *
 * Returns buf, or NULL with errno set.
 */
char *net_local_name(int fd, char *buf, size_t size);

/*
 * net_accept - wait for the next connection on listenfd.
 *
 * Waits until a client connects or stopfd becomes readable (pass -1 for no
 * stop fd). Retries EINTR and the errors that belong to a client that gave
 * up before it was accepted (ECONNABORTED). If peer is not NULL, writes the
 * client's "host:port" there (NET_PEER_MAX bytes are enough).
 *
 * When the process runs out of descriptors or memory (EMFILE, ENFILE,
 * ENOBUFS, ENOMEM), it logs a warning, backs off for NET_BACKOFF_MS while
 * still watching stopfd, and tries again, rather than spin.
 *
 * Returns the connected socket, which the caller must close, or -1 with
 * errno set: ECANCELED when stopfd fired; anything else (EBADF, EINVAL)
 * means listenfd is unusable.
 */
int net_accept(int listenfd, int stopfd, char *peer, size_t peersize)
    __attribute__((warn_unused_result));

/*
 * net_accept_waiting - accept a client that is already waiting on
 * listenfd (a socket from net_listen), without waiting for one: for a
 * loop that watches listenfd itself (with poll or epoll). Writes the
 * client's "host:port" to peer, if not NULL.
 *
 * Returns the connected socket, or -1 with errno set: EAGAIN when no
 * client waits (any more: it may have given up); an errno for which
 * net_out_of_resources is true when the client could not be taken for
 * want of descriptors or memory (it stays queued: wait before retrying);
 * anything else means listenfd is unusable.
 */
int net_accept_waiting(int listenfd, char *peer, size_t peersize)
    __attribute__((warn_unused_result));

/*
 * net_out_of_resources - whether err (EMFILE, ENFILE, ENOBUFS, ENOMEM)
 * says the process or the system ran out of descriptors or memory.
 */
bool net_out_of_resources(int err);

/*
 * net_connect - open a TCP connection to host:port before deadline.
 *
 * Tries each address getaddrinfo returns, in order, until one connects.
 * The connect itself is bounded by deadline (DEADLINE_NONE: no limit);
 * the name lookup is not, since getaddrinfo cannot be interrupted.
 * The returned socket is blocking, with TCP_NODELAY set.
 *
 * Returns a connected socket that the caller must close, -1 with errno set
 * (ECONNREFUSED, ETIMEDOUT, ENETUNREACH, ...), or NET_ERR_DNS.
 */
int net_connect(const char *host, const char *port, int64_t deadline)
    __attribute__((warn_unused_result));

/*
 * net_peer_name - format addr as "host:port" ("[::1]:80" for IPv6) into
 * buf, at most size - 1 bytes and always NUL-terminated.
 *
 * Returns buf, so it can be used directly in a log call.
 */
char *net_peer_name(const struct sockaddr *addr, socklen_t addrlen, char *buf,
                    size_t size);

/*
 * net_peer_host - the host of a "host:port" text that net_peer_name wrote
 * ("192.0.2.7", or "::1" from "[::1]:80"), into buf as net_peer_name
 * writes. Returns buf.
 */
char *net_peer_host(const char *peer, char *buf, size_t size);

/*
 * net_raise_fd_limit - raise the process's soft limit on open descriptors
 * (RLIMIT_NOFILE) to its hard limit, so that a server can hold as many
 * connections as the system lets it. Returns the limit now in force, or
 * -1 with errno set.
 */
long net_raise_fd_limit(void);

#endif /* NET_H */
