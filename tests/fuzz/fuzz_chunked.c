/*
 * fuzz_chunked.c - fuzz the chunked decoder of chunked.c: the body a
 * client or an origin sends, in pieces of any size.
 *
 * The input is decoded twice, as chunked.h's loop reads a body: all at
 * once, then in two arrivals cut at a point the first byte picks (its
 * share of 255 of the input). Each arrival is a heap copy of exactly its
 * bytes, so ASan sees any read past n. Promises checked: 0 or 400 only;
 * every piece within the bytes it was given (used <= n, its data inside
 * the bytes taken, NULL exactly when empty); a call that takes nothing
 * only once the body is done; and both ways give the same verdict, the
 * same data and the same end.
 */
#include <stdbool.h>
#include <string.h>

#include "chunked.h"
#include "fuzz.h"

/* What decoding the input gave. */
struct decoded {
    int rc;      /* 0, or the status that stopped the decoder */
    bool done;   /* chunked_done when the decoder stopped */
    size_t used; /* bytes of the input taken */
    size_t len;  /* bytes of body data, in data */
    char *data;  /* room for as many bytes as the input */
};

/* check_piece - the promises of one piece, from a call given n bytes at
 * in. */
static void check_piece(const struct chunked_piece *piece, const char *in,
                        size_t n)
{
    FUZZ_CHECK(piece->used <= n);
    FUZZ_CHECK(piece->len <= piece->used);
    FUZZ_CHECK((piece->data == NULL) == (piece->len == 0));
    FUZZ_CHECK(piece->len == 0 || piece->data >= in);
    FUZZ_CHECK(piece->len == 0 || piece->data + piece->len <= in + piece->used);
}

/* arrive - decode the n bytes at bytes as chunked.h's loop does, from a
 * copy of exactly n bytes; returns how many were taken. */
static size_t arrive(struct chunked *dec, const uint8_t *bytes, size_t n,
                     struct decoded *out)
{
    char *buf = malloc(n);
    size_t at = 0;

    FUZZ_CHECK(buf != NULL);
    memcpy(buf, bytes, n);
    while (at < n && out->rc == 0 && !out->done) {
        struct chunked_piece piece;

        out->rc = chunked_decode(dec, buf + at, n - at, &piece);
        FUZZ_CHECK(out->rc == 0 || out->rc == 400);
        if (out->rc != 0) {
            break;
        }
        check_piece(&piece, buf + at, n - at);
        if (piece.len > 0) {
            memcpy(out->data + out->len, piece.data, piece.len);
            out->len += piece.len;
        }
        at += piece.used;
        out->done = chunked_done(dec);
        FUZZ_CHECK(piece.used > 0 || out->done); /* else the loop spins */
    }
    free(buf);
    return at;
}

/* decode - decode the size bytes at data into *out, in one arrival or,
 * when 0 < split < size, in two cut at split. */
static void decode(const uint8_t *data, size_t size, size_t split,
                   struct decoded *out)
{
    struct chunked dec;

    chunked_init(&dec);
    out->rc = 0;
    out->done = false;
    out->len = 0;
    out->used = arrive(&dec, data, split > 0 ? split : size, out);
    if (split > 0 && split < size && out->rc == 0 && !out->done) {
        out->used += arrive(&dec, data + split, size - split, out);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct decoded whole;
    struct decoded cut;

    if (size == 0) {
        return 0; /* chunked_decode is never given 0 bytes */
    }
    whole.data = malloc(size);
    cut.data = malloc(size);
    FUZZ_CHECK(whole.data != NULL && cut.data != NULL);
    decode(data, size, size, &whole);
    decode(data, size, size * data[0] / 255, &cut);
    FUZZ_CHECK(whole.used <= size && cut.used <= size);
    FUZZ_CHECK(cut.rc == whole.rc);
    FUZZ_CHECK(cut.done == whole.done);
    FUZZ_CHECK(cut.rc != 0 || cut.used == whole.used);
    FUZZ_CHECK(cut.len == whole.len &&
               memcmp(cut.data, whole.data, cut.len) == 0);
    free(whole.data);
    free(cut.data);
    return 0;
}
