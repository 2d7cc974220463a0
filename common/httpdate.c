/*
 * httpdate.c - HTTP dates to seconds and back; see httpdate.h.
 *
 * Parsing does the calendar arithmetic here, without timegm() (not in
 * POSIX) and without the C library's time zone: days_from_civil counts the
 * days between 1970-01-01 and a date of the proleptic Gregorian calendar.
 * Formatting uses gmtime_r(), which is UTC and thread-safe, and spells the
 * names itself, so that no locale changes them.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "httpdate.h"

#define SECONDS_PER_DAY 86400

static const char *const weekdays[] = { "Sun", "Mon", "Tue", "Wed",
                                        "Thu", "Fri", "Sat" };

static const char *const months[] = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun",
    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/* The parts of a date, as the parsers find them. */
struct civil {
    int year, month, day; /* month 1-12 */
    int hour, minute, second;
};

/* days_from_civil - days from 1970-01-01 to year-month-day (Gregorian),
 * negative before it. Counts in 400-year eras starting in March, so that
 * the leap day falls at the end of a year. */
static int64_t days_from_civil(int year, int month, int day)
{
    int64_t y = year - (month <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t year_of_era = y - era * 400;
    int64_t day_of_year =
        (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    int64_t day_of_era =
        year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;

    return era * 146097 + day_of_era - 719468;
}

/* month_number - 1-12 for "Jan".."Dec", or 0. */
static int month_number(const char *name)
{
    for (int i = 0; i < 12; i++) {
        if (strncmp(name, months[i], 3) == 0) {
            return i + 1;
        }
    }
    return 0;
}

/* days_in_month - how many days month (1-12) of year has. */
static int days_in_month(int year, int month)
{
    static const int lengths[] = { 31, 28, 31, 30, 31, 30,
                                   31, 31, 30, 31, 30, 31 };
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

    return lengths[month - 1] + (month == 2 && leap);
}

/* valid - whether the parts name a real moment (leap seconds allowed). */
static bool valid(const struct civil *c)
{
    return c->year >= 1970 && c->month >= 1 && c->month <= 12 && c->day >= 1 &&
           c->day <= days_in_month(c->year, c->month) && c->hour <= 23 &&
           c->minute <= 59 && c->second <= 60;
}

/* parse_imf - "Sun, 06 Nov 1994 08:49:37 GMT", the form senders use.
 * Each parser fills c and is true only when the whole of text matched
 * (%n records where the match ended). */
static bool parse_imf(const char *text, struct civil *c)
{
    char wkday[4] = "", month[4] = "";
    int end = -1;

    sscanf(text, " %3[A-Za-z], %2d %3[A-Za-z] %4d %2d:%2d:%2d GMT %n", wkday,
           &c->day, month, &c->year, &c->hour, &c->minute, &c->second, &end);
    c->month = month_number(month);
    return end > 0 && text[end] == '\0';
}

/* parse_rfc850 - "Sunday, 06-Nov-94 08:49:37 GMT". */
static bool parse_rfc850(const char *text, struct civil *c)
{
    char weekday[10] = "", month[4] = "";
    int end = -1;

    sscanf(text, " %9[A-Za-z], %2d-%3[A-Za-z]-%2d %2d:%2d:%2d GMT %n", weekday,
           &c->day, month, &c->year, &c->hour, &c->minute, &c->second, &end);
    c->month = month_number(month);
    c->year += c->year < 70 ? 2000 : 1900;
    return end > 0 && text[end] == '\0';
}

/* parse_asctime - "Sun Nov  6 08:49:37 1994". */
static bool parse_asctime(const char *text, struct civil *c)
{
    char wkday[4] = "", month[4] = "";
    int end = -1;

    sscanf(text, " %3[A-Za-z] %3[A-Za-z] %2d %2d:%2d:%2d %4d %n", wkday, month,
           &c->day, &c->hour, &c->minute, &c->second, &c->year, &end);
    c->month = month_number(month);
    return end > 0 && text[end] == '\0';
}

int64_t httpdate_parse(const char *text)
{
    bool (*const parsers[])(const char *, struct civil *) = { parse_imf,
                                                              parse_rfc850,
                                                              parse_asctime };
    struct civil c;
    size_t i;

    for (i = 0; i < sizeof(parsers) / sizeof(parsers[0]); i++) {
        c = (struct civil){ 0 };
        if (parsers[i](text, &c)) {
            break;
        }
    }
    if (i == sizeof(parsers) / sizeof(parsers[0]) || !valid(&c)) {
        return -1;
    }
    return days_from_civil(c.year, c.month, c.day) * SECONDS_PER_DAY +
           (int64_t)c.hour * 3600 + (int64_t)c.minute * 60 + c.second;
}

void httpdate_format(time_t when, char out[HTTPDATE_SIZE])
{
    struct tm tm;

    gmtime_r(&when, &tm);
    snprintf(out, HTTPDATE_SIZE, "%s, %02d %s %04d %02d:%02d:%02d GMT",
             weekdays[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
             (tm.tm_year + 1900) % 10000, tm.tm_hour, tm.tm_min, tm.tm_sec);
}
