/*
 * log.h - levelled, thread-safe, one-line log messages on stderr.
 *
 * Every call writes one whole line with a single write(2), so lines from
 * different threads never interleave. Messages below the current level are
 * dropped. A format that ends in ':' gets a space and strerror(errno)
 * appended, so log_info("client %s left:", peer) prints the reason the call
 * failed: "info: client 127.0.0.1:5000 left: Connection reset by peer".
 * Control characters in a message (a CR or LF from a client) print as
 * spaces, and a message too long for one line (1024 bytes) is cut short.
 * The calls never change errno.
 *
 * Interface:
 *   log_set_level, log_level_parse
 *   log_error, log_warn, log_info, log_debug, log_vwrite
 *
 * Thread-safe, except log_set_level, which is called before threads start.
 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>
#include <stdbool.h>

enum log_level {
    LOG_ERROR, /* the process cannot do what it was asked */
    LOG_WARN,  /* something is wrong but the process goes on */
    LOG_INFO,  /* one line per connection or notable event */
    LOG_DEBUG  /* protocol details, for development */
};

/*
 * log_set_level - drop messages less severe than level (default LOG_INFO).
 */
void log_set_level(enum log_level level);

/*
 * log_level_parse - turn "error", "warn", "info" or "debug" into *level.
 *
 * Returns true on success, false (and *level untouched) for any other name.
 */
bool log_level_parse(const char *name, enum log_level *level);

/*
 * log_vwrite - write one line at level; the va_list form of the calls below.
 */
void log_vwrite(enum log_level level, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* LOG_H */
