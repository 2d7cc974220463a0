/*
 * test_rio.c - unit tests for rio.c: buffered reads of lines and counts,
 * full writes, and the three limits (deadline, idle timeout, cancel fd).
 *
 * Each test talks to rio through a socket pair (struct conn) or a pipe;
 * struct writer sends from a thread, a few bytes at a time when a test
 * needs data to arrive in pieces or late.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "deadline.h"
#include "rio.h"
#include "unit.h"

#define BIG_SIZE  ((size_t)4 << 20)   /* 4 MiB, for the large writes */
#define PIPE_SIZE ((size_t)256 << 10) /* 256 KiB, for the pipe write */
#define LINE_SIZE 64                  /* buffer for short lines */

/* A socket pair: rio reads and writes one end, the test the other. */
struct conn {
    int peer;       /* the test's end; -1 once closed */
    struct rio rio; /* on the other end */
};

/* A thread that sends n bytes of data in chunks with pauses between. */
struct writer {
    int fd;
    const char *data;
    size_t n;
    size_t chunk; /* bytes per send */
    int pause_ms; /* pause before each send */
    pthread_t thread;
};

static unsigned char big[BIG_SIZE];

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

    nanosleep(&ts, NULL);
}

static void conn_open(struct conn *c)
{
    int fds[2];

    CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    rio_init(&c->rio, fds[0]);
    c->peer = fds[1];
}

/* conn_send - send the n bytes of data from the test's end; the socket
 * buffer is large enough for every test that uses this. */
static void conn_send(struct conn *c, const void *data, size_t n)
{
    ASSERT_EQ_INT(send(c->peer, data, n, MSG_NOSIGNAL), n);
}

static void conn_eof(struct conn *c)
{
    close(c->peer);
    c->peer = -1;
}

static void conn_close(struct conn *c)
{
    if (c->peer >= 0) {
        close(c->peer);
    }
    close(c->rio.fd);
}

/* send_any - send() on a socket without SIGPIPE, write() on a pipe. */
static ssize_t send_any(int fd, const char *p, size_t n)
{
    ssize_t sent = send(fd, p, n, MSG_NOSIGNAL);

    if (sent < 0 && errno == ENOTSOCK) {
        sent = write(fd, p, n);
    }
    return sent;
}

static void *write_slowly(void *arg)
{
    struct writer *w = arg;

    for (size_t off = 0; off < w->n; off += w->chunk) {
        size_t len = w->n - off < w->chunk ? w->n - off : w->chunk;

        sleep_ms(w->pause_ms);
        if (send_any(w->fd, w->data + off, len) < 0) {
            break; /* the test has closed its end: stop */
        }
    }
    return NULL;
}

static void writer_start(struct writer *w, int fd, const char *data,
                         size_t chunk, int pause_ms)
{
    *w = (struct writer){ .fd = fd,
                          .data = data,
                          .n = strlen(data),
                          .chunk = chunk,
                          .pause_ms = pause_ms };
    CU_ASSERT_FATAL(pthread_create(&w->thread, NULL, write_slowly, w) == 0);
}

static void writer_join(struct writer *w)
{
    pthread_join(w->thread, NULL);
}

static void test_rio_init_has_no_limits(void)
{
    struct rio r;

    memset(&r, 0xff, sizeof(r));
    rio_init(&r, 7);
    ASSERT_EQ_INT(r.fd, 7);
    ASSERT_EQ_INT(r.cancel_fd, -1);
    ASSERT_EQ_INT(r.idle_ms, 0);
    ASSERT_EQ_INT(r.deadline, DEADLINE_NONE);
    ASSERT_EQ_INT(rio_buffered(&r), 0);
}

static void test_rio_readline_one_line(void)
{
    struct conn c;
    char line[LINE_SIZE];

    conn_open(&c);
    conn_send(&c, "hello\n", 6);
    ASSERT_EQ_INT(rio_readline(&c.rio, line, sizeof(line)), 6);
    ASSERT_EQ_STR(line, "hello\n");
    conn_close(&c);
}

