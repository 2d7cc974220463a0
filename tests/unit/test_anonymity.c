/*
 * test_anonymity.c - unit tests for anonymity.c: the headers stage 06
 * removes from a request with -A (and Cookie with -C), and the one
 * User-Agent it sends in place of the user's.
 *
 * Requests are parsed from header lines as the proxy parses them
 * (http_request_init, http_parse_request_line, http_parse_header); each
 * test then compares the headers left, in order, with the ones it wants.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "anonymity.h"
#include "http.h"
#include "unit.h"

/* The request the tests work on; they run one at a time. */
static struct http_request req;

/* build - req made of a GET line and the header lines given ("Name:
 * value", NULL-terminated); the test ends if one does not parse. */
static void build(const char *const *headers)
{
    static const char line[] = "GET http://a.test/ HTTP/1.1\r\n";
    char text[HTTP_MAXLINE];

    http_request_init(&req);
    CU_ASSERT_FATAL(http_parse_request_line(&req, line, strlen(line)) == 0);
    for (size_t i = 0; headers[i] != NULL; i++) {
        int n = snprintf(text, sizeof(text), "%s\r\n", headers[i]);

        CU_ASSERT_FATAL(n > 0 && (size_t)n < sizeof(text));
        UNIT_CHECK(http_parse_header(&req, text, (size_t)n) == 0,
                   "cannot parse %s", headers[i]);
        CU_ASSERT_FATAL(req.nheaders == i + 1);
    }
}

/* is_user_agent - whether h is a User-Agent header. */
static bool is_user_agent(const struct http_header *h)
{
    return strcasecmp(h->name, "User-Agent") == 0;
}

/* expect_headers - req holds exactly one User-Agent, ANONYMITY_USER_AGENT,
 * and besides it exactly want ("Name: value", NULL-terminated), in order. */
static void expect_headers(const char *const *want)
{
    char got[HTTP_MAXLINE];
    size_t agents = 0;
    size_t n = 0;

    for (size_t i = 0; i < req.nheaders; i++) {
        const struct http_header *h = &req.headers[i];

        if (is_user_agent(h)) {
            agents++;
            ASSERT_EQ_STR(h->value, ANONYMITY_USER_AGENT);
            continue;
        }
        snprintf(got, sizeof(got), "%s: %s", h->name, h->value);
        UNIT_CHECK(want[n] != NULL && strcmp(got, want[n]) == 0,
                   "header %zu: got %s, want %s", n, got,
                   want[n] != NULL ? want[n] : "(none)");
        n += want[n] != NULL;
    }
    UNIT_CHECK(want[n] == NULL, "header %zu: got none, want %s", n,
               want[n] != NULL ? want[n] : "");
    ASSERT_EQ_INT(agents, 1);
}

/* apply - anonymity_apply(req, strip_cookies), which must give 0. */
static void apply(bool strip_cookies)
{
    ASSERT_EQ_INT(anonymity_apply(&req, strip_cookies), 0);
}

static void test_removes_known_identifying_headers(void)
{
    static const char *const in[] = {
        "Host: a.test",
        "X-Forwarded-For: 192.0.2.7",
        "Forwarded: for=192.0.2.7",
        "Accept: */*",
        "X-Real-IP: 192.0.2.7",
        "Via: 1.1 other-proxy",
        "From: user@example.org",
        "Referer: http://secret.test/page",
        "X-Forwarded-Host: a.test",
        "X-Forwarded-Proto: https",
        NULL,
    };
    static const char *const out[] = { "Host: a.test", "Accept: */*", NULL };

    build(in);
    apply(false);
    expect_headers(out);
}

/* name_in_case - name with its letters in lower case (upper false) or
 * upper case, into buf. */
static const char *name_in_case(const char *name, bool upper, char *buf,
                                size_t size)
{
    size_t i = 0;

    for (; name[i] != '\0' && i + 1 < size; i++) {
        char c = name[i];

        if (upper && c >= 'a' && c <= 'z') {
            c = (char)(c - 'a' + 'A');
        } else if (!upper && c >= 'A' && c <= 'Z') {
            c = (char)(c - 'A' + 'a');
        }
        buf[i] = c;
    }
    buf[i] = '\0';
    return buf;
}

static void test_removes_each_listed_header_in_any_case(void)
{
    static const char *const out[] = { "Host: a.test", "Accept: */*", NULL };
    char lines[3][128];
    char name[64];

    for (size_t i = 0; anonymity_identifying[i] != NULL; i++) {
        const char *id = anonymity_identifying[i];
        const char *in[] = { "Host: a.test", lines[0], lines[1],
                             "Accept: */*",  lines[2], NULL };

        snprintf(lines[0], sizeof(lines[0]), "%s: 1", id);
        snprintf(lines[1], sizeof(lines[1]), "%s: 2",
                 name_in_case(id, false, name, sizeof(name)));
        snprintf(lines[2], sizeof(lines[2]), "%s: 3",
                 name_in_case(id, true, name, sizeof(name)));
        build(in);
        apply(false);
        expect_headers(out);
    }
}

static void test_removes_repeated_headers(void)
{
    static const char *const in[] = {
        "Via: 1.1 a",   "Accept: */*",
        "via: 1.1 b",   "X-Forwarded-For: 10.0.0.1",
        "VIA: 1.1 c",   "x-forwarded-for: 10.0.0.2, 10.0.0.3",
        "Host: a.test", NULL,
    };
    static const char *const out[] = { "Accept: */*", "Host: a.test", NULL };

    build(in);
    apply(false);
    expect_headers(out);
}

