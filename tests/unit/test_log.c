/*
 * test_log.c - unit tests for log.c and die.c (die, usage, int_arg).
 *
 * The log tests point fd 2 at a pipe while they log (capture_start and
 * capture_stop) and compare the exact text. die(), usage() and a failing
 * int_arg() end the process, so those tests run them in a child
 * (run_child) and check its exit status and stderr.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "die.h"
#include "log.h"
#include "unit.h"

#define CAPTURE_MAX  (256 * 1024) /* room for everything one test logs */
#define LINE_MAX_OUT 1024         /* the longest line log.c writes */
#define THREADS      8            /* threads that log at once */
#define THREAD_LINES 200          /* lines each of them logs */
#define PAD          "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

struct capture {
    int saved_fd; /* the real stderr while fd 2 is the pipe */
    int read_fd;  /* the pipe's read end, drained by reader */
    pthread_t reader;
    size_t len; /* bytes in text */
    char text[CAPTURE_MAX];
};

static struct capture cap;

/* read_all - read fd to end of file into buf, NUL-terminated; returns the
 * count. Stops early only when buf is full. */
static size_t read_all(int fd, char *buf, size_t size)
{
    size_t len = 0;
    ssize_t n = 1;

    while (n > 0 && len < size - 1) {
        n = read(fd, buf + len, size - 1 - len);
        if (n > 0) {
            len += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            n = 1;
        }
    }
    buf[len] = '\0';
    return len;
}

static void *drain(void *arg)
{
    (void)arg;
    cap.len = read_all(cap.read_fd, cap.text, sizeof(cap.text));
    return NULL;
}

/* capture_start - send fd 2 into a pipe that a thread drains. */
static void capture_start(void)
{
    int fds[2];

    CU_ASSERT_FATAL(pipe(fds) == 0);
    cap.saved_fd = dup(STDERR_FILENO);
    CU_ASSERT_FATAL(cap.saved_fd >= 0);
    CU_ASSERT_FATAL(dup2(fds[1], STDERR_FILENO) == STDERR_FILENO);
    close(fds[1]);
    cap.read_fd = fds[0];
    CU_ASSERT_FATAL(pthread_create(&cap.reader, NULL, drain, NULL) == 0);
}

/* capture_stop - give fd 2 back and return everything logged since
 * capture_start. */
static const char *capture_stop(void)
{
    dup2(cap.saved_fd, STDERR_FILENO); /* closes the pipe's last writer */
    close(cap.saved_fd);
    pthread_join(cap.reader, NULL);
    close(cap.read_fd);
    return cap.text;
}

/* Registered first: the level must still be the default. */
static void test_log_default_level_is_info(void)
{
    capture_start();
    log_debug("hidden");
    log_info("shown");
    ASSERT_EQ_STR(capture_stop(), "info: shown\n");
}

static void test_log_line_format(void)
{
    capture_start();
    log_info("listening on %s", "127.0.0.1:41234");
    ASSERT_EQ_STR(capture_stop(), "info: listening on 127.0.0.1:41234\n");
}

static void test_log_level_names(void)
{
    log_set_level(LOG_DEBUG);
    capture_start();
    log_error("e %d", 1);
    log_warn("w %d", 2);
    log_info("i %d", 3);
    log_debug("d %d", 4);
    ASSERT_EQ_STR(capture_stop(), "error: e 1\nwarn: w 2\ninfo: i 3\n"
                                  "debug: d 4\n");
    log_set_level(LOG_INFO);
}

static void test_log_level_filters(void)
{
    log_set_level(LOG_WARN);
    capture_start();
    log_error("e");
    log_warn("w");
    log_info("i");
    log_debug("d");
    ASSERT_EQ_STR(capture_stop(), "error: e\nwarn: w\n");
    log_set_level(LOG_ERROR);
    capture_start();
    log_warn("w");
    log_error("e");
    ASSERT_EQ_STR(capture_stop(), "error: e\n");
    log_set_level(LOG_INFO);
}

