/*
 * test_tunnel.c - unit tests for tunnel.c's pure checks: splitting a
 * CONNECT target into host and port (tunnel_parse_authority) and the
 * port allow-list (tunnel_port_allowed).
 *
 * Every input is a string literal; host and port land in buffers of the
 * sizes the glue uses (HTTP_MAXHOST, HTTP_MAXPORT) unless a test is about
 * the buffers. Each assertion names its input, so a failure says which
 * target went wrong. tunnel_serve needs sockets and is left to the grader.
 */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "tunnel.h"
#include "unit.h"

/* What the last parse() wrote, for the tests to check. */
static char host[HTTP_MAXHOST];
static char port[HTTP_MAXPORT];

/* parse - the status tunnel_parse_authority gives target, with host and
 * port written into the buffers above. */
static int parse(const char *target)
{
    memset(host, 'X', sizeof(host) - 1);
    memset(port, 'X', sizeof(port) - 1);
    host[sizeof(host) - 1] = '\0';
    port[sizeof(port) - 1] = '\0';
    return tunnel_parse_authority(target, host, sizeof(host), port,
                                  sizeof(port));
}

/* check_split - target parses (0) into want_host and want_port. */
static void check_split(const char *target, const char *want_host,
                        const char *want_port)
{
    int rc = parse(target);

    UNIT_CHECK(rc == 0, "%s: got %d, want 0", target, rc);
    if (rc == 0) {
        UNIT_CHECK(strcmp(host, want_host) == 0, "%s: host %s, want %s", target,
                   host, want_host);
        UNIT_CHECK(strcmp(port, want_port) == 0, "%s: port %s, want %s", target,
                   port, want_port);
    }
}

/* check_rejected - target is not an authority: 400. */
static void check_rejected(const char *target)
{
    int rc = parse(target);

    UNIT_CHECK(rc == 400, "%s: got %d, want 400", target, rc);
}

/* repeated - len copies of c, then suffix, in a buffer that the next
 * call overwrites. */
static const char *repeated(char c, size_t len, const char *suffix)
{
    static char buf[2 * HTTP_MAXHOST];
    size_t n = strlen(suffix);

    CU_ASSERT_FATAL(len + n < sizeof(buf));
    memset(buf, c, len);
    memcpy(buf + len, suffix, n + 1);
    return buf;
}

/* allow - a config whose allow-list is the n ports given. */
static struct tunnel_config allow(const int *ports, int n)
{
    struct tunnel_config cfg = { .nports = n };

    for (int i = 0; i < n; i++) {
        cfg.ports[i] = ports[i];
    }
    return cfg;
}

/* ---- tunnel_parse_authority: accepted ---- */

static void test_tunnel_parse_name_and_port(void)
{
    check_split("example.com:443", "example.com", "443");
}

static void test_tunnel_parse_ipv4(void)
{
    check_split("93.184.216.34:8443", "93.184.216.34", "8443");
}

static void test_tunnel_parse_ipv6_brackets_removed(void)
{
    check_split("[::1]:443", "::1", "443");
    check_split("[2001:db8::42]:8080", "2001:db8::42", "8080");
}

static void test_tunnel_parse_ipv4_mapped_ipv6(void)
{
    check_split("[::ffff:127.0.0.1]:443", "::ffff:127.0.0.1", "443");
}

static void test_tunnel_parse_upper_case_host(void)
{
    int rc = parse("WWW.Example.COM:443");

    ASSERT_EQ_INT(rc, 0);
    UNIT_CHECK(strcasecmp(host, "www.example.com") == 0,
               "host %s, want www.example.com in any case", host);
    ASSERT_EQ_STR(port, "443");
}

static void test_tunnel_parse_name_characters(void)
{
    check_split("a-b_c~d.e:1", "a-b_c~d.e", "1");
}

static void test_tunnel_parse_largest_port(void)
{
    check_split("host:65535", "host", "65535");
}

static void test_tunnel_parse_leading_zeros(void)
{
    /* Five digits fit HTTP_MAXPORT and mean 443: accepted as written. */
    check_split("host:00443", "host", "00443");
}

static void test_tunnel_parse_longest_host(void)
{
    const char *target = repeated('a', HTTP_MAXHOST - 1, ":443");

    ASSERT_EQ_INT(parse(target), 0);
    ASSERT_EQ_INT(strlen(host), HTTP_MAXHOST - 1);
    ASSERT_EQ_STR(port, "443");
}

/* ---- tunnel_parse_authority: rejected ---- */

static void test_tunnel_parse_port_zero(void)
{
    check_rejected("host:0");
    check_rejected("host:00000");
}

