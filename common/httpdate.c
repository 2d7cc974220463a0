/*
 * httpdate.c - HTTP dates to seconds and back; see httpdate.h.
 *
 * Parsing matches text against the exact templates of the three forms
 * (a date that is almost right is not a date: RFC 9110 section 5.6.7), then
 * does the calendar arithmetic here, without timegm() (not in POSIX) and
 * without the C library's time zone: days_from_civil counts the days between
 * 1970-01-01 and a date of the proleptic Gregorian calendar. Formatting uses
 * gmtime_r(), which is UTC and thread-safe, and spells the names itself, so
 * that no locale changes them.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "httpdate.h"

#define SECONDS_PER_DAY 86400

/* Day names in full (RFC 850); the other forms and httpdate_format use
 * their first three letters. */
static const char *const weekday_names[] = { "Sunday",    "Monday",   "Tuesday",
                                             "Wednesday", "Thursday", "Friday",
                                             "Saturday" };

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

/* The three forms as templates, one letter per character of text: 'D' a
 * digit of the day, '_' a digit or a space before a one-digit day
 * (asctime), 'Y' a digit of the year, 'y' of a two-digit year, 'h' 'm'
 * 's' of the time, 'w' a three-letter day name, 'W' a whole one (RFC 850),
 * 'N' a month name; anything else stands for itself. RFC 9110 section
 * 5.6.7 gives each form exactly: one space where it shows one, two digits
 * where it shows two, names in the case it shows. */
static const char *const forms[] = {
    "w, DD N YYYY hh:mm:ss GMT", /* IMF-fixdate, the form senders use */
    "W, DD-N-yy hh:mm:ss GMT",   /* RFC 850 */
    "w N _D hh:mm:ss YYYY",      /* asctime */
};

/* digit_of - the field of c that form letter f adds a digit to, or NULL
 * when f is not a digit's letter. */
static int *digit_of(struct civil *c, char f)
{
    switch (f) {
    case 'D':
    case '_':
        return &c->day;
    case 'Y':
    case 'y':
        return &c->year;
    case 'h':
        return &c->hour;
    case 'm':
        return &c->minute;
    case 's':
        return &c->second;
    default:
        return NULL;
    }
}

/* name_length - how long the name at text is, if it is one of names (n of
 * them) cut to length (0: whole), or 0. *index gets which one. */
static size_t name_length(const char *text, const char *const names[], int n,
                          size_t length, int *index)
{
    for (int i = 0; i < n; i++) {
        size_t len = length > 0 ? length : strlen(names[i]);

        if (strncmp(text, names[i], len) == 0) {
            *index = i;
            return len;
        }
    }
    return 0;
}

/* match_name - the length of the name form letter f stands for at text
 * (the month goes into c), or 0 when there is none. */
static size_t match_name(const char *text, char f, struct civil *c)
{
    int i = 0;
    size_t len;

    if (f == 'N') {
        len = name_length(text, months, 12, 3, &i);
        c->month = i + 1;
        return len;
    }
    return name_length(text, weekday_names, 7, f == 'w' ? 3 : 0, &i);
}

/* match_letter - how many characters of text form letter f matches (0:
 * none), adding a digit or the month it reads to c. */
static size_t match_letter(const char *text, char f, struct civil *c)
{
    int *field = digit_of(c, f);

    if (field != NULL && *text >= '0' && *text <= '9') {
        *field = *field * 10 + (*text - '0');
        return 1;
    }
    if (field != NULL) {
        return f == '_' && *text == ' ';
    }
    if (f == 'w' || f == 'W' || f == 'N') {
        return match_name(text, f, c);
    }
    return *text == f;
}

/* match - whether text (surrounding whitespace aside) is exactly form,
 * filling c as it goes. */
static bool match(const char *text, const char *form, struct civil *c)
{
    text += strspn(text, " \t");
    for (; *form != '\0'; form++) {
        size_t used = match_letter(text, *form, c);

        if (used == 0) {
            return false;
        }
        text += used;
    }
    return text[strspn(text, " \t")] == '\0';
}

int64_t httpdate_parse(const char *text)
{
    struct civil c;
    size_t i;

    for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        c = (struct civil){ 0 };
        if (match(text, forms[i], &c)) {
            break;
        }
    }
    if (i == sizeof(forms) / sizeof(forms[0])) {
        return -1;
    }
    if (strchr(forms[i], 'y') != NULL) {
        c.year += c.year < 70 ? 2000 : 1900; /* httpdate.h: 1970-2069 */
    }
    if (!valid(&c)) {
        return -1;
    }
    return days_from_civil(c.year, c.month, c.day) * SECONDS_PER_DAY +
           (int64_t)c.hour * 3600 + (int64_t)c.minute * 60 + c.second;
}

void httpdate_format(time_t when, char out[HTTPDATE_SIZE])
{
    struct tm tm;

    gmtime_r(&when, &tm);
    snprintf(out, HTTPDATE_SIZE, "%.3s, %02d %s %04d %02d:%02d:%02d GMT",
             weekday_names[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
             (tm.tm_year + 1900) % 10000, tm.tm_hour, tm.tm_min, tm.tm_sec);
}
