"""dates.py - HTTP dates in the graded tests, and the Date a proxy adds.

A proxy that forwards a response without a Date adds one, the time it
received the response (RFC 9110 section 6.6.1). The tests cannot know that
second in advance, so the reply they expect holds ADDED in its place (see
client.relayed), and settle() puts ADDED into what the proxy sent where it
wrote a valid date of about now. Any other Date, missing or malformed,
still shows as a difference, byte for byte.
"""
from __future__ import annotations
import calendar
import email.utils
import re
import time

ADDED = b"<Date added by the proxy now>"   # as long as an IMF-fixdate
ADDED_LINE = b"\r\nDate: " + ADDED + b"\r\n"
IMF_FIXDATE = re.compile(rb"\r\nDate: ([A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} "
                         rb"\d{4} \d\d:\d\d:\d\d GMT)\r\n")
OLDEST = 600     # seconds a date may lie in the past (a cache hit's age)
NEWEST = 5       # and in the future (clocks read a moment apart)


def http_date(when: float) -> str:
    """An IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") for a time."""
    return email.utils.formatdate(when, usegmt=True)


def is_about_now(value: bytes) -> bool:
    """Whether value is an IMF-fixdate between OLDEST seconds ago and
    NEWEST seconds ahead."""
    try:
        when = calendar.timegm(time.strptime(value.decode("ascii"),
                                             "%a, %d %b %Y %H:%M:%S GMT"))
    except ValueError:
        return False
    return -OLDEST <= when - time.time() <= NEWEST


def settled(got: bytes, want: bytes) -> bytes:
    """got, with the Date the proxy added settled as settle() does."""
    data = bytearray(got)
    settle(data, want)
    return bytes(data)


def settle(got: bytearray, want: bytes) -> None:
    """When want's head holds the Date the proxy adds (ADDED), put ADDED in
    place of the first Date of got's head that is a valid date of about
    now."""
    head_end = want.find(b"\r\n\r\n")
    if ADDED_LINE not in want[:head_end + 2]:
        return
    match = IMF_FIXDATE.search(got, 0, max(got.find(b"\r\n\r\n"), 0) + 2)
    if match and is_about_now(match.group(1)):
        got[match.start(1):match.end(1)] = ADDED


def explain(want: bytes, offset: int | None) -> str:
    """What a difference at offset means when it lies in the Date line the
    proxy adds ("" elsewhere)."""
    at = want.find(ADDED_LINE)
    if at < 0 or offset is None or not at <= offset < at + len(ADDED_LINE):
        return ""
    return ("; there the proxy adds the Date the response lacks: 'Date: ' "
            "and the time it arrived, as an IMF-fixdate such as 'Sun, 06 "
            "Nov 1994 08:49:37 GMT', before Via (http_format_response, "
            "RFC 9110 section 6.6.1)")