static void test_rio_readline_several_lines_in_one_read(void)
{
    struct conn c;
    char line[LINE_SIZE];

    conn_open(&c);
    conn_send(&c, "a\nbb\nccc\n", 9);
    ASSERT_EQ_INT(rio_readline(&c.rio, line, sizeof(line)), 2);
    ASSERT_EQ_STR(line, "a\n");
    ASSERT_EQ_INT(rio_buffered(&c.rio), 7);
    ASSERT_EQ_INT(rio_readline(&c.rio, line, sizeof(line)), 3);
    ASSERT_EQ_STR(line, "bb\n");
    ASSERT_EQ_INT(rio_readline(&c.rio, line, sizeof(line)), 4);
    ASSERT_EQ_STR(line, "ccc\n");
    ASSERT_EQ_INT(rio_buffered(&c.rio), 0);
    conn_close(&c);
}

static void test_rio_readline_joins_split_writes(void)
{
    struct conn c;
    struct writer w;
    char line[LINE_SIZE];

    conn_open(&c);
    writer_start(&w, c.peer, "GET / HTTP/1.1\r\nHost: a.example\r\n", 3, 2);
    ASSERT_EQ_INT(rio_readline(&c.rio, line, sizeof(line)), 16);
    ASSERT_EQ_STR(line, "GET / HTTP/1.1\r\n");
    ASSERT_EQ_INT(rio_readline(&c.rio, line, sizeof(line)), 17);
    ASSERT_EQ_STR(line, "Host: a.example\r\n");
    writer_join(&w);
    conn_close(&c);
}

static void test_rio_readline_keeps_nul_bytes(void)
{
    struct conn c;
    char line[LINE_SIZE];

    conn_open(&c);
    conn_send(&c, "a\0b\0\nnext\n", 10);
    ASSERT_EQ_INT(rio_readline(&c.rio, line, sizeof(line)), 5);
    ASSERT_EQ_MEM(line, "a\0b\0\n", 6); /* the NUL terminator too */
    ASSERT_EQ_INT(rio_readline(&c.rio, line, sizeof(line)), 5);
    ASSERT_EQ_STR(line, "next\n");
    conn_close(&c);
}

static void test_rio_readline_keeps_non_utf8(void)
{
    const char bytes[] = "\xff\xfe\xc3\x28\x80\x0d\n";
    struct conn c;
    char line[LINE_SIZE];

    conn_open(&c);
    conn_send(&c, bytes, sizeof(bytes) - 1);
    ASSERT_EQ_INT(rio_readline(&c.rio, line, sizeof(line)), 7);
    ASSERT_EQ_MEM(line, bytes, sizeof(bytes));
    conn_close(&c);
}

static void test_rio_readline_last_line_without_newline(void)
{
    struct conn c;
    char line[LINE_SIZE];

    conn_open(&c);
    conn_send(&c, "one\ntwo", 7);
    conn_eof(&c);
    ASSERT_EQ_INT(rio_readline(&c.rio, line, sizeof(line)), 4);
    ASSERT_EQ_STR(line, "one\n");
    ASSERT_EQ_INT(rio_readline(&c.rio, line, sizeof(line)), 3);
    ASSERT_EQ_STR(line, "two");
    ASSERT_EQ_INT(rio_readline(&c.rio, line, sizeof(line)), 0);
    ASSERT_EQ_INT(rio_readline(&c.rio, line, sizeof(line)), 0);
    conn_close(&c);
}

static void test_rio_readline_eof_is_zero(void)
{
    struct conn c;
    char line[LINE_SIZE] = "junk";

    conn_open(&c);
    conn_eof(&c);
    ASSERT_EQ_INT(rio_readline(&c.rio, line, sizeof(line)), 0);
    ASSERT_EQ_STR(line, "");
    conn_close(&c);
}

static void test_rio_readline_exact_fit(void)
{
    struct conn c;
    char line[8];

    conn_open(&c);
    conn_send(&c, "abcdef\nx\n", 9);
    ASSERT_EQ_INT(rio_readline(&c.rio, line, sizeof(line)), 7);
    ASSERT_EQ_STR(line, "abcdef\n");
    ASSERT_EQ_INT(rio_readline(&c.rio, line, sizeof(line)), 2);
    ASSERT_EQ_STR(line, "x\n");
    conn_close(&c);
}

