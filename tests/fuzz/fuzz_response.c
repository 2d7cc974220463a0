/*
 * fuzz_response.c - fuzz the response-head parser of http.c: the status
 * line, then header lines up to the blank line, as forward.c reads them.
 *
 * The kit relays a chunked body without decoding it (forward.c only looks
 * for the last chunk at the end of the stream), so there is no chunk
 * decoder to fuzz; the framing decision made from the response head is
 * what a hostile origin can attack, and this target fuzzes it.
 * Promises checked: 0 or 502 only; a status of 100..599 once the line is
 * accepted; never a Content-Length beside chunked; a length of -1 or more.
 */
#include "fuzz.h"
#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct http_response resp;
    size_t n = fuzz_next_line(data, size);
    int rc = http_parse_status_line(&resp, (const char *)data, n);

    FUZZ_CHECK(rc == 0 || rc == 502);
    FUZZ_CHECK(rc != 0 || (resp.status >= 100 && resp.status <= 599));
    while (rc == 0 && (n = fuzz_next_field(&data, &size, n)) > 0) {
        rc = http_parse_response_header(&resp, (const char *)data, n);
        FUZZ_CHECK(rc == 0 || rc == 502);
        FUZZ_CHECK(resp.content_length >= -1);
        FUZZ_CHECK(rc != 0 || !(resp.chunked && resp.content_length >= 0));
    }
    return 0;
}
