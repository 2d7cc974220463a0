/*
 * net.c - TCP listen, accept and connect over getaddrinfo.
 *
 * net_listen and net_connect share open_first(), which resolves the name
 * and tries its addresses in turn with listen_on() or connect_one(). Every
 * wait goes through poll(), so that net_accept can watch a stop fd and
 * net_connect a deadline. Start with open_first.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "deadline.h"
#include "log.h"
#include "net.h"

#define NET_SERV_MAX 8 /* "65535" and its NUL */

/* close_keeping_errno - close fd on an error path without losing errno. */
static void close_keeping_errno(int fd)
{
    int saved = errno;

    close(fd);
    errno = saved;
}

/* set_nonblocking - turn O_NONBLOCK on or off for fd. */
static int set_nonblocking(int fd, bool on)
{
    int flags = fcntl(fd, F_GETFL);

    if (flags < 0) {
        return -1;
    }
    flags = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
    return fcntl(fd, F_SETFL, flags);
}

static int set_cloexec(int fd)
{
    int flags = fcntl(fd, F_GETFD);

    if (flags < 0) {
        return -1;
    }
    return fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

/* poll_until - poll(), retrying EINTR, until deadline (DEADLINE_NONE:
 * forever). Returns what poll() returns: 0 once the deadline has passed. */
static int poll_until(struct pollfd *fds, nfds_t nfds, int64_t deadline)
{
    int n;

    do {
        n = poll(fds, nfds, deadline_poll_ms(deadline));
    } while (n < 0 && errno == EINTR);
    return n;
}

/* resolve - the TCP addresses of host:port; the caller frees *res with
 * freeaddrinfo. Returns 0, -1 with errno set, or NET_ERR_DNS. */
static int resolve(const char *host, const char *port, int flags,
                   struct addrinfo **res)
{
    struct addrinfo hints;
    int rc;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = flags | AI_NUMERICSERV; /* ports are numbers */
    rc = getaddrinfo(host, port, &hints, res);
    if (rc == 0) {
        return 0;
    }
    if (rc == EAI_SYSTEM) {
        return -1;
    }
    if (rc == EAI_MEMORY) {
        errno = ENOMEM;
        return -1;
    }
    return NET_ERR_DNS;
}

/* open_first - resolve host:port and return the first socket that open_one
 * makes from its addresses by deadline; -1 with the last error, or
 * NET_ERR_DNS. */
static int open_first(const char *host, const char *port, int flags,
                      int (*open_one)(const struct addrinfo *, int64_t),
                      int64_t deadline)
{
    struct addrinfo *res;
    int fd = -1;
    int err = 0;
    int rc = resolve(host, port, flags, &res);

    if (rc < 0) {
        return rc;
    }
    for (struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
        if (deadline_poll_ms(deadline) == 0) {
            err = ETIMEDOUT;
            break;
        }
        fd = open_one(ai, deadline);
        err = errno;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        errno = err;
    }
    return fd;
}

/* listen_on - a socket bound to ai's address and listening; -1 on error.
 * A bind does not wait, so there is no use for a deadline. */
static int listen_on(const struct addrinfo *ai, int64_t deadline)
{
    int on = 1;
    int fd;

    (void)deadline;
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
        return -1;
    }
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0) {
        goto out_close;
    }
    /* An IPv6 socket takes only IPv6, so "::" and "0.0.0.0" can coexist. */
    if (ai->ai_family == AF_INET6 &&
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) < 0) {
        goto out_close;
    }
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
        listen(fd, NET_BACKLOG) < 0) {
        goto out_close;
    }
    /* Non-blocking, so accept() cannot hang on a client that left after
     * poll() saw it: net_accept then simply waits again. */
    if (set_nonblocking(fd, true) < 0) {
        goto out_close;
    }
    return fd;

out_close:
    close_keeping_errno(fd);
    return -1;
}

int net_listen(const char *host, const char *port)
{
    if (host == NULL) {
        host = NET_LOOPBACK;
    }
    return open_first(host, port, AI_PASSIVE, listen_on, DEADLINE_NONE);
}

char *net_local_name(int fd, char *buf, size_t size)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
        return NULL;
    }
    return net_peer_name((struct sockaddr *)&ss, len, buf, size);
}

/* wait_accept - wait until listenfd has a client; ECANCELED once stopfd
 * is readable, even if a client is waiting too. */
static int wait_accept(int listenfd, int stopfd)
{
    struct pollfd fds[2] = {
        { .fd = listenfd, .events = POLLIN },
        { .fd = stopfd, .events = POLLIN }, /* poll skips fd -1 */
    };

    if (poll_until(fds, 2, DEADLINE_NONE) < 0) {
        return -1;
    }
    if (fds[1].revents != 0) {
        errno = ECANCELED;
        return -1;
    }
    return 0;
}

/* accept_again - whether accept() failed for a reason that calls for
 * waiting for the next client rather than giving up. */
static bool accept_again(int err)
{
    return err == EINTR || err == EAGAIN || err == EWOULDBLOCK ||
           err == ECONNABORTED || err == EPROTO;
}