static void test_rio_readline_too_long(void)
{
    struct conn c;
    char line[8];

    conn_open(&c);
    conn_send(&c, "abcdefghij\n", 11);
    errno = 0;
    ASSERT_EQ_INT(rio_readline(&c.rio, line, sizeof(line)), -1);
    ASSERT_EQ_INT(errno, EMSGSIZE);
    ASSERT_EQ_STR(line, "abcdefg");
    ASSERT_EQ_INT(rio_readline(&c.rio, line, sizeof(line)), 4);
    ASSERT_EQ_STR(line, "hij\n");
    conn_close(&c);
}

static void test_rio_readline_longer_than_buffer(void)
{
    static char want[3 * RIO_BUFSIZE + 2];
    static char line[sizeof(want) + 1];
    size_t n = sizeof(want) - 1;
    struct conn c;

    for (size_t i = 0; i < n - 1; i++) {
        want[i] = (char)('a' + i % 26);
    }
    want[n - 1] = '\n';
    conn_open(&c);
    conn_send(&c, want, n);
    ASSERT_EQ_INT(rio_readline(&c.rio, line, sizeof(line)), n);
    ASSERT_EQ_MEM(line, want, n + 1);
    conn_close(&c);
}

static void test_rio_readline_size_too_small(void)
{
    struct conn c;
    char line[LINE_SIZE];

    conn_open(&c);
    conn_send(&c, "ok\n", 3);
    errno = 0;
    ASSERT_EQ_INT(rio_readline(&c.rio, line, 0), -1);
    ASSERT_EQ_INT(errno, EINVAL);
    errno = 0;
    ASSERT_EQ_INT(rio_readline(&c.rio, line, 1), -1);
    ASSERT_EQ_INT(errno, EINVAL);
    ASSERT_EQ_INT(rio_readline(&c.rio, line, sizeof(line)), 3);
    conn_close(&c);
}

static void test_rio_readn_reads_exactly_n(void)
{
    struct conn c;
    struct writer w;
    char buf[LINE_SIZE];

    conn_open(&c);
    writer_start(&w, c.peer, "0123456789abcdefghij", 3, 2);
    ASSERT_EQ_INT(rio_readn(&c.rio, buf, 4), 4);
    ASSERT_EQ_MEM(buf, "0123", 4);
    ASSERT_EQ_INT(rio_readn(&c.rio, buf, 16), 16);
    ASSERT_EQ_MEM(buf, "456789abcdefghij", 16);
    writer_join(&w);
    conn_close(&c);
}

static void test_rio_readn_short_at_eof(void)
{
    struct conn c;
    char buf[LINE_SIZE];

    conn_open(&c);
    conn_send(&c, "12345", 5);
    conn_eof(&c);
    ASSERT_EQ_INT(rio_readn(&c.rio, buf, 10), 5);
    ASSERT_EQ_MEM(buf, "12345", 5);
    ASSERT_EQ_INT(rio_readn(&c.rio, buf, 10), 0);
    conn_close(&c);
}

static void test_rio_read_returns_buffered_first(void)
{
    struct conn c;
    char buf[LINE_SIZE];
    int cancel[2];

    conn_open(&c);
    CU_ASSERT_FATAL(pipe(cancel) == 0);
    conn_send(&c, "line\nrest", 9);
    ASSERT_EQ_INT(rio_readline(&c.rio, buf, sizeof(buf)), 5);
    ASSERT_EQ_INT(rio_buffered(&c.rio), 4);

    /* With the cancel fd readable, any wait would fail: these do not wait. */
    ASSERT_EQ_INT(write(cancel[1], "x", 1), 1);
    rio_set_cancel(&c.rio, cancel[0]);
    ASSERT_EQ_INT(rio_read(&c.rio, buf, 2), 2);
    ASSERT_EQ_MEM(buf, "re", 2);
    ASSERT_EQ_INT(rio_buffered(&c.rio), 2);
    ASSERT_EQ_INT(rio_read(&c.rio, buf, sizeof(buf)), 2);
    ASSERT_EQ_MEM(buf, "st", 2);
    ASSERT_EQ_INT(rio_buffered(&c.rio), 0);
    ASSERT_EQ_INT(rio_read(&c.rio, buf, sizeof(buf)), -1);
    ASSERT_EQ_INT(errno, ECANCELED);
    close(cancel[0]);
    close(cancel[1]);
    conn_close(&c);
}

