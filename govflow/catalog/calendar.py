"""The working-day calendar: Monday to Friday, corrected by ``CalendarDay`` exceptions.

China moves working days around its public holidays (调休): a Saturday or Sunday next to a
holiday becomes a working day, and weekdays inside the holiday become days off. The database
stores only the exceptions to the Monday–Friday week (``CalendarDay``): weekday holidays
(``is_working_day=False``) and make-up working days on weekends (``is_working_day=True``).
:func:`seed_calendar` fills them from the ``holidays`` package; administrators correct them in
the admin (the State Council publishes next year's arrangement each November).

Caching: SLA computations run on every list and every decision, so the exceptions (a few dozen
rows a year) are read with one query and kept in process memory. Changing a ``CalendarDay``
calls :func:`invalidate_calendar_cache` (``signals.py``), which drops this process's copy and
bumps a *calendar version* stored in Django's cache. A process compares its copy's version with
that shared version at most once a second (``VERSION_CHECK_SECONDS``; one cache read, no SQL),
so other processes reload within a second when the cache backend is shared (Redis, Memcached,
database), and a page computing a hundred due dates costs no hundred cache round trips. With
the default per-process LocMemCache the version is not shared: other processes keep their copy
until restarted, so production should configure a shared cache. A change made inside a transaction that is later
rolled back can leave a stale copy in the process that made it until the next invalidation.
"""
from __future__ import annotations

import bisect
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from .models import CalendarDay

__all__ = [
    "add_working_days",
    "china_calendar_exceptions",
    "invalidate_calendar_cache",
    "is_working_day",
    "local_date",
    "seed_calendar",
    "working_days_between",
]

CACHE_VERSION_KEY = "govflow:calendar:version"
#: How long a process trusts its copy before comparing versions with the shared cache again.
VERSION_CHECK_SECONDS = 1.0
DEFAULT_SEED_YEARS = (2025, 2026, 2027)
MAKE_UP_WORKING_DAY = "调休上班"


@dataclass(frozen=True)
class _Calendar:
    """The exceptions to the Monday–Friday week, as loaded by one query."""

    version: str
    days: dict[date, bool]
    dates: tuple[date, ...]  # sorted, for range counting


_lock = threading.Lock()
_loaded: _Calendar | None = None
_checked_at = 0.0  # time.monotonic() of the last comparison with the shared version


