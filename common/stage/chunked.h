/*
 * chunked.h - the chunked transfer coding, read strictly: the contract of
 * labs/07-persist/chunked.c.
 *
 * A message whose length is not known when its head is sent comes in
 * chunks (RFC 9112 section 7.1): each a size in hexadecimal, optional
 * extensions, CRLF, that many bytes of data, CRLF; a chunk of size 0 ends
 * the data, then come optional trailer fields and an empty line:
 *
 *   1a;name=value CRLF  <26 bytes> CRLF  0 CRLF  Trailer: x CRLF  CRLF
 *
 * Where the body ends is where the next message starts, on the same
 * connection. A reader that is lenient (a bare LF taken for CRLF, a size
 * that overflows, a line as long as the sender likes) ends somewhere other
 * than a strict one does; when a proxy and the server behind it disagree,
 * an attacker can hide a second request inside the first (request
 * smuggling). So the decoder accepts exactly the grammar, rejects
 * everything else with 400, and keeps every count bounded.
 *
 * The decoder is incremental and copies no data: it is fed the bytes as
 * they arrive, in pieces of any size (one byte at a time works too), and
 * points at the data inside what it was given. It never reads a socket.
 *
 *   struct chunked dec;
 *   chunked_init(&dec);
 *   while (bytes arrive in buf, n) {
 *       size_t at = 0;
 *       while (at < n && !chunked_done(&dec)) {
 *           struct chunked_piece piece;
 *           int rc = chunked_decode(&dec, buf + at, n - at, &piece);
 *           if (rc != 0) ... 400: malformed, stop reading this connection
 *           ... piece.data, piece.len: body bytes (len may be 0)
 *           at += piece.used;
 *       }
 *   }
 *   ... bytes of buf from at on belong to whatever follows the body
 *
 * Interface:
 *   struct chunked, enum chunked_state, struct chunked_piece,
 *   CHUNKED_MAXLINE, CHUNKED_MAXTRAILER, CHUNKED_SIZE_MAX
 *   chunked_init, chunked_decode, chunked_done, chunked_format_size
 *
 * Thread-safe: all state lives in the struct chunked.
 */
#ifndef CHUNKED_H
#define CHUNKED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CHUNKED_MAXLINE    4096  /* a size line or trailer line, CRLF in */
#define CHUNKED_MAXTRAILER 32768 /* the trailer section, every line in */
#define CHUNKED_SIZE_MAX   19    /* "ffffffffffffffff\r\n" and the NUL */

/* Where the decoder is: in a line (the size line, after a chunk's data,
 * or in the trailer section), or in a chunk's data. */
enum chunked_state {
    CHUNKED_SIZE_LINE, /* a chunk's size and extensions, to CRLF */
    CHUNKED_DATA,      /* left bytes of data still to come */
    CHUNKED_DATA_END,  /* the CRLF after a chunk's data */
    CHUNKED_TRAILER,   /* a trailer line, or the empty line that ends them */
    CHUNKED_DONE       /* the body has ended */
};

struct chunked {
    enum chunked_state state;
    uint64_t left;              /* CHUNKED_DATA: data bytes still to come */
    size_t trailer;             /* bytes of trailer section so far */
    size_t len;                 /* bytes of the current line in line */
    char line[CHUNKED_MAXLINE]; /* the line being read, unterminated */
};

/* What one call of chunked_decode found. */
struct chunked_piece {
    size_t used;      /* bytes of the input taken, data included */
    const char *data; /* body bytes, inside the input; NULL when len is 0 */
    size_t len;       /* how many */
};

/*
 * chunked_init - make dec ready for the first byte of a chunked body.
 */
void chunked_init(struct chunked *dec);

/*
 * chunked_decode - take bytes of a chunked body from in (n > 0 of them)
 * and report what they held in *piece: piece->used bytes were taken, and
 * among them piece->len bytes of body data at piece->data (consecutive
 * bytes of in). One call takes at most one line or one run of data, so
 * the caller calls again from in + piece->used while bytes are left and
 * chunked_done is false. Each call takes at least one byte until the body
 * has ended; bytes after the end of the body are never taken.
 *
 * Strict, as RFC 9112 section 7.1 says, and bounded where it sets no
 * bound:
 *   - a size is 1 to 16 hexadecimal digits (any case; the RFC sets no
 *     limit, the kit's is what fits in 64 bits, leading zeros included),
 *     followed by CRLF or by extensions; nothing else (no sign, no "0x",
 *     no space before the digits or before the CRLF, no bare LF);
 *   - extensions (section 7.1.1): each is optional whitespace, ';',
 *     optional whitespace, a token, then optionally optional whitespace,
 *     '=', optional whitespace and a token or a quoted string (with
 *     backslash escapes); they are checked and ignored;
 *   - a chunk's data is followed by exactly CRLF;
 *   - after the chunk of size 0, trailer lines (section 7.1.2) are field
 *     lines as in a head (a token, ':', a value without control bytes but
 *     HTAB) up to an empty line; they are checked and passed over;
 *   - a line is at most CHUNKED_MAXLINE bytes with its CRLF, the trailer
 *     section at most CHUNKED_MAXTRAILER, its final empty line included.
 * Returns 0, or 400 when the bytes break a rule; after a 400 the decoder
 * must not be called again (nothing it says can be trusted).
 */
int chunked_decode(struct chunked *dec, const char *in, size_t n,
                   struct chunked_piece *piece)
    __attribute__((warn_unused_result));

/*
 * chunked_done - whether dec has read the whole body, trailers and the
 * final CRLF included.
 */
bool chunked_done(const struct chunked *dec);

/*
 * chunked_format_size - write the line that starts a chunk of size bytes
 * ("1a\r\n" for 26; "0\r\n" starts the last chunk), NUL-terminated, into
 * buf, of size bufsize (CHUNKED_SIZE_MAX is always enough). Returns its
 * length, or -1 with errno EMSGSIZE when it does not fit.
 */
ssize_t chunked_format_size(uint64_t size, char *buf, size_t bufsize)
    __attribute__((warn_unused_result));

#endif /* CHUNKED_H */
