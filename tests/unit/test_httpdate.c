/*
 * test_httpdate.c - unit tests for httpdate.c: the three forms of an HTTP
 * date (RFC 9110 section 5.6.7), the calendar behind them, and the text
 * that is not a date.
 *
 * Most cases use RFC 9110's example moment, Sun, 06 Nov 1994 08:49:37
 * GMT, which is 784111777 seconds after the epoch.
 */
#include "httpdate.h"
#include "unit.h"

#define EXAMPLE 784111777 /* Sun, 06 Nov 1994 08:49:37 GMT */

/* EXPECT_DATE - httpdate_parse(text) is want; the failure names text. */
#define EXPECT_DATE(text, want)                                             \
    do {                                                                    \
        long long g_ = httpdate_parse(text), w_ = (want);                   \
        UNIT_CHECK(g_ == w_, "httpdate_parse(\"%s\"): got %lld, want %lld", \
                   (text), g_, w_);                                         \
    } while (0)

static void test_httpdate_imf_fixdate(void)
{
    EXPECT_DATE("Sun, 06 Nov 1994 08:49:37 GMT", EXAMPLE);
}

static void test_httpdate_rfc850(void)
{
    EXPECT_DATE("Sunday, 06-Nov-94 08:49:37 GMT", EXAMPLE);
}

static void test_httpdate_asctime(void)
{
    EXPECT_DATE("Sun Nov  6 08:49:37 1994", EXAMPLE);
}

static void test_httpdate_epoch(void)
{
    EXPECT_DATE("Thu, 01 Jan 1970 00:00:00 GMT", 0);
    EXPECT_DATE("Thursday, 01-Jan-70 00:00:00 GMT", 0);
    EXPECT_DATE("Thu Jan  1 00:00:00 1970", 0);
}

static void test_httpdate_before_epoch(void)
{
    EXPECT_DATE("Wed, 31 Dec 1969 23:59:59 GMT", -1);
}

static void test_httpdate_far_future(void)
{
    EXPECT_DATE("Fri, 31 Dec 9999 23:59:59 GMT", 253402300799);
    EXPECT_DATE("Tue, 19 Jan 2038 03:14:08 GMT", 2147483648);
}

static void test_httpdate_leap_day(void)
{
    EXPECT_DATE("Tue, 29 Feb 2000 00:00:00 GMT", 951782400);
    EXPECT_DATE("Wed, 01 Mar 2000 00:00:00 GMT", 951782400 + 86400);
    EXPECT_DATE("Thu, 29 Feb 2024 12:00:00 GMT", 1709208000);
}

static void test_httpdate_no_leap_day(void)
{
    EXPECT_DATE("Thu, 29 Feb 2001 00:00:00 GMT", -1);
    EXPECT_DATE("Mon, 29 Feb 2100 00:00:00 GMT", -1);
    EXPECT_DATE("Mon, 30 Feb 2004 00:00:00 GMT", -1);
}

static void test_httpdate_day_out_of_range(void)
{
    EXPECT_DATE("Thu, 31 Nov 1994 08:49:37 GMT", -1);
    EXPECT_DATE("Sun, 00 Nov 1994 08:49:37 GMT", -1);
    EXPECT_DATE("Sun, 32 Dec 1994 08:49:37 GMT", -1);
}

/* RFC 9110 section 5.6.7: a two-digit year more than 50 years ahead is
 * in the past century; httpdate.h reads 00-69 as 20xx and 70-99 as 19xx. */
static void test_httpdate_rfc850_century(void)
{
    EXPECT_DATE("Tuesday, 01-Jan-69 00:00:00 GMT", 3124224000);
    EXPECT_DATE("Thursday, 01-Jan-70 00:00:00 GMT", 0);
    EXPECT_DATE("Friday, 31-Dec-99 23:59:59 GMT", 946684799);
    EXPECT_DATE("Saturday, 01-Jan-00 00:00:00 GMT", 946684800);
}

static void test_httpdate_trailing_garbage(void)
{
    EXPECT_DATE("Sun, 06 Nov 1994 08:49:37 GMT x", -1);
    EXPECT_DATE("Sun, 06 Nov 1994 08:49:37 GMTX", -1);
    EXPECT_DATE("Sun Nov  6 08:49:37 1994 GMT", -1);
}