static void test_tunnel_parse_port_too_large(void)
{
    check_rejected("host:65536");
    check_rejected("host:99999");
}

static void test_tunnel_parse_port_too_long(void)
{
    check_rejected("host:000443"); /* 443, but 6 digits: no room */
    check_rejected("host:4430000000000000000000");
}

static void test_tunnel_parse_missing_port(void)
{
    check_rejected("example.com");
}

static void test_tunnel_parse_empty_port(void)
{
    check_rejected("example.com:");
}

static void test_tunnel_parse_empty_host(void)
{
    check_rejected(":443");
    check_rejected("[]:443");
}

static void test_tunnel_parse_empty_target(void)
{
    check_rejected("");
    check_rejected(":");
}

static void test_tunnel_parse_ipv6_without_port(void)
{
    check_rejected("[::1]");
    check_rejected("[::1]:");
}

static void test_tunnel_parse_bad_ipv6_literal(void)
{
    check_rejected("[zz::]:443");
    check_rejected("[127.0.0.1]:443");
    check_rejected("[::1:443");
}

static void test_tunnel_parse_unbracketed_ipv6(void)
{
    check_rejected("::1:443");
}

static void test_tunnel_parse_path(void)
{
    check_rejected("host:443/path");
    check_rejected("/x");
    check_rejected("/host:443");
}

static void test_tunnel_parse_scheme(void)
{
    check_rejected("http://host:443");
    check_rejected("https://host");
}

static void test_tunnel_parse_user_info(void)
{
    check_rejected("user@host:443");
    check_rejected("user:pass@host:443");
}

static void test_tunnel_parse_signed_port(void)
{
    check_rejected("host:+443");
    check_rejected("host:-443");
}

static void test_tunnel_parse_non_numeric_port(void)
{
    check_rejected("host:https");
    check_rejected("host:44a3");
    check_rejected("host:0x1bb");
}

static void test_tunnel_parse_spaces(void)
{
    check_rejected("host: 443");
    check_rejected("host :443");
    check_rejected("ho st:443");
    check_rejected("host:443 ");
}

static void test_tunnel_parse_host_too_long(void)
{
    check_rejected(repeated('a', HTTP_MAXHOST, ":443"));
}

static void test_tunnel_parse_small_buffers(void)
{
    char small_host[5];
    char small_port[3];

    ASSERT_EQ_INT(tunnel_parse_authority("abcd:80", small_host,
                                         sizeof(small_host), small_port,
                                         sizeof(small_port)),
                  0);
    ASSERT_EQ_STR(small_host, "abcd");
    ASSERT_EQ_STR(small_port, "80");
    ASSERT_EQ_INT(tunnel_parse_authority("abcde:80", small_host,
                                         sizeof(small_host), small_port,
                                         sizeof(small_port)),
                  400);
    ASSERT_EQ_INT(tunnel_parse_authority("abcd:443", small_host,
                                         sizeof(small_host), small_port,
                                         sizeof(small_port)),
                  400);
}

/* ---- tunnel_port_allowed ---- */

static void test_tunnel_port_allowed_default_443(void)
{
    const int ports[] = { 443 };
    struct tunnel_config cfg = allow(ports, 1);

    ASSERT_EQ_INT(tunnel_port_allowed("443", &cfg), true);
    ASSERT_EQ_INT(tunnel_port_allowed("80", &cfg), false);
}

static void test_tunnel_port_allowed_any_in_list(void)
{
    const int ports[] = { 443, 8443, 563 };
    struct tunnel_config cfg = allow(ports, 3);

    ASSERT_EQ_INT(tunnel_port_allowed("443", &cfg), true);
    ASSERT_EQ_INT(tunnel_port_allowed("8443", &cfg), true);
    ASSERT_EQ_INT(tunnel_port_allowed("563", &cfg), true);
}

static void test_tunnel_port_allowed_miss(void)
{
    const int ports[] = { 443, 8443 };
    struct tunnel_config cfg = allow(ports, 2);

    ASSERT_EQ_INT(tunnel_port_allowed("25", &cfg), false);
    ASSERT_EQ_INT(tunnel_port_allowed("44", &cfg), false);
    ASSERT_EQ_INT(tunnel_port_allowed("4430", &cfg), false);
    ASSERT_EQ_INT(tunnel_port_allowed("844", &cfg), false);
}

static void test_tunnel_port_allowed_by_value(void)
{
    const int ports[] = { 443 };
    struct tunnel_config cfg = allow(ports, 1);

    ASSERT_EQ_INT(tunnel_port_allowed("00443", &cfg), true);
}

