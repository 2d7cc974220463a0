/*
 * fuzz_response.c - fuzz the response-head parser of http.c: the status
 * line, then header lines up to the blank line, as forward.c reads them.
 *
 * The kit relays a chunked body without decoding it (forward.c only looks
 * for the last chunk at the end of the stream), so there is no chunk
 * decoder to fuzz; the framing decision made from the response head is
 * what a hostile origin can attack, and this target fuzzes it.
 * Promises checked: 0 or 502 only; a status of 100..599 once the line is
 * accepted; never a Content-Length beside chunked; a length of -1 or more;
 * and the head http_format_response writes of an accepted one starts
 * "HTTP/1.1 ", ends with the blank line and holds no bare CR or LF.
 */
#include <string.h>

#include "fuzz.h"
#include "http.h"

#define HEAD_MAX (HTTP_MAXLINE + HTTP_MAXHEADTEXT + 4 * HTTP_MAXHEADERS + 512)

/* check_formatted - the promises of http_format_response's head. */
static void check_formatted(const struct http_response *resp)
{
    static char head[HEAD_MAX];
    ssize_t n = http_format_response(resp, 0, head, sizeof(head));

    FUZZ_CHECK(n > 0 && strncmp(head, "HTTP/1.1 ", 9) == 0);
    FUZZ_CHECK(n >= 4 && memcmp(head + n - 4, "\r\n\r\n", 4) == 0);
    for (ssize_t i = 0; i < n; i++) {
        FUZZ_CHECK(head[i] != '\n' || (i > 0 && head[i - 1] == '\r'));
        FUZZ_CHECK(head[i] != '\r' || (i + 1 < n && head[i + 1] == '\n'));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct http_response resp;
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
    if (rc == 0) {
        check_formatted(&resp);
    }
    return 0;
}