static void test_httpdate_missing_gmt(void)
{
    EXPECT_DATE("Sun, 06 Nov 1994 08:49:37", -1);
    EXPECT_DATE("Sun, 06 Nov 1994 08:49:37 UTC", -1);
    EXPECT_DATE("Sunday, 06-Nov-94 08:49:37", -1);
}

static void test_httpdate_bad_month(void)
{
    EXPECT_DATE("Sun, 06 Foo 1994 08:49:37 GMT", -1);
    EXPECT_DATE("Sun, 06 nov 1994 08:49:37 GMT", -1);
    EXPECT_DATE("Sun, 06 11 1994 08:49:37 GMT", -1);
}

static void test_httpdate_time_out_of_range(void)
{
    EXPECT_DATE("Sun, 06 Nov 1994 24:00:00 GMT", -1);
    EXPECT_DATE("Sun, 06 Nov 1994 08:60:37 GMT", -1);
    EXPECT_DATE("Sun, 06 Nov 1994 08:49:61 GMT", -1);
}

/* A leap second (:60) is a valid time; it counts as the next second. */
static void test_httpdate_leap_second(void)
{
    EXPECT_DATE("Sat, 31 Dec 2016 23:59:60 GMT", 1483228800);
}

/* RFC 9110 section 5.6.7 gives each form exactly: one space where it
 * shows one, two digits where it shows two, names spelt as it spells them.
 * A date that is only almost right is invalid (an Expires like that means
 * already expired, RFC 9111 section 5.3). */
static void test_httpdate_inexact_spacing(void)
{
    EXPECT_DATE("Sun,  06 Nov 1994 08:49:37 GMT", -1);
    EXPECT_DATE("Sun, 06  Nov 1994 08:49:37 GMT", -1);
    EXPECT_DATE("Sun, 06 Nov 1994  08:49:37 GMT", -1);
    EXPECT_DATE("Sun, 06 Nov 1994 08:49:37  GMT", -1);
    EXPECT_DATE("Sun,06 Nov 1994 08:49:37 GMT", -1);
    EXPECT_DATE("Sun, 06 Nov 1994\t08:49:37 GMT", -1);
    EXPECT_DATE("Sunday,  06-Nov-94 08:49:37 GMT", -1);
    EXPECT_DATE("Sun Nov 6 08:49:37 1994", -1);
    EXPECT_DATE("Sun  Nov  6 08:49:37 1994", -1);
}

static void test_httpdate_inexact_digits(void)
{
    EXPECT_DATE("Sun, 6 Nov 1994 08:49:37 GMT", -1);
    EXPECT_DATE("Sun, 06 Nov 1994 8:49:37 GMT", -1);
    EXPECT_DATE("Sun, 06 Nov 1994 08:9:37 GMT", -1);
    EXPECT_DATE("Sun, 06 Nov 1994 08:49:7 GMT", -1);
    EXPECT_DATE("Sun, 06 Nov 94 08:49:37 GMT", -1);
    EXPECT_DATE("Sun, 06 Nov 01994 08:49:37 GMT", -1);
    EXPECT_DATE("Sunday, 06-Nov-1994 08:49:37 GMT", -1);
    EXPECT_DATE("Sunday, 6-Nov-94 08:49:37 GMT", -1);
    EXPECT_DATE("Sun Nov 06 8:49:37 1994", -1);
}

static void test_httpdate_inexact_names(void)
{
    EXPECT_DATE("sun, 06 Nov 1994 08:49:37 GMT", -1);
    EXPECT_DATE("Sonntag, 06 Nov 1994 08:49:37 GMT", -1);
    EXPECT_DATE("Sunday, 06 Nov 1994 08:49:37 GMT", -1);
    EXPECT_DATE("Sun, 06-Nov-94 08:49:37 GMT", -1);
    EXPECT_DATE("Sun, 06 Nov 1994 08:49:37 gmt", -1);
    EXPECT_DATE("Sun, 06 November 1994 08:49:37 GMT", -1);
}

/* Two-digit days of asctime are allowed too ("Nov 16"). */
static void test_httpdate_asctime_two_digit_day(void)
{
    EXPECT_DATE("Wed Nov 16 08:49:37 1994", EXAMPLE + 10 * 86400);
}

static void test_httpdate_not_a_date(void)
{
    EXPECT_DATE("", -1);
    EXPECT_DATE("0", -1);
    EXPECT_DATE("-1", -1);
    EXPECT_DATE("   ", -1);
    EXPECT_DATE("784111777", -1);
    EXPECT_DATE("1994-11-06T08:49:37Z", -1);
    EXPECT_DATE("Sun, 06 Nov", -1);
}

