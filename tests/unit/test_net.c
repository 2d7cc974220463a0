/*
 * test_net.c - unit tests for net.c: listening, accepting and connecting
 * on the loopback interface (127.0.0.1 and ::1, port 0 only), and the
 * formatting of addresses.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "deadline.h"
#include "net.h"
#include "unit.h"

#define CONNECT_MS 2000 /* deadline for connects that should succeed */

/* A client connected through a listener, and the server's end of it. */
struct link {
    int listen_fd;
    int client_fd;
    int server_fd;
    char peer[NET_PEER_MAX]; /* the client, as net_accept named it */
};

/* port_of - copy the port of socket fd's local address into port. */
static void port_of(int fd, char *port, size_t size)
{
    char name[NET_PEER_MAX];
    const char *colon;

    CU_ASSERT_FATAL(net_local_name(fd, name, sizeof(name)) != NULL);
    colon = strrchr(name, ':');
    CU_ASSERT_FATAL(colon != NULL);
    snprintf(port, size, "%s", colon + 1);
}

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool is_cloexec(int fd)
{
    return (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0;
}

static bool is_nonblocking(int fd)
{
    return (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0;
}

static void test_net_listen_port_zero_has_name(void)
{
    char name[NET_PEER_MAX];
    char port[8];
    int fd = net_listen("127.0.0.1", "0");

    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_FATAL(net_local_name(fd, name, sizeof(name)) == name);
    CU_ASSERT(has_prefix(name, "127.0.0.1:"));
    port_of(fd, port, sizeof(port));
    CU_ASSERT(atoi(port) > 0);
    close(fd);
}

static void test_net_listen_null_host_is_loopback(void)
{
    char name[NET_PEER_MAX];
    int fd = net_listen(NULL, "0");

    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_FATAL(net_local_name(fd, name, sizeof(name)) != NULL);
    CU_ASSERT(has_prefix(name, NET_LOOPBACK ":"));
    close(fd);
}

static void test_net_listen_socket_flags(void)
{
    int fd = net_listen(NULL, "0");

    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT(is_cloexec(fd));
    CU_ASSERT(is_nonblocking(fd));
    close(fd);
}

static void test_net_listen_port_in_use(void)
{
    char port[8];
    int fd = net_listen(NULL, "0");

    CU_ASSERT_FATAL(fd >= 0);
    port_of(fd, port, sizeof(port));
    errno = 0;
    ASSERT_EQ_INT(net_listen(NULL, port), -1);
    ASSERT_EQ_INT(errno, EADDRINUSE);
    close(fd);
}

static void test_net_listen_unknown_host(void)
{
    ASSERT_EQ_INT(net_listen("no-such-host.invalid", "0"), NET_ERR_DNS);
}

static void test_net_listen_port_must_be_numeric(void)
{
    ASSERT_EQ_INT(net_listen(NULL, "http"), NET_ERR_DNS);
}

/* link_open - listen on host, connect to it and accept the client. */
static void link_open(struct link *l, const char *host)
{
    char port[8];

    l->listen_fd = net_listen(host, "0");
    CU_ASSERT_FATAL(l->listen_fd >= 0);
    port_of(l->listen_fd, port, sizeof(port));
    l->client_fd = net_connect(host, port, deadline_after(CONNECT_MS));
    CU_ASSERT_FATAL(l->client_fd >= 0);
    l->server_fd = net_accept(l->listen_fd, -1, l->peer, sizeof(l->peer));
    CU_ASSERT_FATAL(l->server_fd >= 0);
}

static void link_close(struct link *l)
{
    close(l->server_fd);
    close(l->client_fd);
    close(l->listen_fd);
}

/* check_link - the server knows the client by its own address, and a byte
 * goes through. */
static void check_link(struct link *l)
{
    char local[NET_PEER_MAX];
    unsigned char byte = 0;

    CU_ASSERT_FATAL(net_local_name(l->client_fd, local, sizeof(local)) != NULL);
    ASSERT_EQ_STR(l->peer, local);
    ASSERT_EQ_INT(write(l->client_fd, "!", 1), 1);
    ASSERT_EQ_INT(read(l->server_fd, &byte, 1), 1);
    ASSERT_EQ_INT(byte, '!');
}

static void test_net_connect_and_accept(void)
{
    struct link l;

    link_open(&l, "127.0.0.1");
    CU_ASSERT(has_prefix(l.peer, "127.0.0.1:"));
    check_link(&l);
    link_close(&l);
}

static void test_net_connect_and_accept_ipv6(void)
{
    int probe = socket(AF_INET6, SOCK_STREAM, 0);
    struct link l;

    if (probe < 0) {
        printf("(no IPv6 in this kernel: skipped) ");
        CU_PASS("no IPv6");
        return;
    }
    close(probe);
    link_open(&l, "::1");
    CU_ASSERT(has_prefix(l.peer, "[::1]:"));
    check_link(&l);
    link_close(&l);
}

static void test_net_connected_socket_flags(void)
{
    struct link l;
    int on = 0;
    socklen_t len = sizeof(on);

    link_open(&l, NULL);
    CU_ASSERT(is_cloexec(l.client_fd));
    CU_ASSERT(!is_nonblocking(l.client_fd));
    CU_ASSERT(getsockopt(l.client_fd, IPPROTO_TCP, TCP_NODELAY, &on, &len) ==
              0);
    CU_ASSERT(on != 0);
    CU_ASSERT(is_cloexec(l.server_fd));
    CU_ASSERT(!is_nonblocking(l.server_fd));
    link_close(&l);
}

static void test_net_accept_without_peer(void)
{
    char port[8];
    int lfd = net_listen(NULL, "0");
    int cfd;
    int afd;

    CU_ASSERT_FATAL(lfd >= 0);
    port_of(lfd, port, sizeof(port));
    cfd = net_connect(NET_LOOPBACK, port, DEADLINE_NONE);
    CU_ASSERT_FATAL(cfd >= 0);
    afd = net_accept(lfd, -1, NULL, 0);
    CU_ASSERT(afd >= 0);
    close(afd);
    close(cfd);
    close(lfd);
}

static void test_net_accept_stop_wins(void)
{
    char port[8];
    int lfd = net_listen(NULL, "0");
    int stop[2];
    int cfd;

    CU_ASSERT_FATAL(lfd >= 0);
    CU_ASSERT_FATAL(pipe(stop) == 0);
    port_of(lfd, port, sizeof(port));
    cfd = net_connect(NET_LOOPBACK, port, deadline_after(CONNECT_MS));
    CU_ASSERT_FATAL(cfd >= 0);
    ASSERT_EQ_INT(write(stop[1], "x", 1), 1);
    errno = 0;
    ASSERT_EQ_INT(net_accept(lfd, stop[0], NULL, 0), -1); /* client waits */
    ASSERT_EQ_INT(errno, ECANCELED);
    close(stop[0]);
    close(stop[1]);
    close(cfd);
    close(lfd);
}

static void *stop_later(void *arg)
{
    struct timespec pause = { 0, 30000000 }; /* 30 ms */

    nanosleep(&pause, NULL);
    if (write(*(int *)arg, "x", 1) != 1) {
        perror("stop_later");
    }
    return NULL;
}

static void test_net_accept_stop_ends_wait(void)
{
    int lfd = net_listen(NULL, "0");
    int64_t start = deadline_now();
    pthread_t thread;
    int stop[2];

    CU_ASSERT_FATAL(lfd >= 0);
    CU_ASSERT_FATAL(pipe(stop) == 0);
    CU_ASSERT_FATAL(pthread_create(&thread, NULL, stop_later, &stop[1]) == 0);
    errno = 0;
    ASSERT_EQ_INT(net_accept(lfd, stop[0], NULL, 0), -1);
    ASSERT_EQ_INT(errno, ECANCELED);
    CU_ASSERT(deadline_now() - start >= 29);
    pthread_join(thread, NULL);
    close(stop[0]);
    close(stop[1]);
    close(lfd);
}

/* restore_later - a thread: after 300 ms, put back the descriptor limit
 * that arg points to. */
static void *restore_later(void *arg)
{
    const struct rlimit *saved = arg;

    nanosleep(&(struct timespec){ .tv_nsec = 300 * 1000000L }, NULL);
    if (setrlimit(RLIMIT_NOFILE, saved) < 0) {
        perror("restore_later");
    }
    return NULL;
}

/* lowest_free_fd - the number the next new descriptor would get. */
static int lowest_free_fd(void)
{
    int fd = dup(0);

    CU_ASSERT_FATAL(fd >= 0);
    close(fd);
    return fd;
}

static void test_net_accept_backs_off_without_fds(void)
{
    struct rlimit saved;
    struct rlimit none;
    pthread_t thread;
    char port[8];
    int64_t start;
    int lfd = net_listen(NULL, "0");
    int client;
    int fd;

    /* A client waits while the process may open no descriptor at all. */
    CU_ASSERT_FATAL(lfd >= 0);
    port_of(lfd, port, sizeof(port));
    client = net_connect("127.0.0.1", port, deadline_after(CONNECT_MS));
    CU_ASSERT_FATAL(client >= 0);
    CU_ASSERT_FATAL(getrlimit(RLIMIT_NOFILE, &saved) == 0);
    none = saved;
    none.rlim_cur = (rlim_t)lowest_free_fd();
    CU_ASSERT_FATAL(setrlimit(RLIMIT_NOFILE, &none) == 0);

    /* net_accept waits out EMFILE in NET_BACKOFF_MS steps instead of
     * failing or spinning, and accepts once the limit is back. */
    start = deadline_now();
    CU_ASSERT_FATAL(pthread_create(&thread, NULL, restore_later, &saved) == 0);
    fd = net_accept(lfd, -1, NULL, 0);
    CU_ASSERT(fd >= 0);
    CU_ASSERT(deadline_now() - start >= NET_BACKOFF_MS);
    pthread_join(thread, NULL);
    if (fd >= 0) {
        close(fd);
    }
    close(client);
    close(lfd);
}

static void test_net_connect_refused(void)
{
    char port[8];
    int lfd = net_listen(NULL, "0");

    CU_ASSERT_FATAL(lfd >= 0);
    port_of(lfd, port, sizeof(port));
    close(lfd); /* nobody listens on port now */
    errno = 0;
    ASSERT_EQ_INT(net_connect(NET_LOOPBACK, port, deadline_after(CONNECT_MS)),
                  -1);
    ASSERT_EQ_INT(errno, ECONNREFUSED);
}

static void test_net_connect_unknown_host(void)
{
    ASSERT_EQ_INT(net_connect("no-such-host.invalid", "80", DEADLINE_NONE),
                  NET_ERR_DNS);
}

static void test_net_connect_deadline_passed(void)
{
    char port[8];
    int lfd = net_listen(NULL, "0");

    CU_ASSERT_FATAL(lfd >= 0);
    port_of(lfd, port, sizeof(port));
    errno = 0;
    ASSERT_EQ_INT(net_connect(NET_LOOPBACK, port, deadline_now() - 1), -1);
    ASSERT_EQ_INT(errno, ETIMEDOUT);
    close(lfd);
}

static struct sockaddr_in ipv4(const char *addr, int port)
{
    struct sockaddr_in sin;

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)port);
    CU_ASSERT(inet_pton(AF_INET, addr, &sin.sin_addr) == 1);
    return sin;
}