static void test_rio_read_returns_what_arrived(void)
{
    struct conn c;
    char buf[LINE_SIZE];

    conn_open(&c);
    conn_send(&c, "abc", 3);
    ASSERT_EQ_INT(rio_read(&c.rio, buf, sizeof(buf)), 3);
    ASSERT_EQ_MEM(buf, "abc", 3);
    conn_eof(&c);
    ASSERT_EQ_INT(rio_read(&c.rio, buf, sizeof(buf)), 0);
    conn_close(&c);
}

static void test_rio_read_zero_size_is_einval(void)
{
    struct conn c;
    char buf[1];

    conn_open(&c);
    errno = 0;
    ASSERT_EQ_INT(rio_read(&c.rio, buf, 0), -1);
    ASSERT_EQ_INT(errno, EINVAL);
    conn_close(&c);
}

/* A thread that reads fd to end of file and checks it got big[0..n). */
struct reader {
    int fd;
    size_t got; /* bytes read */
    bool same;  /* every byte matched big */
    pthread_t thread;
};

static void *read_and_check(void *arg)
{
    struct reader *r = arg;
    static char buf[65536];
    ssize_t n;

    r->same = true;
    while ((n = read(r->fd, buf, sizeof(buf))) > 0) {
        if (r->got + (size_t)n > BIG_SIZE ||
            memcmp(buf, big + r->got, (size_t)n) != 0) {
            r->same = false;
        }
        r->got += (size_t)n;
    }
    return NULL;
}

static void fill_big(void)
{
    for (size_t i = 0; i < BIG_SIZE; i++) {
        big[i] = (unsigned char)(i % 251);
    }
}

/* check_writen - rio_writen n bytes of big from fds[1] while a thread
 * reads them from fds[0]; closes both. */
static void check_writen(int fds[2], size_t n)
{
    struct reader r = { .fd = fds[0] };
    struct rio w;

    fill_big();
    rio_init(&w, fds[1]);
    CU_ASSERT_FATAL(pthread_create(&r.thread, NULL, read_and_check, &r) == 0);
    ASSERT_EQ_INT(rio_writen(&w, big, n), n);
    close(fds[1]);
    pthread_join(r.thread, NULL);
    close(fds[0]);
    ASSERT_EQ_INT(r.got, n);
    CU_ASSERT(r.same);
}

static void test_rio_writen_large_through_socketpair(void)
{
    int fds[2];

    CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    check_writen(fds, BIG_SIZE);
}

static void test_rio_writen_through_pipe(void)
{
    int fds[2];

    CU_ASSERT_FATAL(pipe(fds) == 0);
    check_writen(fds, PIPE_SIZE);
}

static void test_rio_writen_closed_peer_is_epipe(void)
{
    struct sigaction old;
    struct conn c;

    /* SIGPIPE still kills this process: only MSG_NOSIGNAL saves it. */
    CU_ASSERT_FATAL(sigaction(SIGPIPE, NULL, &old) == 0);
    CU_ASSERT(old.sa_handler == SIG_DFL);
    conn_open(&c);
    conn_eof(&c);
    errno = 0;
    ASSERT_EQ_INT(rio_writen(&c.rio, "hello", 5), -1);
    ASSERT_EQ_INT(errno, EPIPE);
    conn_close(&c);
}

static void test_rio_writen_idle_timeout(void)
{
    struct conn c;
    int64_t start = deadline_now();

    conn_open(&c);
    rio_set_idle_timeout(&c.rio, 50);
    errno = 0;
    ASSERT_EQ_INT(rio_writen(&c.rio, big, BIG_SIZE), -1); /* nobody reads */
    ASSERT_EQ_INT(errno, ETIMEDOUT);
    CU_ASSERT(deadline_now() - start >= 50);
    CU_ASSERT(deadline_now() - start < 2000);
    conn_close(&c);
}

static void test_rio_idle_timeout(void)
{
    struct conn c;
    char line[LINE_SIZE];
    int64_t start = deadline_now();

    conn_open(&c);
    rio_set_idle_timeout(&c.rio, 50);
    errno = 0;
    ASSERT_EQ_INT(rio_readline(&c.rio, line, sizeof(line)), -1);
    ASSERT_EQ_INT(errno, ETIMEDOUT);
    CU_ASSERT(deadline_now() - start >= 50);
    CU_ASSERT(deadline_now() - start < 2000);
    conn_close(&c);
}