__attribute__((format(printf, 2, 3))) static void
call_vwrite(enum log_level level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vwrite(level, fmt, ap);
    va_end(ap);
}

static void test_log_vwrite_takes_va_list(void)
{
    capture_start();
    call_vwrite(LOG_WARN, "%s=%d", "retries", 3);
    call_vwrite(LOG_DEBUG, "dropped");
    ASSERT_EQ_STR(capture_stop(), "warn: retries=3\n");
}

static void test_log_colon_appends_reason(void)
{
    char want[LINE_MAX_OUT];
    char reason[256];

    CU_ASSERT_FATAL(strerror_r(ENOENT, reason, sizeof(reason)) == 0);
    snprintf(want, sizeof(want), "error: open %s: %s\n", "a.txt", reason);
    capture_start();
    errno = ENOENT;
    log_error("open %s:", "a.txt");
    ASSERT_EQ_STR(capture_stop(), want);
}

static void test_log_colon_inside_is_text(void)
{
    capture_start();
    errno = ENOENT;
    log_info("host: %s", "example.org");
    log_info("%s", "ends in a colon from an argument:");
    ASSERT_EQ_STR(capture_stop(), "info: host: example.org\n"
                                  "info: ends in a colon from an argument:\n");
}

static void test_log_preserves_errno(void)
{
    int saved = dup(STDERR_FILENO);

    capture_start();
    errno = EPIPE;
    log_info("reason:");
    ASSERT_EQ_INT(errno, EPIPE);
    log_debug("dropped:");
    ASSERT_EQ_INT(errno, EPIPE);
    capture_stop();

    /* A failing write (stderr closed) must not change errno either. */
    close(STDERR_FILENO);
    errno = ECONNRESET;
    log_error("nowhere to go");
    ASSERT_EQ_INT(errno, ECONNRESET);
    dup2(saved, STDERR_FILENO);
    close(saved);
}

/* check_one_line - text is a single line that starts with prefix and is no
 * longer than a log line may be. */
static void check_one_line(const char *text, const char *prefix)
{
    size_t len = strlen(text);

    CU_ASSERT(len > 1000);
    CU_ASSERT(len <= LINE_MAX_OUT);
    CU_ASSERT(strncmp(text, prefix, strlen(prefix)) == 0);
    CU_ASSERT(strchr(text, '\n') == text + len - 1);
}

static void test_log_truncates_long_message(void)
{
    static char msg[5000];

    memset(msg, 'a', sizeof(msg) - 1);
    capture_start();
    log_info("%s", msg);
    check_one_line(capture_stop(), "info: aaaa");
}

static void test_log_truncates_long_reason(void)
{
    static char msg[1020];

    memset(msg, 'b', sizeof(msg) - 1);
    capture_start();
    errno = ENOENT;
    log_warn("%s:", msg);
    check_one_line(capture_stop(), "warn: bbbb");
}

static void test_log_blanks_control_chars(void)
{
    capture_start();
    log_info("request %s", "GET / HTTP/1.1\r\nX: \x1b[2J\t.");
    ASSERT_EQ_STR(capture_stop(), "info: request GET / HTTP/1.1  X:  [2J .\n");
}

static void test_log_level_parse_accepts_names(void)
{
    const char *names[] = { "error", "warn", "info", "debug" };
    enum log_level want[] = { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

    for (size_t i = 0; i < 4; i++) {
        enum log_level level = LOG_INFO;

        CU_ASSERT(log_level_parse(names[i], &level));
        ASSERT_EQ_INT(level, want[i]);
    }
}

static void test_log_level_parse_rejects_others(void)
{
    const char *bad[] = { "", "INFO", "inf", "infos", "warning", "debug " };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        enum log_level level = LOG_WARN;

        CU_ASSERT_FALSE(log_level_parse(bad[i], &level));
        ASSERT_EQ_INT(level, LOG_WARN);
    }
}

static void *log_lines(void *arg)
{
    int id = *(int *)arg;

    for (int i = 0; i < THREAD_LINES; i++) {
        log_info("thread %d line %d %s", id, i, PAD);
    }
    return NULL;
}

