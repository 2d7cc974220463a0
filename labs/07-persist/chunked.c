/*
 * chunked.c - lab 07: decode the chunked transfer coding strictly, so that
 * the proxy and the server behind it agree on where a body ends.
 *
 * Start at chunked_decode, near the end of the file. The decoder is a
 * small state machine (enum chunked_state in chunked.h): data is passed on
 * where it lies in the input, and every other part of the body is a line,
 * gathered in dec->line until its LF comes and then checked against the
 * grammar of RFC 9112 section 7.1. Whatever breaks a rule is 400: the
 * functions that decode return 0 or 400, their helpers true or false. A
 * line is read as a span (a pointer and a length), never past its end.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "chunked.h"
#include "log.h"

void chunked_init(struct chunked *dec)
{
    dec->state = CHUNKED_SIZE_LINE;
    dec->left = 0;
    dec->trailer = 0;
    dec->len = 0;
}

int chunked_decode(struct chunked *dec, const char *in, size_t n,
                   struct chunked_piece *piece)
{
    /* TODO(lab7.1): take one run of data (pointed at in place, never
     * copied) or the bytes of one line, gathered in dec->line until its
     * LF. Then check the line: a size of 1 to 16 hex digits and valid
     * extensions, exactly CRLF after data, trailer field lines up to the
     * empty one. 400 for a bare LF, a CR without LF, a line over
     * CHUNKED_MAXLINE or a trailer section over CHUNKED_MAXTRAILER. Set
     * *piece every time; take nothing once the body has ended. */
    (void)dec;
    (void)in;
    (void)n;
    *piece = (struct chunked_piece){ .used = 0, .data = NULL, .len = 0 };
    log_error("TODO(lab7.1): chunked_decode is not written yet");
    return 400;
}

bool chunked_done(const struct chunked *dec)
{
    /* TODO(lab7.1): true once chunked_decode has read the empty line that
     * ends the trailer section. */
    (void)dec;
    log_error("TODO(lab7.1): chunked_done is not written yet");
    return false;
}

ssize_t chunked_format_size(uint64_t size, char *buf, size_t bufsize)
{
    int n = snprintf(buf, bufsize, "%" PRIx64 "\r\n", size);

    if (n < 0 || (size_t)n >= bufsize) {
        errno = EMSGSIZE;
        return -1;
    }
    return n;
}