static void test_net_peer_name_formats_ipv4(void)
{
    struct sockaddr_in sin = ipv4("192.0.2.7", 8080);
    char buf[NET_PEER_MAX];

    CU_ASSERT(net_peer_name((struct sockaddr *)&sin, sizeof(sin), buf,
                            sizeof(buf)) == buf);
    ASSERT_EQ_STR(buf, "192.0.2.7:8080");
}

static void test_net_peer_name_formats_ipv6(void)
{
    struct sockaddr_in6 sin6;
    char buf[NET_PEER_MAX];

    memset(&sin6, 0, sizeof(sin6));
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(443);
    CU_ASSERT(inet_pton(AF_INET6, "2001:db8::1", &sin6.sin6_addr) == 1);
    net_peer_name((struct sockaddr *)&sin6, sizeof(sin6), buf, sizeof(buf));
    ASSERT_EQ_STR(buf, "[2001:db8::1]:443");
}

static void test_net_peer_name_truncates(void)
{
    struct sockaddr_in sin = ipv4("192.0.2.7", 8080);
    const struct sockaddr *sa = (struct sockaddr *)&sin;
    char buf[12];

    memset(buf, 'Z', sizeof(buf));
    net_peer_name(sa, sizeof(sin), buf, 8);
    ASSERT_EQ_MEM(buf, "192.0.2\0ZZZZ", sizeof(buf));
    net_peer_name(sa, sizeof(sin), buf, 1);
    ASSERT_EQ_MEM(buf,
                  "\0"
                  "92.0.2\0ZZZZ",
                  sizeof(buf));
    net_peer_name(sa, sizeof(sin), buf, 0);
    ASSERT_EQ_MEM(buf,
                  "\0"
                  "92.0.2\0ZZZZ",
                  sizeof(buf));
}

