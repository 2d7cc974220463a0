/*
 * log.c - levelled log lines on stderr, one write(2) per line.
 *
 * log_vwrite, where every call ends up, builds the whole line
 * ("info: message\n") in a buffer on its stack and hands it to the kernel
 * in one write, which a pipe keeps whole (up to PIPE_BUF bytes, 4096 on
 * Linux): lines from different threads never mix, and no lock is needed.
 * A message too long for the buffer is cut short but keeps its '\n'.
 */
#include <assert.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX   1024 /* bytes in one line, '\n' included */
#define LOG_REASON_MAX 256  /* room for one strerror_r text */

/* Room for the text of a line and its NUL; the '\n' then replaces the NUL. */
#define LOG_TEXT_MAX (LOG_LINE_MAX - 1)

/* Set before threads start; atomic so that reading it never races. */
static _Atomic int log_level = LOG_INFO;

/* Indexed by enum log_level; these are the names log_level_parse takes. */
static const char *const level_names[] = { "error", "warn", "info", "debug" };

void log_set_level(enum log_level level)
{
    assert((unsigned)level <= LOG_DEBUG);
    atomic_store(&log_level, (int)level);
}

bool log_level_parse(const char *name, enum log_level *level)
{
    for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *level = (enum log_level)i;
            return true;
        }
    }
    return false;
}

/* advance - the length of a line that was len bytes long once snprintf,
 * given the room - len bytes after it, has reported n. */
static size_t advance(size_t len, size_t room, int n)
{
    if (n < 0) {
        return len;
    }
    /* snprintf stores at most room - len - 1 characters and a NUL. */
    return len + (size_t)n < room ? len + (size_t)n : room - 1;
}

static bool ends_with_colon(const char *fmt)
{
    size_t n = strlen(fmt);

    return n > 0 && fmt[n - 1] == ':';
}

/* add_reason - append " " and the text for err to the line. */
static size_t add_reason(char *line, size_t len, size_t room, int err)
{
    char reason[LOG_REASON_MAX];
    int n;

    /* The POSIX strerror_r, which returns 0 or an error number. */
    if (strerror_r(err, reason, sizeof(reason)) == 0) {
        n = snprintf(line + len, room - len, " %s", reason);
    } else {
        n = snprintf(line + len, room - len, " error %d", err);
    }
    return advance(len, room, n);
}

/* blank_controls - turn control characters into spaces, so a CR or LF in
 * a message (a client's request line, say) cannot start a new line. */
static void blank_controls(char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)s[i] < ' ' || s[i] == '\x7f') {
            s[i] = ' ';
        }
    }
}

/* finish_line - after the message at line + start (len bytes in all), add
 * the reason for err when fmt ends in ':', blank control characters and end
 * the line; returns its length. */
static size_t finish_line(char *line, size_t start, size_t len, const char *fmt,
                          int err)
{
    if (ends_with_colon(fmt)) {
        len = add_reason(line, len, LOG_TEXT_MAX, err);
    }
    blank_controls(line + start, len - start);
    line[len] = '\n';
    return len + 1;
}

/* write_line - write the line to stderr, continuing after a short write. */
static void write_line(const char *line, size_t len)
{
    while (len > 0) {
        ssize_t n = write(STDERR_FILENO, line, len);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return; /* stderr is gone: there is nowhere left to say so */
        }
        line += n;
        len -= (size_t)n;
    }
}

void log_vwrite(enum log_level level, const char *fmt, va_list ap)
{
    int saved = errno;
    char line[LOG_LINE_MAX];
    size_t start;
    size_t len;
    int n;

    assert((unsigned)level <= LOG_DEBUG);
    if ((int)level > atomic_load(&log_level)) {
        return;
    }
    n = snprintf(line, LOG_TEXT_MAX, "%s: ", level_names[level]);
    start = advance(0, LOG_TEXT_MAX, n);
    /* clang-analyzer 14 loses track of a va_list handed to a callee, so it
     * thinks ap is unset (llvm/llvm-project#40656); our caller started it. */
    /* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized) */
    n = vsnprintf(line + start, LOG_TEXT_MAX - start, fmt, ap);
    len = finish_line(line, start, advance(start, LOG_TEXT_MAX, n), fmt, saved);
    write_line(line, len);
    errno = saved;
}

void log_error(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vwrite(LOG_ERROR, fmt, ap);
    va_end(ap);
}

void log_warn(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vwrite(LOG_WARN, fmt, ap);
    va_end(ap);
}

void log_info(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vwrite(LOG_INFO, fmt, ap);
    va_end(ap);
}

void log_debug(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vwrite(LOG_DEBUG, fmt, ap);
    va_end(ap);
}
