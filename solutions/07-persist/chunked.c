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

#define SIZE_DIGITS_MAX 16 /* hexadecimal digits of a size: 2^64 - 1 */
#define CRLF_LEN        2

/* A run of bytes of a line, not NUL-terminated. The take_ functions
 * below parse from its front and move the front past what they took. */
struct span {
    const char *p;
    size_t len;
};

/* is_ctl - whether c is a control byte: 0x00 to 0x1f, or DEL. */
static bool is_ctl(char c)
{
    unsigned char u = (unsigned char)c;

    return u < 0x20 || u == 0x7f;
}

/* is_text - whether c may appear in a field value or a quoted string:
 * anything but a control byte, HTAB excepted (RFC 9110 sections 5.5 and
 * 5.6.4). */
static bool is_text(char c)
{
    return !is_ctl(c) || c == '\t';
}

/* is_tchar - whether c may appear in a token (RFC 9110 section 5.6.2). */
static bool is_tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* hex_value - the value of the hexadecimal digit c (any case), or -1. */
static int hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* skip - move the front of s k bytes on (k <= s->len). */
static void skip(struct span *s, size_t k)
{
    s->p += k;
    s->len -= k;
}

/* skip_bws - take any SP and HTAB: BWS, "bad" whitespace that a sender
 * should not send but a recipient must read (RFC 9110 section 5.6.3). */
static void skip_bws(struct span *s)
{
    while (s->len > 0 && (s->p[0] == ' ' || s->p[0] == '\t')) {
        skip(s, 1);
    }
}

/* take_char - take c if it is next; whether it was. */
static bool take_char(struct span *s, char c)
{
    if (s->len == 0 || s->p[0] != c) {
        return false;
    }
    skip(s, 1);
    return true;
}

/* take_token - take a token, one tchar or more; whether there was one. */
static bool take_token(struct span *s)
{
    size_t k = 0;

    while (k < s->len && is_tchar(s->p[k])) {
        k++;
    }
    skip(s, k);
    return k > 0;
}

/* take_quoted_string - take DQUOTE, text or backslash pairs, DQUOTE (RFC
 * 9110 section 5.6.4); false when one is not next or it is unterminated. */
static bool take_quoted_string(struct span *s)
{
    if (!take_char(s, '"')) {
        return false;
    }
    while (s->len > 0 && s->p[0] != '"') {
        size_t k = s->p[0] == '\\' ? 2 : 1; /* a quoted-pair is 2 bytes */

        if (k > s->len || !is_text(s->p[k - 1])) {
            return false;
        }
        skip(s, k);
    }
    return take_char(s, '"');
}

/* take_size - take a chunk size, 1 to 16 hexadecimal digits, into *size.
 * Sixteen digits always fit in 64 bits; a seventeenth is refused, even
 * after leading zeros, so no count ever overflows. */
static bool take_size(struct span *s, uint64_t *size)
{
    size_t k = 0;

    *size = 0;
    while (k < s->len && hex_value(s->p[k]) >= 0) {
        if (k == SIZE_DIGITS_MAX) {
            return false;
        }
        *size = *size << 4 | (uint64_t)hex_value(s->p[k]);
        k++;
    }
    skip(s, k);
    return k > 0;
}

/* take_extension - take one chunk extension (RFC 9112 section 7.1.1):
 * BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ]. */
static bool take_extension(struct span *s)
{
    struct span after_name;

    skip_bws(s);
    if (!take_char(s, ';')) {
        return false;
    }
    skip_bws(s);
    if (!take_token(s)) {
        return false;
    }
    after_name = *s;
    skip_bws(s);
    if (!take_char(s, '=')) {
        *s = after_name; /* the BWS was not followed by a value */
        return true;
    }
    skip_bws(s);
    return take_token(s) || take_quoted_string(s);
}

/* is_field_line - whether line (its CRLF cut off) is a field line: a
 * token, ':' and a value of text (RFC 9112 section 5). A line that starts
 * with SP or HTAB (obs-fold, section 5.2) has no token and is refused, and
 * so is whitespace before the colon (section 5.1). */
static bool is_field_line(struct span line)
{
    if (!take_token(&line) || !take_char(&line, ':')) {
        return false;
    }
    for (size_t i = 0; i < line.len; i++) {
        if (!is_text(line.p[i])) {
            return false;
        }
    }
    return true;
}