static void test_net_peer_name_unknown_family(void)
{
    struct sockaddr_un sun;
    char buf[NET_PEER_MAX];

    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    errno = ECONNRESET;
    net_peer_name((struct sockaddr *)&sun, sizeof(sun), buf, sizeof(buf));
    ASSERT_EQ_STR(buf, "?");
    ASSERT_EQ_INT(errno, ECONNRESET); /* callers log errno right after */
}

static void test_net_peer_name_bad_length(void)
{
    struct sockaddr_in sin = ipv4("192.0.2.7", 8080);
    char buf[NET_PEER_MAX];

    net_peer_name((struct sockaddr *)&sin, 4, buf, sizeof(buf));
    ASSERT_EQ_STR(buf, "?");
}

static void test_net_peer_host_drops_the_port(void)
{
    char buf[NET_PEER_MAX];

    ASSERT_EQ_STR(net_peer_host("192.0.2.7:8080", buf, sizeof(buf)),
                  "192.0.2.7");
    ASSERT_EQ_STR(net_peer_host("[::1]:80", buf, sizeof(buf)), "::1");
    ASSERT_EQ_STR(net_peer_host("?", buf, sizeof(buf)), "?");
    ASSERT_EQ_STR(net_peer_host("192.0.2.7:8080", buf, 4), "192");
}