static void test_keeps_similar_names(void)
{
    static const char *const in[] = {
        "Via-Not: 1",
        "X-Forwarded-For-Test: 2",
        "Referrer-Policy: no-referrer",
        "Fromage: brie",
        "Via: 1.1 a",
        "X-Via: 3",
        NULL,
    };
    static const char *const out[] = {
        "Via-Not: 1",
        "X-Forwarded-For-Test: 2",
        "Referrer-Policy: no-referrer",
        "Fromage: brie",
        "X-Via: 3",
        NULL,
    };

    build(in);
    apply(false);
    expect_headers(out);
}

static void test_cookie_kept_unless_asked(void)
{
    static const char *const in[] = {
        "Cookie: a=1", "Host: a.test", "cookie: b=2", "Set-Cookie2: x", NULL,
    };
    static const char *const kept[] = {
        "Cookie: a=1", "Host: a.test", "cookie: b=2", "Set-Cookie2: x", NULL,
    };
    static const char *const stripped[] = { "Host: a.test", "Set-Cookie2: x",
                                            NULL };

    build(in);
    apply(false);
    expect_headers(kept);
    build(in);
    apply(true);
    expect_headers(stripped);
}

static void test_user_agent_replaced(void)
{
    static const char *const in[] = {
        "User-Agent: curl/8.5.0",
        "Host: a.test",
        "user-agent: SecretBrowser/1.0 (user 42)",
        "Accept: */*",
        NULL,
    };
    static const char *const out[] = { "Host: a.test", "Accept: */*", NULL };

    build(in);
    apply(false);
    expect_headers(out);
}

static void test_user_agent_added(void)
{
    static const char *const none[] = { NULL };
    static const char *const in[] = { "Host: a.test", NULL };
    static const char *const out[] = { "Host: a.test", NULL };

    build(none);
    apply(false);
    expect_headers(none);
    build(in);
    apply(true);
    expect_headers(out);
}

static void test_other_headers_keep_order(void)
{
    static const char *const in[] = {
        "Host: a.test",
        "From: me@example.org",
        "Accept: text/html",
        "User-Agent: x",
        "Accept-Language: fr",
        "Referer: http://b/",
        "Cookie: s=1",
        "Cache-Control: no-cache",
        "Forwarded: for=x",
        "X-Custom: 1",
        NULL,
    };
    static const char *const out[] = {
        "Host: a.test",        "Accept: text/html",
        "Accept-Language: fr", "Cache-Control: no-cache",
        "X-Custom: 1",         NULL,
    };

    build(in);
    apply(true);
    expect_headers(out);
}

/* build_full - req with HTTP_MAXHEADERS headers "X-N: N", the one at
 * index special replaced by line (special < 0: none replaced). */
static void build_full(int special, const char *line)
{
    static char text[HTTP_MAXHEADERS][32];
    const char *in[HTTP_MAXHEADERS + 1];

    for (int i = 0; i < HTTP_MAXHEADERS; i++) {
        snprintf(text[i], sizeof(text[i]), "X-%d: %d", i, i);
        in[i] = i == special ? line : text[i];
    }
    in[HTTP_MAXHEADERS] = NULL;
    build(in);
}

static void test_full_table_is_431(void)
{
    int rc;

    /* No room for the User-Agent: 431. Once one header goes (a User-Agent
     * or an identifying one) there is room again. */
    build_full(-1, NULL);
    rc = anonymity_apply(&req, false);
    ASSERT_EQ_INT(rc, 431);
    build_full(HTTP_MAXHEADERS / 2, "User-Agent: curl/8");
    ASSERT_EQ_INT(anonymity_apply(&req, false), 0);
    ASSERT_EQ_INT(req.nheaders, HTTP_MAXHEADERS);
    ASSERT_EQ_STR(http_header_get(&req, "User-Agent"), ANONYMITY_USER_AGENT);
    build_full(0, "X-Forwarded-For: 10.0.0.1");
    ASSERT_EQ_INT(anonymity_apply(&req, false), 0);
    ASSERT_EQ_INT(req.nheaders, HTTP_MAXHEADERS);
    CU_ASSERT_PTR_NULL(http_header_get(&req, "X-Forwarded-For"));
    ASSERT_EQ_STR(http_header_get(&req, "User-Agent"), ANONYMITY_USER_AGENT);
}

static CU_TestInfo anonymity_tests[] = {
    { "X-Forwarded-*, Forwarded, X-Real-IP, Via, From, Referer are removed",
      test_removes_known_identifying_headers },
    { "each header of anonymity_identifying is removed in any case",
      test_removes_each_listed_header_in_any_case },
    { "repeated identifying headers are all removed",
      test_removes_repeated_headers },
    { "names that only look like identifying ones are kept",
      test_keeps_similar_names },
    { "Cookie is kept, every one, unless strip_cookies",
      test_cookie_kept_unless_asked },
    { "every User-Agent is replaced by one ANONYMITY_USER_AGENT",
      test_user_agent_replaced },
    { "the User-Agent is added when the request has none",
      test_user_agent_added },
    { "the other headers keep their order", test_other_headers_keep_order },
    { "a full header table is 431, unless a header is removed first",
      test_full_table_is_431 },
    CU_TEST_INFO_NULL,
};

int main(void)
{
    CU_SuiteInfo suites[] = {
        UNIT_SUITE("anonymity", anonymity_tests),
        CU_SUITE_INFO_NULL,
    };

    return unit_run(suites);
}