/* trickle_until_cut - send a byte every 40 ms from a writer and read until
 * a read fails, which must be ETIMEDOUT within 1 s; the ms it took. */
static int64_t trickle_until_cut(struct conn *c)
{
    struct writer w;
    char buf[RIO_BUFSIZE];
    int64_t start = deadline_now();
    ssize_t n;

    rio_set_idle_timeout(&c->rio, 2000); /* fail, not hang, if rio is wrong */
    writer_start(&w, c->peer, "abcdefghijklmnopqrstuvwxyz", 1, 40);
    do {
        n = rio_read(&c->rio, buf, sizeof(buf));
    } while (n > 0);
    ASSERT_EQ_INT(n, -1);
    ASSERT_EQ_INT(errno, ETIMEDOUT);
    CU_ASSERT(deadline_now() - start < 1000);
    conn_eof(c);
    writer_join(&w);
    return deadline_now() - start;
}

static void test_rio_min_rate_cuts_a_trickle(void)
{
    struct conn c;

    conn_open(&c);
    rio_set_min_rate(&c.rio, 1000, 1000, 100); /* 1000 bytes at 1000 B/s */
    CU_ASSERT(trickle_until_cut(&c) >= 100);
    conn_close(&c);
}

static void test_rio_min_rate_gives_a_burst_no_long_credit(void)
{
    struct conn c;
    char buf[RIO_BUFSIZE];

    conn_open(&c);
    rio_set_min_rate(&c.rio, 100000, 1000, 100);
    conn_send(&c, big, 5000); /* 5 s worth at 1000 B/s */
    ASSERT_EQ_INT(rio_read(&c.rio, buf, sizeof(buf)), 5000);
    trickle_until_cut(&c); /* within 1 s: not 5 s of credit */
    conn_close(&c);
}

static void test_rio_min_rate_spares_a_peer_that_keeps_up(void)
{
    struct conn c;
    struct writer w;
    char buf[LINE_SIZE];
    size_t got = 0;
    ssize_t n;

    conn_open(&c);
    rio_set_min_rate(&c.rio, 26, 100, 500); /* 26 bytes at 100 B/s */
    writer_start(&w, c.peer, "abcdefghijklmnopqrstuvwxyz", 13, 5);
    while (got < 26 && (n = rio_read(&c.rio, buf, sizeof(buf))) > 0) {
        got += (size_t)n;
    }
    ASSERT_EQ_INT(got, 26);
    writer_join(&w);
    /* Past the bytes it covers, the rate no longer applies, and writes
     * never were limited. */
    sleep_ms(600);
    conn_send(&c, "z", 1);
    ASSERT_EQ_INT(rio_read(&c.rio, buf, sizeof(buf)), 1);
    ASSERT_EQ_INT(rio_writen(&c.rio, "ok", 2), 2);
    conn_close(&c);
}

static void test_rio_deadline_passed(void)
{
    struct conn c;
    char line[LINE_SIZE];

    conn_open(&c);
    rio_set_idle_timeout(&c.rio, 1000); /* fail, not hang, if rio is wrong */
    conn_send(&c, "a\nb\n", 4);
    ASSERT_EQ_INT(rio_readline(&c.rio, line, sizeof(line)), 2);
    rio_set_deadline(&c.rio, deadline_now() - 1);
    ASSERT_EQ_INT(rio_readline(&c.rio, line, sizeof(line)), 2); /* buffered */
    conn_send(&c, "c\n", 2);
    errno = 0;
    ASSERT_EQ_INT(rio_readline(&c.rio, line, sizeof(line)), -1);
    ASSERT_EQ_INT(errno, ETIMEDOUT);
    errno = 0;
    ASSERT_EQ_INT(rio_writen(&c.rio, "x", 1), -1);
    ASSERT_EQ_INT(errno, ETIMEDOUT);
    rio_set_deadline(&c.rio, DEADLINE_NONE);
    ASSERT_EQ_INT(rio_readline(&c.rio, line, sizeof(line)), 2);
    conn_close(&c);
}

