/*
 * fuzz_authority.c - fuzz the two authority parsers: http_parse_target
 * (http.c) on an absolute-form or origin-form target with an optional
 * Host header, and tunnel_parse_authority (tunnel.c) on a CONNECT target.
 *
 * The input is the target, then optionally a NUL byte and a Host value.
 * Promises checked: 0 or 400 only; on success a non-empty host (in lower
 * case from http_parse_target) with no '[' or ']' and no byte a host
 * cannot hold, a port of digits only with a value of 1 to 65535, and
 * (http_parse_target) a path that starts with '/'.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "http.h"
#include "tunnel.h"

/* check_host_port - the promises about a parsed host and port; lower:
 * the host is in lower case too (http.h promises it, tunnel.h does not). */
static void check_host_port(const char *host, const char *port, bool lower)
{
    long value = strtol(port, NULL, 10);

    FUZZ_CHECK(host[0] != '\0');
    FUZZ_CHECK(strpbrk(host, "[]@/ \t\r\n") == NULL);
    for (const char *p = host; lower && *p != '\0'; p++) {
        FUZZ_CHECK(*p < 'A' || *p > 'Z');
    }
    FUZZ_CHECK(port[0] != '\0');
    FUZZ_CHECK(strspn(port, "0123456789") == strlen(port));
    FUZZ_CHECK(value >= 1 && value <= 65535);
}

/* fuzz_target - http_parse_target on target, with Host host if any. */
static void fuzz_target(const char *target, const char *host)
{
    static struct http_request req;
    size_t len = strlen(target);
    int rc;

    http_request_init(&req);
    memcpy(req.method, "GET", sizeof("GET"));
    if (len >= sizeof(req.target)) {
        return;
    }
    memcpy(req.target, target, len + 1);
    if (host != NULL) {
        req.headers[0].name = "Host";
        req.headers[0].value = host;
        req.nheaders = 1;
    }
    rc = http_parse_target(&req);
    FUZZ_CHECK(rc == 0 || rc == 400);
    if (rc == 0) {
        check_host_port(req.host, req.port, true);
        FUZZ_CHECK(req.path != NULL && req.path[0] == '/');
    }
}

/* fuzz_connect - tunnel_parse_authority on target. */
static void fuzz_connect(const char *target)
{
    char host[HTTP_MAXHOST];
    char port[HTTP_MAXPORT];
    int rc =
        tunnel_parse_authority(target, host, sizeof(host), port, sizeof(port));

    FUZZ_CHECK(rc == 0 || rc == 400);
    if (rc == 0) {
        check_host_port(host, port, false);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    const char *host;

    if (text == NULL) {
        return 0;
    }
    memcpy(text, data, size);
    text[size] = '\0';
    host = strlen(text) < size ? text + strlen(text) + 1 : NULL;
    fuzz_target(text, host);
    fuzz_connect(text);
    free(text);
    return 0;
}
