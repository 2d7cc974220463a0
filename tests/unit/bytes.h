/*
 * bytes.h - shared by the CUnit tests that compare bytes: a difference
 * shown as C would write both sides (CR, LF and the unprintable escaped),
 * from a little before the first byte that differs, and EXPECT_ERROR for
 * calls that return -1 with errno.
 */
#ifndef BYTES_H
#define BYTES_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "unit.h"

#define BYTES_SHOWN_MAX  160 /* room for one side of a byte difference */
#define BYTES_SHOWN_FROM 24  /* bytes shown before the first difference */

/* bytes_escape - n bytes of text as C would write them, in out (size bytes),
 * cut with "..." where they do not fit. */
static inline void bytes_escape(char *out, size_t size, const char *text,
                                size_t n)
{
    size_t pos = 0;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        char one[8];

        if (c == '\r' || c == '\n' || c == '\t') {
            snprintf(one, sizeof(one), "\\%c",
                     c == '\r' ? 'r' : (c == '\n' ? 'n' : 't'));
        } else if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
            snprintf(one, sizeof(one), "\\x%02x", c);
        } else {
            snprintf(one, sizeof(one), "%c", c);
        }
        if (pos + strlen(one) + 4 > size) {
            snprintf(out + pos, size - pos, "...");
            return;
        }
        pos += (size_t)snprintf(out + pos, size - pos, "%s", one);
    }
    out[pos] = '\0';
}

/* bytes_expect - record whether got (got_len bytes) is want (want_len)
 * exactly; when not, the message gives both lengths, the first byte that
 * differs and both sides from a little before it. */
static inline void bytes_expect(int line, const char *what, const char *got,
                                size_t got_len, const char *wanted,
                                size_t want_len)
{
    char g[BYTES_SHOWN_MAX];
    char w[BYTES_SHOWN_MAX];
    size_t at = 0;
    size_t from;

    while (at < got_len && at < want_len && got[at] == wanted[at]) {
        at++;
    }
    from = at > BYTES_SHOWN_FROM ? at - BYTES_SHOWN_FROM : 0;
    bytes_escape(g, sizeof(g), got + from, got_len - from);
    bytes_escape(w, sizeof(w), wanted + from, want_len - from);
    UNIT_CHECK_AT(line, at == got_len && at == want_len,
                  "%s: %zu bytes, want %zu; first difference at byte %zu; "
                  "from byte %zu got \"%s\", want \"%s\"",
                  what, got_len, want_len, at, from, g, w);
}

/* EXPECT_BYTES - bytes_expect at the caller's line. */
#define EXPECT_BYTES(got, got_len, wanted, want_len) \
    bytes_expect(__LINE__, #got, (got), (got_len), (wanted), (want_len))

/* EXPECT_ERROR - call returns -1 with errno err. */
#define EXPECT_ERROR(call, err)                                             \
    do {                                                                    \
        long long rc_;                                                      \
        int e_;                                                             \
        errno = 0;                                                          \
        rc_ = (call);                                                       \
        e_ = errno;                                                         \
        UNIT_CHECK(rc_ == -1 && e_ == (err),                                \
                   "%s: got %lld with errno %d (%s), want -1 with %d (%s)", \
                   #call, rc_, e_, strerror(e_), (err), strerror(err));     \
    } while (0)

#endif /* BYTES_H */
