/*
 * httpdate.h - HTTP dates (RFC 9110 section 5.6.7) to seconds and back.
 *
 * Caches compare dates: Date, Expires and Last-Modified decide how long a
 * response stays fresh. A proxy dates a response that came without one.
 * A sender must use the IMF-fixdate form
 * ("Sun, 06 Nov 1994 08:49:37 GMT"); a recipient must also accept the two
 * obsolete forms, RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT") and asctime
 * ("Sun Nov  6 08:49:37 1994"). All are in UTC.
 *
 * Interface:
 *   httpdate_parse   the seconds since 1970 an HTTP date names
 *   httpdate_format  a time as the IMF-fixdate a sender writes
 *
 * Thread-safe: no state, no locale, no time zone.
 */
#ifndef HTTPDATE_H
#define HTTPDATE_H

#include <stdint.h>
#include <time.h>

/* The size of an IMF-fixdate, NUL included. */
#define HTTPDATE_SIZE sizeof("Sun, 06 Nov 1994 08:49:37 GMT")

/*
 * httpdate_parse - the seconds since 1970-01-01 00:00:00 UTC that text
 * names, in any of the three forms (surrounding whitespace allowed).
 * RFC 850's two-digit years are read as 1970-2069.
 * Returns the seconds, or -1 when text is not a valid HTTP date.
 */
int64_t httpdate_parse(const char *text);

/*
 * httpdate_format - write when (seconds since 1970, up to the year 9999) into
 * out as an IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT".
 */
void httpdate_format(time_t when, char out[HTTPDATE_SIZE]);

#endif /* HTTPDATE_H */