static void test_tunnel_port_allowed_empty_list(void)
{
    const int ports[] = { 443 };
    struct tunnel_config cfg = allow(ports, 0);

    ASSERT_EQ_INT(tunnel_port_allowed("443", &cfg), false);
}

static void test_tunnel_port_allowed_only_first_nports(void)
{
    const int ports[] = { 443, 22 };
    struct tunnel_config cfg = allow(ports, 2);

    cfg.nports = 1; /* 22 is stale: not in the list */
    ASSERT_EQ_INT(tunnel_port_allowed("22", &cfg), false);
    ASSERT_EQ_INT(tunnel_port_allowed("443", &cfg), true);
}

static void test_tunnel_port_allowed_full_list(void)
{
    int ports[TUNNEL_MAXPORTS];
    struct tunnel_config cfg;

    for (int i = 0; i < TUNNEL_MAXPORTS; i++) {
        ports[i] = 1000 + i;
    }
    cfg = allow(ports, TUNNEL_MAXPORTS);
    ASSERT_EQ_INT(tunnel_port_allowed("1000", &cfg), true);
    ASSERT_EQ_INT(tunnel_port_allowed("1015", &cfg), true);
    ASSERT_EQ_INT(tunnel_port_allowed("1016", &cfg), false);
}

static CU_TestInfo tunnel_tests[] = {
    { "host:port is split in two", test_tunnel_parse_name_and_port },
    { "an IPv4 address and port are split", test_tunnel_parse_ipv4 },
    { "an IPv6 literal loses its brackets",
      test_tunnel_parse_ipv6_brackets_removed },
    { "an IPv4-mapped IPv6 literal is accepted",
      test_tunnel_parse_ipv4_mapped_ipv6 },
    { "an upper-case host is accepted", test_tunnel_parse_upper_case_host },
    { "a host may hold letters, digits and -._~",
      test_tunnel_parse_name_characters },
    { "port 65535 is accepted", test_tunnel_parse_largest_port },
    { "a 5-digit port with leading zeros is accepted",
      test_tunnel_parse_leading_zeros },
    { "a host of HTTP_MAXHOST - 1 bytes fits", test_tunnel_parse_longest_host },
    { "port 0 is 400", test_tunnel_parse_port_zero },
    { "a port above 65535 is 400", test_tunnel_parse_port_too_large },
    { "a port of more than 5 digits is 400", test_tunnel_parse_port_too_long },
    { "a target without a port is 400", test_tunnel_parse_missing_port },
    { "an empty port is 400", test_tunnel_parse_empty_port },
    { "an empty host is 400", test_tunnel_parse_empty_host },
    { "an empty target is 400", test_tunnel_parse_empty_target },
    { "an IPv6 literal without a port is 400",
      test_tunnel_parse_ipv6_without_port },
    { "a bracketed host that is not IPv6 is 400",
      test_tunnel_parse_bad_ipv6_literal },
    { "an IPv6 address without brackets is 400",
      test_tunnel_parse_unbracketed_ipv6 },
    { "a path is 400", test_tunnel_parse_path },
    { "a scheme is 400", test_tunnel_parse_scheme },
    { "user info is 400", test_tunnel_parse_user_info },
    { "a port with a sign is 400", test_tunnel_parse_signed_port },
    { "a port that is not decimal digits is 400",
      test_tunnel_parse_non_numeric_port },
    { "spaces in the target are 400", test_tunnel_parse_spaces },
    { "a host too long for its buffer is 400",
      test_tunnel_parse_host_too_long },
    { "parts must fit the buffers the caller gives",
      test_tunnel_parse_small_buffers },
    { "the default list allows 443 only",
      test_tunnel_port_allowed_default_443 },
    { "every port of the list is allowed",
      test_tunnel_port_allowed_any_in_list },
    { "a port not in the list is refused, prefixes too",
      test_tunnel_port_allowed_miss },
    { "ports compare by value", test_tunnel_port_allowed_by_value },
    { "an empty list allows nothing", test_tunnel_port_allowed_empty_list },
    { "only the first nports entries count",
      test_tunnel_port_allowed_only_first_nports },
    { "a full list of TUNNEL_MAXPORTS is searched to its end",
      test_tunnel_port_allowed_full_list },
    CU_TEST_INFO_NULL,
};

int main(void)
{
    CU_SuiteInfo suites[] = {
        UNIT_SUITE("tunnel", tunnel_tests),
        CU_SUITE_INFO_NULL,
    };

    return unit_run(suites);
}