bool net_out_of_resources(int err)
{
    return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

/* back_off - after accept ran out of resources, log it and wait
 * NET_BACKOFF_MS, or until stopfd fires (-1 with errno ECANCELED). */
static int back_off(int stopfd)
{
    struct pollfd pfd = { .fd = stopfd, .events = POLLIN };
    int n;

    log_warn("cannot accept a client, pausing %d ms:", NET_BACKOFF_MS);
    n = poll_until(&pfd, 1, deadline_after(NET_BACKOFF_MS));
    if (n > 0) {
        errno = ECANCELED;
        return -1;
    }
    return n;
}

/* accept_one - accept a client; the socket is blocking, close-on-exec
 * (accept4 would do it in one call, but it is not POSIX) and sends small
 * writes at once (TCP_NODELAY). */
static int accept_one(int listenfd, struct sockaddr_storage *ss, socklen_t *len)
{
    int on = 1;
    int fd;

    *len = sizeof(*ss);
    fd = accept(listenfd, (struct sockaddr *)ss, len);
    if (fd < 0) {
        return -1;
    }
    /* Without TCP_NODELAY, Nagle holds a response's second small write
     * until the client ACKs the first, which a delayed ACK puts off. */
    if (set_cloexec(fd) < 0 || set_nonblocking(fd, false) < 0 ||
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) < 0) {
        close_keeping_errno(fd);
        return -1;
    }
    return fd;
}

int net_accept_waiting(int listenfd, char *peer, size_t peersize)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int fd;

    do {
        fd = accept_one(listenfd, &ss, &len);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        if (accept_again(errno)) {
            errno = EAGAIN; /* no client waits any more */
        }
        return -1;
    }
    if (peer != NULL) {
        net_peer_name((struct sockaddr *)&ss, len, peer, peersize);
    }
    return fd;
}

int net_accept(int listenfd, int stopfd, char *peer, size_t peersize)
{
    int fd;

    for (;;) {
        if (wait_accept(listenfd, stopfd) < 0) {
            return -1;
        }
        fd = net_accept_waiting(listenfd, peer, peersize);
        if (fd >= 0) {
            return fd;
        }
        if (net_out_of_resources(errno)) {
            if (back_off(stopfd) < 0) {
                return -1;
            }
        } else if (errno != EAGAIN) {
            return -1;
        }
    }
}

/* finish_connect - wait by deadline for the non-blocking connect() on fd
 * that has just failed with errno, and collect its outcome. */
static int finish_connect(int fd, int64_t deadline)
{
    struct pollfd pfd = { .fd = fd, .events = POLLOUT };
    socklen_t len = sizeof(int);
    int err = 0;
    int n;

    /* EINTR does not stop the connect: it goes on in the background. */
    if (errno != EINPROGRESS && errno != EINTR) {
        return -1;
    }
    n = poll_until(&pfd, 1, deadline);
    if (n == 0) {
        errno = ETIMEDOUT;
    }
    if (n <= 0) {
        return -1;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) {
        return -1;
    }
    if (err != 0) {
        errno = err;
        return -1;
    }
    return 0;
}

/* connect_one - a socket connected to ai's address by deadline, blocking,
 * with TCP_NODELAY; -1 with errno set on failure. */
static int connect_one(const struct addrinfo *ai, int64_t deadline)
{
    int on = 1;
    int fd;

    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
        return -1;
    }
    if (set_nonblocking(fd, true) < 0) {
        goto out_close;
    }
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 &&
        finish_connect(fd, deadline) < 0) {
        goto out_close;
    }
    /* Requests are written whole, so Nagle's delay would only add latency. */
    if (set_nonblocking(fd, false) < 0 ||
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) < 0) {
        goto out_close;
    }
    return fd;

out_close:
    close_keeping_errno(fd);
    return -1;
}

int net_connect(const char *host, const char *port, int64_t deadline)
{
    return open_first(host, port, 0, connect_one, deadline);
}

char *net_peer_name(const struct sockaddr *addr, socklen_t addrlen, char *buf,
                    size_t size)
{
    int saved = errno; /* callers format names for log lines about errno */
    char host[NET_PEER_MAX];
    char serv[NET_SERV_MAX];
    bool v6 = addr->sa_family == AF_INET6;

    if (size == 0) {
        return buf;
    }
    /* Only TCP addresses: glibc would name a Unix socket "localhost". */
    if ((addr->sa_family != AF_INET && !v6) ||
        getnameinfo(addr, addrlen, host, sizeof(host), serv, sizeof(serv),
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        snprintf(buf, size, "?");
    } else {
        snprintf(buf, size, "%s%s%s:%s", v6 ? "[" : "", host, v6 ? "]" : "",
                 serv);
    }
    errno = saved;
    return buf;
}

char *net_peer_host(const char *peer, char *buf, size_t size)
{
    const char *colon = strrchr(peer, ':');
    size_t len = colon != NULL ? (size_t)(colon - peer) : strlen(peer);

    if (len >= 2 && peer[0] == '[' && peer[len - 1] == ']') {
        peer++;
        len -= 2;
    }
    snprintf(buf, size, "%.*s", (int)len, peer);
    return buf;
}

long net_raise_fd_limit(void)
{
    struct rlimit lim;

    if (getrlimit(RLIMIT_NOFILE, &lim) < 0) {
        return -1;
    }
    if (lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &lim) < 0) {
            return -1;
        }
    }
    return lim.rlim_cur > LONG_MAX ? LONG_MAX : (long)lim.rlim_cur;
}