/* check_line - line (without '\n') is whole and comes after the line
 * last[thread] from the same thread. */
static void check_line(const char *line, size_t len, int last[THREADS])
{
    int id = -1;
    int i = -1;
    int off = 0;

    sscanf(line, "info: thread %d line %d %n", &id, &i, &off);
    CU_ASSERT_FATAL(id >= 0 && id < THREADS);
    CU_ASSERT(i == last[id] + 1);
    last[id] = i;
    CU_ASSERT(len - (size_t)off == strlen(PAD));
    CU_ASSERT(strncmp(line + off, PAD, strlen(PAD)) == 0);
}

static void test_log_threads_write_whole_lines(void)
{
    pthread_t threads[THREADS];
    int ids[THREADS];
    int last[THREADS];
    const int want = THREADS * THREAD_LINES;
    const char *p;
    int lines = 0;

    capture_start();
    for (int t = 0; t < THREADS; t++) {
        ids[t] = t;
        last[t] = -1;
        CU_ASSERT_FATAL(pthread_create(&threads[t], NULL, log_lines, &ids[t]) ==
                        0);
    }
    for (int t = 0; t < THREADS; t++) {
        pthread_join(threads[t], NULL);
    }
    for (p = capture_stop(); *p != '\0'; lines++) {
        const char *nl = strchr(p, '\n');

        CU_ASSERT_FATAL(nl != NULL);
        check_line(p, (size_t)(nl - p), last);
        p = nl + 1;
    }
    ASSERT_EQ_INT(lines, want);
}

/* run_child - run fn in a child whose stderr is a pipe; store what it
 * wrote in out and return its wait status (-1 if it could not run). */
static int run_child(void (*fn)(void), char *out, size_t size)
{
    int fds[2];
    int status = -1;
    pid_t pid;

    if (pipe(fds) < 0) {
        return -1;
    }
    pid = fork();
    if (pid == 0) {
        dup2(fds[1], STDERR_FILENO);
        close(fds[0]);
        close(fds[1]);
        fn();
        _exit(99); /* fn should not return */
    }
    close(fds[1]);
    read_all(fds[0], out, size);
    close(fds[0]);
    if (pid < 0 || waitpid(pid, &status, 0) < 0) {
        return -1;
    }
    return status;
}

/* check_exit - status says the child called exit(code). */
static void check_exit(int status, int code)
{
    CU_ASSERT_FATAL(status != -1 && WIFEXITED(status));
    ASSERT_EQ_INT(WEXITSTATUS(status), code);
}

static void die_with_reason(void)
{
    errno = EACCES;
    die("cannot bind %s:", "80");
}

static void test_die_exits_1_with_reason(void)
{
    char out[LINE_MAX_OUT];
    char want[LINE_MAX_OUT];
    char reason[256];

    CU_ASSERT_FATAL(strerror_r(EACCES, reason, sizeof(reason)) == 0);
    snprintf(want, sizeof(want), "error: cannot bind 80: %s\n", reason);
    check_exit(run_child(die_with_reason, out, sizeof(out)), 1);
    ASSERT_EQ_STR(out, want);
}

static void die_plain(void)
{
    die("no such address: %s", "nowhere");
}

static void test_die_exits_1_with_message(void)
{
    char out[LINE_MAX_OUT];

    check_exit(run_child(die_plain, out, sizeof(out)), 1);
    ASSERT_EQ_STR(out, "error: no such address: nowhere\n");
}

static void usage_with_help(void)
{
    usage("echo", "PORT [-b ADDRESS]", "  PORT  port to listen on\n");
}

static void test_usage_exits_2_with_help(void)
{
    char out[LINE_MAX_OUT];

    check_exit(run_child(usage_with_help, out, sizeof(out)), 2);
    ASSERT_EQ_STR(out, "usage: echo PORT [-b ADDRESS]\n"
                       "  PORT  port to listen on\n");
}

static void usage_without_help(void)
{
    usage("proxy", "PORT", NULL);
}

