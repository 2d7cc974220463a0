/*
 * die.h - start-up error helpers for main().
 *
 * Only main() may end the process, and only while it starts: wrong arguments,
 * a port it cannot bind. Per-connection code never calls these; it logs and
 * closes that one connection instead.
 *
 * Interface:
 *   die      log an error and exit with status 1
 *   usage    print a usage line and exit with status 2
 *   help_if_asked  -h or --help: print the usage to stdout, exit 0
 *   int_arg  a whole-number argument in a range, or die
 */
#ifndef DIE_H
#define DIE_H

/*
 * die - log fmt at error level and exit(1). As with the logger, a format
 * that ends in ':' gets strerror(errno) appended: die("bind %s:", port).
 */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)))
__attribute__((noreturn));

/*
 * usage - print "usage: PROGRAM ARGS" and an optional help text to stderr,
 * then exit(2), the conventional status for a command-line mistake.
 */
void usage(const char *program, const char *args, const char *help_text)
    __attribute__((noreturn));

/*
 * help_if_asked - when the command line asks for help (-h or --help among its
 * arguments, before a "--"), print "usage: PROGRAM ARGS" and the help text
 * to stdout and exit(0), the answer to a question and not an error;
 * otherwise return. Call it before getopt, which would reject both.
 */
void help_if_asked(int argc, char **argv, const char *args,
                   const char *help_text);

/*
 * int_arg - the whole number text spells, which must lie in [min, max];
 * otherwise die, naming the option (what) and the range.
 */
int int_arg(const char *text, int min, int max, const char *what);

#endif /* DIE_H */
