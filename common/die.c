/*
 * die.c - start-up error exits for main(): die(), usage(), help_if_asked()
 * and int_arg().
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
#include <string.h>

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

/* print_usage - "usage: PROGRAM ARGS" and the help text, if any, to out. */
static void print_usage(FILE *out, const char *program, const char *args,
                        const char *help_text)
{
    fprintf(out, "usage: %s %s\n", program, args);
    if (help_text != NULL) {
        fputs(help_text, out);
    }
}

void usage(const char *program, const char *args, const char *help_text)
{
    print_usage(stderr, program, args, help_text);
    exit(USAGE_STATUS);
}

void help_if_asked(int argc, char **argv, const char *args,
                   const char *help_text)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            print_usage(stdout, argv[0], args, help_text);
            exit(EXIT_SUCCESS);
        }
    }
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
