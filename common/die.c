/*
 * die.c - start-up error exits for main(): die(), usage() and int_arg().
 *
 * The only library code that ends the process; die.h says when that is
 * allowed. die() goes through the logger, so its line looks like every
 * other error line ("error: cannot listen on 127.0.0.1 port 80: ...");
 * int_arg() reads a numeric option and dies if it is not one.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "die.h"
#include "log.h"

#define USAGE_STATUS 2 /* the conventional status for a command-line error */

void die(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vwrite(LOG_ERROR, fmt, ap);
    va_end(ap);
    exit(EXIT_FAILURE);
}

void usage(const char *program, const char *args, const char *help)
{
    fprintf(stderr, "usage: %s %s\n", program, args);
    if (help != NULL) {
        fputs(help, stderr);
    }
    exit(USAGE_STATUS);
}

int int_arg(const char *text, int min, int max, const char *what)
{
    char *end;
    long value;

    errno = 0;
    value = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < min ||
        value > max) {
        die("%s: '%s' is not a whole number from %d to %d", what, text, min,
            max);
    }
    return (int)value;
}