/* end_size_line - act on a chunk's size line: on to its data, or, for the
 * last chunk (size 0), to the trailer section. */
static int end_size_line(struct chunked *dec, struct span line)
{
    uint64_t size;

    if (!take_size(&line, &size)) {
        return 400;
    }
    while (line.len > 0) {
        if (!take_extension(&line)) {
            return 400;
        }
    }
    dec->left = size;
    dec->state = size > 0 ? CHUNKED_DATA : CHUNKED_TRAILER;
    return 0;
}

/* end_trailer_line - act on a line of the trailer section: a field line
 * is checked and passed over, the empty line ends the body. Every line
 * counts toward CHUNKED_MAXTRAILER, the empty one too. */
static int end_trailer_line(struct chunked *dec, struct span line)
{
    dec->trailer += line.len + CRLF_LEN;
    if (dec->trailer > CHUNKED_MAXTRAILER) {
        return 400;
    }
    if (line.len == 0) {
        dec->state = CHUNKED_DONE;
        return 0;
    }
    return is_field_line(line) ? 0 : 400;
}

/* end_line - act on the line in dec->line, now that its LF is in. */
static int end_line(struct chunked *dec)
{
    struct span line = { dec->line, 0 };

    /* RFC 9112 section 7.1 ends every line with CRLF: a bare LF is 400.
     * No line may hold a CR anywhere else; each parser below refuses it. */
    if (dec->len < CRLF_LEN || dec->line[dec->len - CRLF_LEN] != '\r') {
        return 400;
    }
    line.len = dec->len - CRLF_LEN;
    switch (dec->state) {
    case CHUNKED_SIZE_LINE:
        return end_size_line(dec, line);
    case CHUNKED_DATA_END:
        dec->state = CHUNKED_SIZE_LINE; /* only CRLF fits: see line_max */
        return 0;
    case CHUNKED_TRAILER:
        return end_trailer_line(dec, line);
    default:
        return 400; /* not a state that reads lines */
    }
}

/* line_max - how long the line read in state may be, CRLF included: the
 * CRLF after a chunk's data may hold nothing else. */
static size_t line_max(enum chunked_state state)
{
    return state == CHUNKED_DATA_END ? CRLF_LEN : CHUNKED_MAXLINE;
}

/* append_line - add the n bytes at in to dec->line; false when the line
 * grows too long. */
static bool append_line(struct chunked *dec, const char *in, size_t n)
{
    if (n > line_max(dec->state) - dec->len) {
        return false;
    }
    memcpy(dec->line + dec->len, in, n);
    dec->len += n;
    return true;
}

/* take_line - take the bytes of in up to the end of the current line
 * (all of them when its LF is not in yet), and act on the line once it
 * is whole. */
static int take_line(struct chunked *dec, const char *in, size_t n,
                     struct chunked_piece *piece)
{
    const char *lf = memchr(in, '\n', n);
    int rc;

    piece->used = lf != NULL ? (size_t)(lf - in) + 1 : n;
    if (!append_line(dec, in, piece->used)) {
        return 400;
    }
    if (lf == NULL) {
        return 0;
    }
    rc = end_line(dec);
    dec->len = 0;
    return rc;
}

/* take_data - take the data of the current chunk that in holds: it is
 * passed on where it lies, not copied. */
static void take_data(struct chunked *dec, const char *in, size_t n,
                      struct chunked_piece *piece)
{
    size_t len = dec->left < n ? (size_t)dec->left : n;

    piece->used = len;
    piece->data = in;
    piece->len = len;
    dec->left -= len;
    if (dec->left == 0) {
        dec->state = CHUNKED_DATA_END;
    }
}

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
    *piece = (struct chunked_piece){ .used = 0, .data = NULL, .len = 0 };
    if (n == 0 || dec->state == CHUNKED_DONE) {
        return 0; /* nothing to take, or only what follows the body */
    }
    if (dec->state == CHUNKED_DATA) {
        take_data(dec, in, n, piece);
        return 0;
    }
    return take_line(dec, in, n, piece);
}

bool chunked_done(const struct chunked *dec)
{
    return dec->state == CHUNKED_DONE;
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
