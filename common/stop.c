/*
 * stop.c - orderly shutdown on SIGINT and SIGTERM, through a self-pipe.
 *
 * The handler, on_stop, only writes one byte into a pipe; everything else
 * happens in ordinary code that polls the read end (stop_fd). Both ends are
 * non-blocking, so neither a full pipe nor a check for a stop can block.
 * The two fds are lock-free atomics, which a signal handler may read (C11
 * 7.14.1.1) and other threads too, without a lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "stop.h"

_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "a handler needs lock-free ints");

static _Atomic int stop_rfd = -1; /* the read end, polled by the program */
static _Atomic int stop_wfd = -1; /* the write end, for on_stop */

/* notify - put one byte into the pipe, keeping errno (a signal handler
 * must). A full pipe already holds a stop, so its EAGAIN is ignored. */
static void notify(void)
{
    int saved = errno;
    ssize_t n;

    do {
        n = write(atomic_load(&stop_wfd), "", 1);
    } while (n < 0 && errno == EINTR);
    errno = saved;
}

/* on_stop - the handler for SIGINT and SIGTERM. */
static void on_stop(int sig)
{
    (void)sig;
    notify();
}

/* set_pipe_flags - make one end of the pipe non-blocking and close-on-exec. */
static int set_pipe_flags(int fd)
{
    int flags = fcntl(fd, F_GETFL);

    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        return -1;
    }
    flags = fcntl(fd, F_GETFD);
    if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0) {
        return -1;
    }
    return 0;
}

/* close_pipe - close both ends on an error path, keeping errno. */
static void close_pipe(const int fds[2])
{
    int saved = errno;

    close(fds[0]);
    close(fds[1]);
    errno = saved;
}

/* catch_signals - send SIGINT and SIGTERM to on_stop and ignore SIGPIPE. */
static int catch_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: a blocked call returns EINTR, and its caller, which
     * polls stop_fd anyway, sees the stop at once. */
    sa.sa_flags = 0;
    sa.sa_handler = on_stop;
    if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0) {
        return -1;
    }
    sa.sa_handler = SIG_IGN;
    return sigaction(SIGPIPE, &sa, NULL);
}

int stop_install(void)
{
    int fds[2];

    if (atomic_load(&stop_rfd) >= 0) {
        return 0; /* installed already */
    }
    if (pipe(fds) < 0) {
        return -1;
    }
    if (set_pipe_flags(fds[0]) < 0 || set_pipe_flags(fds[1]) < 0) {
        goto out_close;
    }
    atomic_store(&stop_wfd, fds[1]);
    atomic_store(&stop_rfd, fds[0]);
    if (catch_signals() < 0) {
        goto out_forget;
    }
    return 0;

out_forget:
    atomic_store(&stop_rfd, -1);
    atomic_store(&stop_wfd, -1);
out_close:
    close_pipe(fds);
    return -1;
}

int stop_fd(void)
{
    return atomic_load(&stop_rfd);
}

bool stop_requested(void)
{
    struct pollfd pfd = { .fd = stop_fd(), .events = POLLIN };
    int n;

    do {
        n = poll(&pfd, 1, 0);
    } while (n < 0 && errno == EINTR);
    return n > 0 && (pfd.revents & POLLIN) != 0;
}

void stop_request(void)
{
    notify();
}