def _shared_version() -> str:
    version = cache.get(CACHE_VERSION_KEY)
    if version is None:
        cache.add(CACHE_VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(CACHE_VERSION_KEY) or "unshared"
    return version


def _calendar() -> _Calendar:
    global _loaded, _checked_at
    current = _loaded
    now = time.monotonic()
    if current is not None and now - _checked_at < VERSION_CHECK_SECONDS:
        return current
    version = _shared_version()
    if current is not None and current.version == version:
        _checked_at = now
        return current
    with _lock:
        current = _loaded
        if current is not None and current.version == version:
            return current
        days = dict(CalendarDay.objects.values_list("date", "is_working_day"))
        # Remember the version read *before* the query: an invalidation that races with the
        # query bumps the version, so this copy is reloaded on the next check.
        current = _Calendar(version=version, days=days, dates=tuple(sorted(days)))
        _loaded, _checked_at = current, now
        return current


def _drop_local_copy() -> None:
    global _loaded
    with _lock:
        _loaded = None


def invalidate_calendar_cache() -> None:
    """Forget the loaded calendar here and in every process sharing Django's cache.

    Called on every ``CalendarDay`` save and delete. Inside a transaction it fires again on
    commit: another thread may have reloaded the old, still committed rows in between.
    """
    _drop_local_copy()
    cache.set(CACHE_VERSION_KEY, uuid.uuid4().hex, timeout=None)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(_invalidate_after_commit)


def _invalidate_after_commit() -> None:
    _drop_local_copy()
    cache.set(CACHE_VERSION_KEY, uuid.uuid4().hex, timeout=None)


# --------------------------------------------------------------------------------------------
# Queries


def local_date(dt: datetime) -> date:
    """The calendar date of ``dt`` in ``settings.TIME_ZONE`` (Asia/Shanghai).

    A naive datetime is taken to be local time already.
    """
    if dt.tzinfo is None or dt.utcoffset() is None:
        return dt.date()
    return dt.astimezone(ZoneInfo(settings.TIME_ZONE)).date()


def _as_date(day: date) -> date:
    return local_date(day) if isinstance(day, datetime) else day


def _is_working(days: dict[date, bool], day: date) -> bool:
    exception = days.get(day)
    return exception if exception is not None else day.weekday() < 5


def is_working_day(d: date) -> bool:
    """Whether ``d`` is a working day (a datetime is first converted with :func:`local_date`)."""
    return _is_working(_calendar().days, _as_date(d))


def add_working_days(start: date, n: int) -> date:
    """The ``n``-th working day strictly after ``start``; ``start`` itself when ``n`` is 0.

    A negative ``n`` counts backwards: the ``|n|``-th working day strictly before ``start``.
    ``start`` need not be a working day. One cache read and at most one query, whatever ``n``.
    """
    day = _as_date(start)
    days = _calendar().days
    step = timedelta(days=1 if n >= 0 else -1)
    remaining = abs(n)
    while remaining:
        day += step
        if _is_working(days, day):
            remaining -= 1
    return day


def _weekdays_between(start: date, end: date) -> int:
    """Monday–Friday dates d with start < d <= end (end > start)."""
    total = (end - start).days
    full_weeks, rest = divmod(total, 7)
    count = full_weeks * 5
    weekday = start.weekday()
    for offset in range(1, rest + 1):
        if (weekday + offset) % 7 < 5:
            count += 1
    return count


def working_days_between(start: date, end: date) -> int:
    """Number of working days d with ``start < d <= end``; 0 when ``end <= start``.

    So ``working_days_between(s, add_working_days(s, n)) == n`` for n >= 0. Counted
    arithmetically: the cost does not grow with the length of the interval.
    """
    start, end = _as_date(start), _as_date(end)
    if end <= start:
        return 0
    calendar = _calendar()
    count = _weekdays_between(start, end)
    low = bisect.bisect_right(calendar.dates, start)
    high = bisect.bisect_right(calendar.dates, end)
    for day in calendar.dates[low:high]:
        normally_working = day.weekday() < 5
        if calendar.days[day] != normally_working:
            count += 1 if calendar.days[day] else -1
    return count


# --------------------------------------------------------------------------------------------
# Seeding


def china_calendar_exceptions(years: Iterable[int]) -> list[tuple[date, bool, str]]:
    """Exceptions to the Monday–Friday week in mainland China, from the ``holidays`` package.

    Returns sorted ``(date, is_working_day, name)``: public holidays (and days off moved next
    to them) that fall on a weekday, and make-up working days (调休) that fall on a weekend.
    Holidays on a weekend are no exception and are left out. Names are in Chinese.

    ``holidays.China`` lists days off as holidays and keeps the make-up working days in its
    ``weekend_workdays`` attribute. It knows the official arrangements published so far (through
    2026 in version 0.109); later years are computed from the statutory rules with weekend
    holidays moved to the next working day, and have no make-up working days: check them against
    the State Council's notice when it is published.
    """
    import holidays

    wanted = sorted({int(year) for year in years})
    if not wanted:
        return []
    # expand=False: looking up a day of another year must not populate (and change) the calendar.
    calendar = holidays.China(years=wanted, language="zh_CN", expand=False)
    wanted_set = set(wanted)
    exceptions: dict[date, tuple[bool, str]] = {}
    for day, name in calendar.items():
        if day.year in wanted_set and day.weekday() < 5:
            exceptions[day] = (False, name[:100])
    for day in sorted(getattr(calendar, "weekend_workdays", ())):
        if day.year in wanted_set and day.weekday() >= 5 and day not in calendar:
            exceptions[day] = (True, _make_up_name(calendar, day)[:100])
    return [(day, working, name) for day, (working, name) in sorted(exceptions.items())]


def _make_up_name(calendar, workday: date) -> str:
    """Name a make-up working day after the holidays it pays for: ``调休上班（国庆节、中秋节）``.

    ``holidays`` labels the moved day off ``休息日（由 YYYY-MM-DD 调休）``; the festivals are those
    of the run of days off around that moved day.
    """
    stamp = workday.strftime("%Y-%m-%d")
    moved = sorted(day for day, name in calendar.items() if stamp in name)
    if not moved:
        return MAKE_UP_WORKING_DAY

    def off(day: date) -> bool:
        return not calendar.is_working_day(day)

    first = last = moved[0]
    while off(first - timedelta(days=1)):
        first -= timedelta(days=1)
    while off(last + timedelta(days=1)):
        last += timedelta(days=1)
    festivals: list[str] = []
    day = first
    while day <= last:
        name = calendar.get(day)
        if name and "调休" not in name:
            for part in name.split(";"):
                festival = part.split("（")[0].strip()
                if festival and festival not in festivals:
                    festivals.append(festival)
        day += timedelta(days=1)
    if "春节" in festivals and "农历除夕" in festivals:
        festivals.remove("农历除夕")  # New Year's Eve is part of the Spring Festival break
    if not festivals:
        return MAKE_UP_WORKING_DAY
    return f"{MAKE_UP_WORKING_DAY}（{'、'.join(festivals)}）"


def seed_calendar(years: Iterable[int] = DEFAULT_SEED_YEARS) -> int:
    """Add the official exceptions of ``years`` to ``CalendarDay``; return how many were created.

    Existing rows are never changed (an administrator's correction wins), so seeding again is
    harmless. Invalidates the calendar cache (``bulk_create`` sends no signals).
    """
    rows = china_calendar_exceptions(years)
    if not rows:
        return 0
    existing = set(
        CalendarDay.objects.filter(date__range=(rows[0][0], rows[-1][0])).values_list("date", flat=True)
    )
    new = [
        CalendarDay(date=day, is_working_day=working, name=name)
        for day, working, name in rows
        if day not in existing
    ]
    # ignore_conflicts: a row added concurrently since the read above is kept, not duplicated.
    CalendarDay.objects.bulk_create(new, ignore_conflicts=True)
    invalidate_calendar_cache()
    return len(new)
