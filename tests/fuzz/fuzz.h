/*
 * fuzz.h - what the libFuzzer targets in tests/fuzz share.
 *
 * Each target defines LLVMFuzzerTestOneInput, feeds the bytes to a
 * parser of the kit, and checks what the parser promises with
 * FUZZ_CHECK: a broken promise aborts, and the fuzzer keeps the input
 * that broke it. Built by `make fuzz` (docs/HARDENING.md).
 *
 * Interface:
 *   FUZZ_CHECK, fuzz_next_line, fuzz_next_field
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* FUZZ_CHECK - abort, naming the promise, unless cond holds (assert()
 * would vanish under -DNDEBUG; this never does). */
#define FUZZ_CHECK(cond)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: broken promise: %s\n", __FILE__, __LINE__, \
                    #cond);                                                    \
            abort();                                                           \
        }                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * fuzz_next_line - the length of the line at the start of data (through
 * its '\n', or the rest of the input when there is none), as rio_readline
 * would return it. 0 when size is 0.
 */
static inline size_t fuzz_next_line(const uint8_t *data, size_t size)
{
    for (size_t i = 0; i < size; i++) {
        if (data[i] == '\n') {
            return i + 1;
        }
    }
    return size;
}

/*
 * fuzz_next_field - step *data and *size past the n-byte line at *data;
 * return the length of the next line, or 0 when the input has ended or
 * that line is the blank line that ends a head.
 */
static inline size_t fuzz_next_field(const uint8_t **data, size_t *size,
                                     size_t n)
{
    const uint8_t *p = *data + n;

    *data = p;
    *size -= n;
    n = fuzz_next_line(p, *size);
    if ((n == 1 && p[0] == '\n') || (n == 2 && p[0] == '\r' && p[1] == '\n')) {
        return 0;
    }
    return n;
}

#endif /* FUZZ_H */
