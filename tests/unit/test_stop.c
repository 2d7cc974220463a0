/*
 * test_stop.c - unit tests for stop.c: the self-pipe that SIGINT, SIGTERM
 * and stop_request write to.
 *
 * A stop cannot be undone, so the tests run in the order of stop's life:
 * before stop_install, after it, after the first stop. SIGINT and
 * stop_request are checked in child processes (in_child), each with a pipe
 * of its own, before this process installs anything; so is the grace
 * period between stop_fd and stop_abort_fd.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stop.h"
#include "unit.h"

#define MANY_STOPS 70000 /* more bytes than a pipe holds (64 KiB on Linux) */

/* in_child - run check in a child process; returns its exit status: 0 when
 * check returned true, 128 + the signal if one killed it, -1 if fork or
 * wait failed. */
static int in_child(bool (*check)(void))
{
    int status;
    pid_t pid = fork();

    if (pid == 0) {
        _exit(check() ? 0 : 1);
    }
    if (pid < 0 || waitpid(pid, &status, 0) < 0) {
        return -1;
    }
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

/* readable - whether fd polls readable right now. */
static bool readable(int fd)
{
    struct pollfd pfd = { .fd = fd, .events = POLLIN };

    return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN) != 0;
}

static void test_stop_before_install(void)
{
    ASSERT_EQ_INT(stop_fd(), -1);
    CU_ASSERT_FALSE(stop_requested());
    stop_request(); /* no pipe yet: does nothing */
    CU_ASSERT_FALSE(stop_requested());
}

static bool sigint_stops(void)
{
    return stop_install() == 0 && !stop_requested() && raise(SIGINT) == 0 &&
           stop_requested() && readable(stop_fd());
}

static void test_stop_sigint_requests_stop(void)
{
    ASSERT_EQ_INT(in_child(sigint_stops), 0);
}

static bool request_stops(void)
{
    if (stop_install() < 0 || stop_requested()) {
        return false;
    }
    stop_request();
    return stop_requested() && readable(stop_fd());
}

static void test_stop_request_requests_stop(void)
{
    ASSERT_EQ_INT(in_child(request_stops), 0);
}

/* readable_within - whether fd becomes readable within ms milliseconds. */
static bool readable_within(int fd, int ms)
{
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    int n;

    do {
        n = poll(&pfd, 1, ms);
    } while (n < 0 && errno == EINTR);
    return n == 1 && (pfd.revents & POLLIN) != 0;
}

static bool no_grace_aborts_at_once(void)
{
    stop_set_grace(0);
    return stop_install() == 0 && !readable(stop_abort_fd()) &&
           raise(SIGTERM) == 0 && readable(stop_abort_fd());
}

static void test_stop_no_grace_aborts_at_once(void)
{
    ASSERT_EQ_INT(in_child(no_grace_aborts_at_once), 0);
}

static bool grace_delays_abort(void)
{
    stop_set_grace(1);
    return stop_install() == 0 && raise(SIGTERM) == 0 && readable(stop_fd()) &&
           !readable(stop_abort_fd()) && readable_within(stop_abort_fd(), 3000);
}

static void test_stop_grace_delays_abort(void)
{
    ASSERT_EQ_INT(in_child(grace_delays_abort), 0);
}

static bool second_stop_aborts(void)
{
    stop_set_grace(60);
    return stop_install() == 0 && raise(SIGTERM) == 0 &&
           !readable(stop_abort_fd()) && raise(SIGINT) == 0 &&
           readable(stop_abort_fd());
}

static void test_stop_second_stop_aborts(void)
{
    ASSERT_EQ_INT(in_child(second_stop_aborts), 0);
}

static void test_stop_install_succeeds(void)
{
    int fd;

    ASSERT_EQ_INT(stop_install(), 0);
    fd = stop_fd();
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    CU_ASSERT((fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
}

static void test_stop_install_twice_is_harmless(void)
{
    int fd = stop_fd();

    ASSERT_EQ_INT(stop_install(), 0);
    ASSERT_EQ_INT(stop_fd(), fd);
}

static void test_stop_not_requested_after_install(void)
{
    CU_ASSERT_FALSE(stop_requested());
    CU_ASSERT_FALSE(readable(stop_fd()));
}

static void test_stop_ignores_sigpipe(void)
{
    struct sigaction sa;

    CU_ASSERT_FATAL(sigaction(SIGPIPE, NULL, &sa) == 0);
    CU_ASSERT(sa.sa_handler == SIG_IGN);
    ASSERT_EQ_INT(raise(SIGPIPE), 0); /* and this process lives on */
    CU_ASSERT_FALSE(stop_requested());
}

static void test_stop_handlers_interrupt_calls(void)
{
    const int signals[] = { SIGINT, SIGTERM };

    for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++) {
        struct sigaction sa;

        CU_ASSERT_FATAL(sigaction(signals[i], NULL, &sa) == 0);
        CU_ASSERT(sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN);
        ASSERT_EQ_INT(sa.sa_flags & SA_RESTART, 0);
    }
}

static void test_stop_sigterm_requests_stop(void)
{
    ASSERT_EQ_INT(raise(SIGTERM), 0);
    CU_ASSERT(readable(stop_fd()));
    CU_ASSERT(stop_requested());
    CU_ASSERT(stop_requested()); /* the byte stays in the pipe */
}

static void test_stop_many_stops_never_block(void)
{
    for (int i = 0; i < MANY_STOPS; i++) {
        stop_request(); /* a full pipe must not block */
    }
    CU_ASSERT(stop_requested());
}

static void test_stop_handler_keeps_errno(void)
{
    errno = EDOM;
    ASSERT_EQ_INT(raise(SIGTERM), 0); /* its write fails: the pipe is full */
    ASSERT_EQ_INT(errno, EDOM);
}

static CU_TestInfo stop_tests[] = {
    { "before install: no fd, no stop", test_stop_before_install },
    { "SIGINT requests a stop", test_stop_sigint_requests_stop },
    { "stop_request requests a stop", test_stop_request_requests_stop },
    { "with no grace, the abort fd fires with the stop",
      test_stop_no_grace_aborts_at_once },
    { "the abort fd fires once the grace period ends",
      test_stop_grace_delays_abort },
    { "a second stop ends the grace period", test_stop_second_stop_aborts },
    { "install creates a close-on-exec, non-blocking fd",
      test_stop_install_succeeds },
    { "a second install changes nothing", test_stop_install_twice_is_harmless },
    { "no stop is pending after install",
      test_stop_not_requested_after_install },
    { "SIGPIPE is ignored after install", test_stop_ignores_sigpipe },
    { "handlers run without SA_RESTART", test_stop_handlers_interrupt_calls },
    { "SIGTERM makes stop_fd readable for good",
      test_stop_sigterm_requests_stop },
    { "stops beyond the pipe's capacity never block",
      test_stop_many_stops_never_block },
    { "the handler keeps errno", test_stop_handler_keeps_errno },
    CU_TEST_INFO_NULL,
};

int main(void)
{
    CU_SuiteInfo suites[] = {
        UNIT_SUITE("stop", stop_tests),
        CU_SUITE_INFO_NULL,
    };

    return unit_run(suites);
}