static void test_net_local_name_not_a_socket(void)
{
    char buf[NET_PEER_MAX];
    int fds[2];

    CU_ASSERT_FATAL(pipe(fds) == 0);
    errno = 0;
    CU_ASSERT(net_local_name(fds[0], buf, sizeof(buf)) == NULL);
    ASSERT_EQ_INT(errno, ENOTSOCK);
    errno = 0;
    CU_ASSERT(net_local_name(-1, buf, sizeof(buf)) == NULL);
    ASSERT_EQ_INT(errno, EBADF);
    close(fds[0]);
    close(fds[1]);
}

static CU_TestInfo net_tests[] = {
    { "listen on port 0 binds a port net_local_name reports",
      test_net_listen_port_zero_has_name },
    { "listen with host NULL binds 127.0.0.1",
      test_net_listen_null_host_is_loopback },
    { "a listening socket is close-on-exec and non-blocking",
      test_net_listen_socket_flags },
    { "listen on a port in use fails with EADDRINUSE",
      test_net_listen_port_in_use },
    { "listen on an unknown host is NET_ERR_DNS",
      test_net_listen_unknown_host },
    { "listen on a service name is NET_ERR_DNS",
      test_net_listen_port_must_be_numeric },
    { "connect and accept over IPv4 name the peer",
      test_net_connect_and_accept },
    { "connect and accept over IPv6 name the peer \"[::1]:port\"",
      test_net_connect_and_accept_ipv6 },
    { "connected sockets are blocking, close-on-exec, TCP_NODELAY",
      test_net_connected_socket_flags },
    { "accept takes a NULL peer buffer", test_net_accept_without_peer },
    { "accept fails with ECANCELED when the stop fd is readable",
      test_net_accept_stop_wins },
    { "a stop during accept's wait ends it with ECANCELED",
      test_net_accept_stop_ends_wait },
    { "accept backs off while no descriptor is left, then accepts",
      test_net_accept_backs_off_without_fds },
    { "connect to a closed port fails with ECONNREFUSED",
      test_net_connect_refused },
    { "connect to an unknown host is NET_ERR_DNS",
      test_net_connect_unknown_host },
    { "connect after the deadline fails with ETIMEDOUT",
      test_net_connect_deadline_passed },
    { "peer_name formats IPv4 as host:port", test_net_peer_name_formats_ipv4 },
    { "peer_name formats IPv6 as [host]:port",
      test_net_peer_name_formats_ipv6 },
    { "peer_name truncates into a small buffer", test_net_peer_name_truncates },
    { "peer_name prints ? for an unknown family and keeps errno",
      test_net_peer_name_unknown_family },
    { "peer_name prints ? when the address is too short",
      test_net_peer_name_bad_length },
    { "peer_host drops the port and IPv6 brackets",
      test_net_peer_host_drops_the_port },
    { "local_name fails on a non-socket with ENOTSOCK",
      test_net_local_name_not_a_socket },
    CU_TEST_INFO_NULL,
};

int main(void)
{
    CU_SuiteInfo suites[] = {
        UNIT_SUITE("net", net_tests),
        CU_SUITE_INFO_NULL,
    };

    return unit_run(suites);
}