static void test_rio_deadline_bounds_slow_sender(void)
{
    struct conn c;
    struct writer w;
    char line[LINE_SIZE];
    int64_t start = deadline_now();

    /* One byte every 10 ms never trips the idle timeout; the deadline
     * still ends the line (the slowloris defence). */
    conn_open(&c);
    rio_set_idle_timeout(&c.rio, 500);
    rio_set_deadline(&c.rio, deadline_after(100));
    writer_start(&w, c.peer, "GET /slowly/one/byte/at/a/time HTTP/1.1\n", 1,
                 10);
    errno = 0;
    ASSERT_EQ_INT(rio_readline(&c.rio, line, sizeof(line)), -1);
    ASSERT_EQ_INT(errno, ETIMEDOUT);
    CU_ASSERT(deadline_now() - start >= 100);
    CU_ASSERT(deadline_now() - start < 2000);
    shutdown(c.rio.fd, SHUT_RDWR); /* the writer's next send fails */
    writer_join(&w);
    conn_close(&c);
}

static void test_rio_cancel_ends_wait(void)
{
    struct conn c;
    struct writer w;
    char line[LINE_SIZE];
    int cancel[2];
    int64_t start = deadline_now();

    conn_open(&c);
    CU_ASSERT_FATAL(pipe(cancel) == 0);
    rio_set_cancel(&c.rio, cancel[0]);
    writer_start(&w, cancel[1], "x", 1, 30);
    errno = 0;
    ASSERT_EQ_INT(rio_readline(&c.rio, line, sizeof(line)), -1);
    ASSERT_EQ_INT(errno, ECANCELED);
    CU_ASSERT(deadline_now() - start >= 29);
    writer_join(&w);
    close(cancel[0]);
    close(cancel[1]);
    conn_close(&c);
}

static void test_rio_cancel_ends_wait_not_data(void)
{
    struct conn c;
    char line[LINE_SIZE];
    int cancel[2];

    conn_open(&c);
    rio_set_idle_timeout(&c.rio, 1000); /* fail, not hang, if rio is wrong */
    CU_ASSERT_FATAL(pipe(cancel) == 0);
    ASSERT_EQ_INT(write(cancel[1], "x", 1), 1);
    rio_set_cancel(&c.rio, cancel[0]);
    conn_send(&c, "ready\n", 6);
    ASSERT_EQ_INT(rio_readline(&c.rio, line, sizeof(line)), 6);
    ASSERT_EQ_INT(rio_writen(&c.rio, "x", 1), 1);
    errno = 0;
    ASSERT_EQ_INT(rio_readline(&c.rio, line, sizeof(line)), -1);
    ASSERT_EQ_INT(errno, ECANCELED);
    rio_set_cancel(&c.rio, -1);
    conn_send(&c, "later\n", 6);
    ASSERT_EQ_INT(rio_readline(&c.rio, line, sizeof(line)), 6);
    close(cancel[0]);
    close(cancel[1]);
    conn_close(&c);
}

static void test_rio_cancel_seen_when_never_waiting(void)
{
    struct conn c;
    int cancel[2];
    int calls = 0;

    conn_open(&c);
    CU_ASSERT_FATAL(pipe(cancel) == 0);
    ASSERT_EQ_INT(write(cancel[1], "x", 1), 1);
    rio_set_cancel(&c.rio, cancel[0]);
    /* The socket buffer always has room for a byte: no write waits. */
    while (calls < 2 * RIO_CANCEL_EVERY && rio_writen(&c.rio, "x", 1) == 1) {
        calls++;
    }
    UNIT_CHECK(calls < RIO_CANCEL_EVERY,
               "%d writes went through after the cancel fd fired; at most "
               "%d may",
               calls, RIO_CANCEL_EVERY - 1);
    ASSERT_EQ_INT(errno, ECANCELED);
    close(cancel[0]);
    close(cancel[1]);
    conn_close(&c);
}

static atomic_int interrupts; /* SIGUSR1s that on_usr1 has seen */

static void on_usr1(int sig)
{
    (void)sig;
    atomic_fetch_add(&interrupts, 1);
}

struct interrupter {
    pthread_t target; /* the thread blocked in rio */
    int fd;           /* where the late line goes */
};

static void *interrupt_then_send(void *arg)
{
    struct interrupter *in = arg;

    sleep_ms(50);
    pthread_kill(in->target, SIGUSR1);
    sleep_ms(50);
    send(in->fd, "late\n", 5, MSG_NOSIGNAL);
    return NULL;
}