static void test_usage_exits_2_without_help(void)
{
    char out[LINE_MAX_OUT];

    check_exit(run_child(usage_without_help, out, sizeof(out)), 2);
    ASSERT_EQ_STR(out, "usage: proxy PORT\n");
}

static void test_int_arg_accepts_range(void)
{
    ASSERT_EQ_INT(int_arg("42", 0, 100, "-i"), 42);
    ASSERT_EQ_INT(int_arg("0", 0, 100, "-i"), 0);
    ASSERT_EQ_INT(int_arg("100", 0, 100, "-i"), 100);
    ASSERT_EQ_INT(int_arg("-7", -10, 10, "-n"), -7);
}

static void int_arg_too_big(void)
{
    int_arg("101", 0, 100, "-i");
}

static void test_int_arg_dies_outside_range(void)
{
    char out[LINE_MAX_OUT];

    check_exit(run_child(int_arg_too_big, out, sizeof(out)), 1);
    ASSERT_EQ_STR(out,
                  "error: -i: '101' is not a whole number from 0 to 100\n");
}

static void int_arg_junk(void)
{
    int_arg("12abc", 0, 100, "-i");
}

static void int_arg_empty(void)
{
    int_arg("", 0, 100, "-i");
}

static void int_arg_overflow(void)
{
    int_arg("99999999999999999999", 0, 100, "-i");
}

static void test_int_arg_dies_on_non_numbers(void)
{
    char out[LINE_MAX_OUT];

    check_exit(run_child(int_arg_junk, out, sizeof(out)), 1);
    ASSERT_EQ_STR(out,
                  "error: -i: '12abc' is not a whole number from 0 to 100\n");
    check_exit(run_child(int_arg_empty, out, sizeof(out)), 1);
    ASSERT_EQ_STR(out, "error: -i: '' is not a whole number from 0 to 100\n");
    check_exit(run_child(int_arg_overflow, out, sizeof(out)), 1);
    CU_ASSERT(strstr(out, "'99999999999999999999' is not") != NULL);
}

static CU_TestInfo log_tests[] = {
    { "the default level is info", test_log_default_level_is_info },
    { "a line is \"level: message\\n\"", test_log_line_format },
    { "each level prints its name", test_log_level_names },
    { "messages below the level are dropped", test_log_level_filters },
    { "log_vwrite takes a va_list", test_log_vwrite_takes_va_list },
    { "a format ending in ':' appends the errno text",
      test_log_colon_appends_reason },
    { "a ':' elsewhere is plain text", test_log_colon_inside_is_text },
    { "logging never changes errno", test_log_preserves_errno },
    { "a long message is cut to one line", test_log_truncates_long_message },
    { "a long message with a reason is cut to one line",
      test_log_truncates_long_reason },
    { "control characters print as spaces", test_log_blanks_control_chars },
    { "level_parse accepts the four names",
      test_log_level_parse_accepts_names },
    { "level_parse rejects other names and leaves the level",
      test_log_level_parse_rejects_others },
    { "threads logging at once write whole lines",
      test_log_threads_write_whole_lines },
    CU_TEST_INFO_NULL,
};

static CU_TestInfo die_tests[] = {
    { "die with ':' logs the errno text and exits 1",
      test_die_exits_1_with_reason },
    { "die logs an error line and exits 1", test_die_exits_1_with_message },
    { "usage prints the usage line and help, exits 2",
      test_usage_exits_2_with_help },
    { "usage without help prints one line, exits 2",
      test_usage_exits_2_without_help },
    { "int_arg returns a number within the range", test_int_arg_accepts_range },
    { "int_arg dies (exit 1) on a number out of range",
      test_int_arg_dies_outside_range },
    { "int_arg dies (exit 1) on text that is not a number",
      test_int_arg_dies_on_non_numbers },
    CU_TEST_INFO_NULL,
};

int main(void)
{
    CU_SuiteInfo suites[] = {
        UNIT_SUITE("log", log_tests),
        UNIT_SUITE("die", die_tests),
        CU_SUITE_INFO_NULL,
    };

    return unit_run(suites);
}