static void test_httpdate_surrounding_whitespace(void)
{
    EXPECT_DATE("  Sun, 06 Nov 1994 08:49:37 GMT  ", EXAMPLE);
    EXPECT_DATE("\tSunday, 06-Nov-94 08:49:37 GMT\t", EXAMPLE);
    EXPECT_DATE(" Sun Nov  6 08:49:37 1994 ", EXAMPLE);
}

/* EXPECT_FORMAT - httpdate_format(when) writes want. */
#define EXPECT_FORMAT(when, want)                                    \
    do {                                                             \
        char out_[HTTPDATE_SIZE];                                    \
        httpdate_format((when), out_);                               \
        UNIT_CHECK(strcmp(out_, (want)) == 0,                        \
                   "httpdate_format(%lld): got \"%s\", want \"%s\"", \
                   (long long)(when), out_, (want));                 \
    } while (0)

static void test_httpdate_format_imf_fixdate(void)
{
    EXPECT_FORMAT(EXAMPLE, "Sun, 06 Nov 1994 08:49:37 GMT");
    EXPECT_FORMAT(0, "Thu, 01 Jan 1970 00:00:00 GMT");
    EXPECT_FORMAT(951782400, "Tue, 29 Feb 2000 00:00:00 GMT");
    EXPECT_FORMAT(4102444799, "Thu, 31 Dec 2099 23:59:59 GMT");
}

/* What httpdate_format writes, httpdate_parse reads back, day by day
 * across leap years and the 2038 boundary. */
static void test_httpdate_format_parses_back(void)
{
    char out[HTTPDATE_SIZE] = "";
    time_t when = 0;

    for (; when < 4102444800; when += 86400 * 7 + 3661) {
        httpdate_format(when, out);
        if (httpdate_parse(out) != (int64_t)when) {
            break;
        }
    }
    UNIT_CHECK(when >= 4102444800, "httpdate_parse(\"%s\") is %lld, want %lld",
               out, (long long)httpdate_parse(out), (long long)when);
}

static CU_TestInfo httpdate_tests[] = {
    { "IMF-fixdate gives the seconds", test_httpdate_imf_fixdate },
    { "RFC 850 date gives the seconds", test_httpdate_rfc850 },
    { "asctime date gives the seconds", test_httpdate_asctime },
    { "1970-01-01 00:00:00 is 0 in every form", test_httpdate_epoch },
    { "date before 1970 is -1", test_httpdate_before_epoch },
    { "dates past 2038 and up to 9999 work", test_httpdate_far_future },
    { "29 February of a leap year is valid", test_httpdate_leap_day },
    { "29 February of another year is -1", test_httpdate_no_leap_day },
    { "day outside its month is -1", test_httpdate_day_out_of_range },
    { "RFC 850 years 00-69 are 20xx, 70-99 are 19xx",
      test_httpdate_rfc850_century },
    { "trailing garbage is -1", test_httpdate_trailing_garbage },
    { "missing GMT is -1", test_httpdate_missing_gmt },
    { "unknown or lower-case month is -1", test_httpdate_bad_month },
    { "hour 24, minute 60 or second 61 is -1",
      test_httpdate_time_out_of_range },
    { "leap second 60 is accepted", test_httpdate_leap_second },
    { "an extra or missing space is -1", test_httpdate_inexact_spacing },
    { "a one-digit hour or a short year is -1", test_httpdate_inexact_digits },
    { "a name not spelt as RFC 9110 spells it is -1",
      test_httpdate_inexact_names },
    { "asctime takes a two-digit day", test_httpdate_asctime_two_digit_day },
    { "empty, 0 and other non-dates are -1", test_httpdate_not_a_date },
    { "surrounding whitespace is accepted",
      test_httpdate_surrounding_whitespace },
    { "httpdate_format writes IMF-fixdate", test_httpdate_format_imf_fixdate },
    { "httpdate_format's dates parse back to the same seconds",
      test_httpdate_format_parses_back },
    CU_TEST_INFO_NULL,
};

int main(void)
{
    CU_SuiteInfo suites[] = {
        UNIT_SUITE("httpdate", httpdate_tests),
        CU_SUITE_INFO_NULL,
    };

    return unit_run(suites);
}