static void test_rio_retries_eintr(void)
{
    struct sigaction sa = { .sa_handler = on_usr1 }; /* no SA_RESTART */
    struct sigaction old;
    struct interrupter in;
    struct conn c;
    char line[LINE_SIZE];
    pthread_t thread;

    sigemptyset(&sa.sa_mask);
    CU_ASSERT_FATAL(sigaction(SIGUSR1, &sa, &old) == 0);
    conn_open(&c);
    in = (struct interrupter){ .target = pthread_self(), .fd = c.peer };
    CU_ASSERT_FATAL(pthread_create(&thread, NULL, interrupt_then_send, &in) ==
                    0);
    ASSERT_EQ_INT(rio_readline(&c.rio, line, sizeof(line)), 5);
    ASSERT_EQ_STR(line, "late\n");
    ASSERT_EQ_INT(atomic_load(&interrupts), 1);
    pthread_join(thread, NULL);
    sigaction(SIGUSR1, &old, NULL);
    conn_close(&c);
}

static CU_TestInfo rio_tests[] = {
    { "init leaves an empty buffer and no limits",
      test_rio_init_has_no_limits },
    { "readline reads one line", test_rio_readline_one_line },
    { "readline splits several lines that came in one read",
      test_rio_readline_several_lines_in_one_read },
    { "readline joins a line sent in many pieces",
      test_rio_readline_joins_split_writes },
    { "readline keeps NUL bytes and counts them",
      test_rio_readline_keeps_nul_bytes },
    { "readline keeps bytes that are not UTF-8",
      test_rio_readline_keeps_non_utf8 },
    { "readline returns a last line without newline, then 0",
      test_rio_readline_last_line_without_newline },
    { "readline returns 0 and an empty string at EOF",
      test_rio_readline_eof_is_zero },
    { "readline fits a line of exactly size - 1 bytes",
      test_rio_readline_exact_fit },
    { "readline fails a long line with EMSGSIZE, rest stays readable",
      test_rio_readline_too_long },
    { "readline reads a line longer than rio's buffer",
      test_rio_readline_longer_than_buffer },
    { "readline rejects size < 2 with EINVAL",
      test_rio_readline_size_too_small },
    { "readn reads exactly n bytes across sends",
      test_rio_readn_reads_exactly_n },
    { "readn returns a short count at EOF, then 0",
      test_rio_readn_short_at_eof },
    { "read returns buffered bytes first without waiting",
      test_rio_read_returns_buffered_first },
    { "read returns what arrived, then 0 at EOF",
      test_rio_read_returns_what_arrived },
    { "read rejects size 0 with EINVAL", test_rio_read_zero_size_is_einval },
    { "writen sends 4 MiB through a socket pair",
      test_rio_writen_large_through_socketpair },
    { "writen works on a pipe", test_rio_writen_through_pipe },
    { "writen to a closed peer fails with EPIPE, no SIGPIPE",
      test_rio_writen_closed_peer_is_epipe },
    { "writen to a peer that does not read times out",
      test_rio_writen_idle_timeout },
    { "a silent peer trips the idle timeout", test_rio_idle_timeout },
    { "past the deadline, only buffered bytes are returned",
      test_rio_deadline_passed },
    { "a minimum read rate cuts off a peer that sends a byte now and then",
      test_rio_min_rate_cuts_a_trickle },
    { "a minimum read rate gives a burst no more than its grace of credit",
      test_rio_min_rate_gives_a_burst_no_long_credit },
    { "a minimum read rate spares a peer that keeps up, and ends with its "
      "bytes",
      test_rio_min_rate_spares_a_peer_that_keeps_up },
    { "the deadline ends a line trickled byte by byte",
      test_rio_deadline_bounds_slow_sender },
    { "a cancel fd that becomes readable ends the wait",
      test_rio_cancel_ends_wait },
    { "a readable cancel fd ends a wait, not ready data",
      test_rio_cancel_ends_wait_not_data },
    { "a peer that never makes rio wait still sees the cancel within "
      "RIO_CANCEL_EVERY calls",
      test_rio_cancel_seen_when_never_waiting },
    { "a signal (EINTR) does not end the wait", test_rio_retries_eintr },
    CU_TEST_INFO_NULL,
};

int main(void)
{
    CU_SuiteInfo suites[] = {
        UNIT_SUITE("rio", rio_tests),
        CU_SUITE_INFO_NULL,
    };

    return unit_run(suites);
}
