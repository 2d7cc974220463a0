/*
 * stop.c - orderly shutdown on SIGINT and SIGTERM, through self-pipes.
 *
 * The handlers only write one byte into a pipe; everything else happens in
 * ordinary code that polls the read ends. The first stop fills the stop
 * pipe and sets an alarm for the grace period; SIGALRM, or a second stop,
 * fills the abort pipe. All ends are non-blocking, so neither a full pipe
 * nor a check for a stop can block. The fds and counters are lock-free
 * atomics, which a signal handler may use (C11 7.14.1.1) and other threads
 * too, without a lock.
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

static _Atomic int stop_rfd = -1;  /* the read end, polled by the program */
static _Atomic int stop_wfd = -1;  /* the write end, for on_stop */
static _Atomic int abort_rfd = -1; /* readable once the grace period ended */
static _Atomic int abort_wfd = -1; /* the write end, for on_alarm */
static _Atomic int grace_s = STOP_GRACE_S; /* seconds from stop to abort */
static _Atomic int stops = 0;              /* stops requested so far */

/* notify - put one byte into a pipe, keeping errno (a signal handler
 * must). A full pipe already says what it has to, so EAGAIN is ignored. */
static void notify(const _Atomic int *wfd)
{
    int saved = errno;
    ssize_t n;

    do {
        n = write(atomic_load(wfd), "", 1);
    } while (n < 0 && errno == EINTR);
    errno = saved;
}

/* on_stop - the handler for SIGINT and SIGTERM: the first stop starts the
 * grace period (alarm is async-signal-safe), a second one ends it. */
static void on_stop(int sig)
{
    (void)sig;
    if (atomic_load(&stop_wfd) < 0) {
        return; /* not installed: nothing to tell */
    }
    notify(&stop_wfd);
    if (atomic_fetch_add(&stops, 1) == 0 && atomic_load(&grace_s) > 0) {
        alarm((unsigned)atomic_load(&grace_s));
    } else {
        notify(&abort_wfd);
    }
}

/* on_alarm - the handler for SIGALRM: the grace period is over. */
static void on_alarm(int sig)
{
    (void)sig;
    notify(&abort_wfd);
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

/* catch_signals - send SIGINT and SIGTERM to on_stop, SIGALRM to on_alarm,
 * and ignore SIGPIPE. */
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
    sa.sa_handler = on_alarm;
    if (sigaction(SIGALRM, &sa, NULL) < 0) {
        return -1;
    }
    sa.sa_handler = SIG_IGN;
    return sigaction(SIGPIPE, &sa, NULL);
}

/* open_pipe - a pipe with both ends non-blocking and close-on-exec. */
static int open_pipe(int fds[2])
{
    if (pipe(fds) < 0) {
        return -1;
    }
    if (set_pipe_flags(fds[0]) < 0 || set_pipe_flags(fds[1]) < 0) {
        close_pipe(fds);
        return -1;
    }
    return 0;
}

int stop_install(void)
{
    int stop_fds[2];
    int abort_fds[2];

    if (atomic_load(&stop_rfd) >= 0) {
        return 0; /* installed already */
    }
    if (open_pipe(stop_fds) < 0) {
        return -1;
    }
    if (open_pipe(abort_fds) < 0) {
        goto out_close_stop;
    }
    atomic_store(&stop_wfd, stop_fds[1]);
    atomic_store(&stop_rfd, stop_fds[0]);
    atomic_store(&abort_wfd, abort_fds[1]);
    atomic_store(&abort_rfd, abort_fds[0]);
    if (catch_signals() < 0) {
        goto out_forget;
    }
    return 0;

out_forget:
    atomic_store(&stop_rfd, -1);
    atomic_store(&stop_wfd, -1);
    atomic_store(&abort_rfd, -1);
    atomic_store(&abort_wfd, -1);
    close_pipe(abort_fds);
out_close_stop:
    close_pipe(stop_fds);
    return -1;
}

void stop_set_grace(int seconds)
{
    atomic_store(&grace_s, seconds > 0 ? seconds : 0);
}

int stop_fd(void)
{
    return atomic_load(&stop_rfd);
}

int stop_abort_fd(void)
{
    return atomic_load(&abort_rfd);
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
    on_stop(SIGTERM);
}
