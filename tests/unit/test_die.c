/*
 * test_die.c - unit tests for die.c: help_if_asked answers -h and --help
 * with the usage on stdout and status 0, and returns otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "die.h"
#include "unit.h"

#define RETURNED 3 /* the child's status when help_if_asked returned */

/* run_help - help_if_asked on argv in a child, its stdout in out; the
 * child's exit status. */
static int run_help(char **argv, char *out, size_t size)
{
    int fds[2];
    int status = -1;
    size_t used = 0;
    ssize_t n;
    pid_t pid;
    int argc = 0;

    while (argv[argc] != NULL) {
        argc++;
    }
    CU_ASSERT_FATAL(pipe(fds) == 0);
    fflush(stdout); /* or the child would write CUnit's buffered report */
    pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        help_if_asked(argc, argv, "PORT", "  PORT  a port\n");
        _exit(RETURNED);
    }
    close(fds[1]);
    while (used + 1 < size &&
           (n = read(fds[0], out + used, size - 1 - used)) > 0) {
        used += (size_t)n;
    }
    out[used] = '\0';
    close(fds[0]);
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_help_answers_h_and_help(void)
{
    char *short_form[] = { "prog", "-h", NULL };
    char *long_form[] = { "prog", "-t", "5", "--help", NULL };
    char out[256];

    ASSERT_EQ_INT(run_help(short_form, out, sizeof(out)), 0);
    ASSERT_EQ_STR(out, "usage: prog PORT\n  PORT  a port\n");
    ASSERT_EQ_INT(run_help(long_form, out, sizeof(out)), 0);
    ASSERT_EQ_STR(out, "usage: prog PORT\n  PORT  a port\n");
}

static void test_help_returns_when_not_asked(void)
{
    char *plain[] = { "prog", "-t", "5", "8080", NULL };
    char *after_dashes[] = { "prog", "--", "-h", NULL };
    char out[256];

    ASSERT_EQ_INT(run_help(plain, out, sizeof(out)), RETURNED);
    ASSERT_EQ_STR(out, "");
    ASSERT_EQ_INT(run_help(after_dashes, out, sizeof(out)), RETURNED);
}

static CU_TestInfo die_tests[] = {
    { "help_if_asked answers -h and --help on stdout with status 0",
      test_help_answers_h_and_help },
    { "help_if_asked returns when no help is asked (or after --)",
      test_help_returns_when_not_asked },
    CU_TEST_INFO_NULL,
};

int main(void)
{
    CU_SuiteInfo suites[] = {
        UNIT_SUITE("die", die_tests),
        CU_SUITE_INFO_NULL,
    };

    return unit_run(suites);
}
