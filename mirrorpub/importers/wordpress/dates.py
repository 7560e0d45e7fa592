"""WordPress dates: `post_date_gmt` when there is one, else `post_date` in the site's time
zone. A WXR file does not name the zone; unless `--timezone` does, it is the offset most
published posts show between their two dates (UTC when none do)."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mirrorpub.errors import UsageError

_OFFSET = re.compile(r"^(?:UTC|GMT)?([+-])(\d{1,2}):?(\d{2})?$")
_MAX_OFFSET = timedelta(hours=14)


def wp_time(text: str) -> datetime | None:
    """A naive datetime from `2019-05-03 10:20:00`; None for WordPress's zero date."""
    try:
        value = datetime.strptime(text.strip(), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    return value if value.year > 1 else None


def offset_between(local: datetime | None, gmt: datetime | None) -> timedelta | None:
    """local − gmt when that is an offset a time zone can have (whole quarter hours)."""
    if local is None or gmt is None:
        return None
    offset = local - gmt
    if abs(offset) > _MAX_OFFSET or offset.total_seconds() % 900:
        return None
    return offset


def parse_timezone(text: str) -> tzinfo:
    """`UTC`, `+06:00`, `-0330` or an IANA name such as `Asia/Bishkek`."""
    value = text.strip()
    if value.upper() in ("UTC", "GMT", "Z"):
        return UTC
    match = _OFFSET.match(value)
    if match:
        sign = -1 if match.group(1) == "-" else 1
        offset = timedelta(hours=int(match.group(2)), minutes=int(match.group(3) or 0))
        if offset <= _MAX_OFFSET:
            return timezone(sign * offset)
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"--timezone: expected UTC, an offset like +06:00 or a zone name "
                         f"like Asia/Bishkek, got {text!r}") from None


class SiteClock:
    """Turns an item's dates into aware datetimes."""

    def __init__(self, zone: tzinfo | None = None) -> None:
        self.zone = zone
        self.offsets: Counter[timedelta] = Counter()

    def observe(self, local: str, gmt: str) -> None:
        offset = offset_between(wp_time(local), wp_time(gmt))
        if offset is not None:
            self.offsets[offset] += 1

    def site_zone(self) -> tzinfo:
        if self.zone is not None:
            return self.zone
        if not self.offsets:
            return UTC
        return timezone(self.offsets.most_common(1)[0][0])

    def when(self, local: str, gmt: str, pub_date: str = "") -> datetime | None:
        local_time, gmt_time = wp_time(local), wp_time(gmt)
        offset = offset_between(local_time, gmt_time)
        if local_time is not None and offset is not None:
            return local_time.replace(tzinfo=timezone(offset))  # as the author saw it
        if gmt_time is not None:
            return gmt_time.replace(tzinfo=UTC)
        if local_time is not None:
            zone = self.site_zone()
            return local_time.replace(tzinfo=zone)
        return _rfc822(pub_date)


def _rfc822(text: str) -> datetime | None:
    try:
        value = parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if value is None or value.year < 1971:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
