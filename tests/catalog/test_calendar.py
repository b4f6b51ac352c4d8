"""The working-day calendar: China's holidays and make-up working days, cached in memory."""
from __future__ import annotations

import importlib
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.cache import cache
from django.db import connection

from govflow.catalog import calendar
from govflow.catalog.calendar import (
    add_working_days,
    china_calendar_exceptions,
    invalidate_calendar_cache,
    is_working_day,
    local_date,
    seed_calendar,
    working_days_between,
)
from govflow.catalog.models import CalendarDay

pytestmark = pytest.mark.django_db

D = date


@pytest.fixture(autouse=True)
def fresh_calendar():
    """Seeded 2025–2027 (idempotent), and no in-memory copy leaking in or out of a test."""
    seed_calendar()
    invalidate_calendar_cache()
    yield
    invalidate_calendar_cache()


# --------------------------------------------------------------------------- the 2026 calendar

@pytest.mark.parametrize("day", [
    D(2026, 1, 1), D(2026, 1, 2),                                   # New Year's Day
    D(2026, 2, 16), D(2026, 2, 17), D(2026, 2, 18), D(2026, 2, 19),  # Spring Festival (Mon–Fri)
    D(2026, 2, 20), D(2026, 2, 23),
    D(2026, 4, 6),                                                  # Tomb-Sweeping Day
    D(2026, 5, 1), D(2026, 5, 4), D(2026, 5, 5),                      # Labour Day
    D(2026, 6, 19), D(2026, 9, 25),                                 # Dragon Boat, Mid-Autumn
    D(2026, 10, 1), D(2026, 10, 2), D(2026, 10, 5), D(2026, 10, 6), D(2026, 10, 7),  # National Day
    D(2026, 10, 3), D(2026, 10, 4),                                 # a holiday weekend
    D(2026, 11, 28), D(2026, 11, 29),                               # an ordinary weekend
])
def test_holidays_and_weekends_are_not_working_days(day):
    assert is_working_day(day) is False


@pytest.mark.parametrize("day", [
    D(2026, 1, 4),    # Sunday, make-up for New Year's Day
    D(2026, 2, 14),   # Saturday, make-up for the Spring Festival
    D(2026, 2, 28),   # Saturday, make-up for the Spring Festival
    D(2026, 5, 9),    # Saturday, make-up for Labour Day
    D(2026, 9, 20),   # Sunday, make-up for National Day
    D(2026, 10, 10),  # Saturday, make-up for National Day
    D(2026, 10, 8), D(2026, 11, 30), D(2026, 2, 24),  # ordinary weekdays after breaks
])
def test_make_up_days_and_ordinary_weekdays_are_working_days(day):
    assert is_working_day(day) is True


def test_the_exceptions_come_from_the_holidays_package_with_chinese_names():
    rows = {day: (working, name) for day, working, name in china_calendar_exceptions([2026])}
    assert rows[D(2026, 10, 1)] == (False, "国庆节")
    assert rows[D(2026, 2, 17)] == (False, "春节")
    assert rows[D(2026, 2, 14)] == (True, "调休上班（春节）")
    assert rows[D(2026, 10, 10)] == (True, "调休上班（国庆节）")
    assert D(2026, 10, 3) not in rows  # a Saturday holiday is no exception to the week
    assert all(day.year == 2026 for day in rows)
    assert {day for day, (working, _) in rows.items() if working} == {
        D(2026, 1, 4), D(2026, 2, 14), D(2026, 2, 28), D(2026, 5, 9), D(2026, 9, 20), D(2026, 10, 10)}
    assert all((day.weekday() >= 5) == working for day, (working, _) in rows.items())
    assert china_calendar_exceptions([]) == []


def test_datetimes_count_in_shanghai_time():
    evening_utc = datetime(2026, 9, 30, 16, 30, tzinfo=UTC)  # 00:30 on 1 October in Shanghai
    assert local_date(evening_utc) == D(2026, 10, 1)
    assert local_date(datetime(2026, 9, 30, 15, 59, tzinfo=UTC)) == D(2026, 9, 30)
    assert local_date(datetime(2026, 9, 30, 23, 59)) == D(2026, 9, 30)  # naive: already local
    assert is_working_day(evening_utc) is False


# --------------------------------------------------------------------------- arithmetic

@pytest.mark.parametrize(("start", "n", "expected"), [
    (D(2026, 11, 25), 0, D(2026, 11, 25)),
    (D(2026, 11, 28), 0, D(2026, 11, 28)),  # n=0 is the start itself, working or not
    (D(2026, 11, 25), 1, D(2026, 11, 26)),
    (D(2026, 11, 27), 1, D(2026, 11, 30)),  # Friday + 1 → Monday
    (D(2026, 11, 28), 1, D(2026, 11, 30)),  # from a Saturday
    (D(2026, 11, 26), 3, D(2026, 12, 1)),
    (D(2026, 9, 30), 1, D(2026, 10, 8)),    # across the National Day break
    (D(2026, 9, 30), 3, D(2026, 10, 10)),   # … onto the make-up Saturday
    (D(2026, 9, 30), 4, D(2026, 10, 12)),
    (D(2026, 9, 18), 1, D(2026, 9, 20)),    # Friday + 1 → the make-up Sunday
    (D(2026, 2, 13), 1, D(2026, 2, 14)),    # Friday + 1 → the make-up Saturday
    (D(2026, 2, 13), 2, D(2026, 2, 24)),    # … then across the Spring Festival
    (D(2026, 11, 30), -1, D(2026, 11, 27)),  # backwards
    (D(2026, 10, 8), -1, D(2026, 9, 30)),
])
def test_add_working_days(start, n, expected):
    assert add_working_days(start, n) == expected


@pytest.mark.parametrize(("start", "end", "expected"), [
    (D(2026, 11, 27), D(2026, 11, 30), 1),
    (D(2026, 11, 27), D(2026, 11, 27), 0),
    (D(2026, 11, 30), D(2026, 11, 27), 0),
    (D(2026, 9, 30), D(2026, 10, 10), 3),
    (D(2026, 9, 30), D(2026, 10, 7), 0),
    (D(2026, 9, 19), D(2026, 9, 20), 1),
    (D(2026, 2, 13), D(2026, 2, 28), 6),  # Sat 14, Tue 24 – Fri 27, Sat 28
    # 2026: 261 weekdays − 19 weekday holidays + 6 make-up days
    (D(2025, 12, 31), D(2026, 12, 31), 248),
])
def test_working_days_between(start, end, expected):
    assert working_days_between(start, end) == expected


def test_counting_and_adding_agree_with_a_day_by_day_count():
    start = D(2024, 12, 1)
    for offset in range(0, 3 * 366, 5):
        s = start + timedelta(days=offset)
        for n in (0, 1, 2, 5, 13, 60):
            end = add_working_days(s, n)
            assert working_days_between(s, end) == n
            assert n == 0 or is_working_day(end)
        e = s + timedelta(days=47)
        brute = sum(is_working_day(s + timedelta(days=k)) for k in range(1, 48))
        assert working_days_between(s, e) == brute


# --------------------------------------------------------------------------- cache

def test_add_working_days_costs_one_query_then_none(django_assert_num_queries):
    invalidate_calendar_cache()
    with django_assert_num_queries(1):
        assert add_working_days(D(2026, 9, 1), 60) == D(2026, 11, 30)
        working_days_between(D(2025, 1, 1), D(2027, 12, 31))
    with django_assert_num_queries(0):
        assert add_working_days(D(2026, 9, 1), 60) == D(2026, 11, 30)
        assert is_working_day(D(2026, 10, 1)) is False
        working_days_between(D(2025, 1, 1), D(2027, 12, 31))


def test_editing_a_calendar_day_takes_effect_at_once():
    assert add_working_days(D(2026, 9, 30), 1) == D(2026, 10, 8)  # cached now
    extra = CalendarDay.objects.create(date=D(2026, 10, 8), is_working_day=False, name="临时休息")
    assert add_working_days(D(2026, 9, 30), 1) == D(2026, 10, 9)
    make_up = CalendarDay.objects.get(date=D(2026, 10, 10))
    make_up.is_working_day = False
    make_up.save()
    assert is_working_day(D(2026, 10, 10)) is False
    assert working_days_between(D(2026, 9, 30), D(2026, 10, 12)) == 2
    extra.delete()
    make_up.delete()
    assert add_working_days(D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert is_working_day(D(2026, 10, 10)) is False  # without its row, just a Saturday


def test_another_process_invalidating_makes_this_one_reload(django_assert_num_queries, monkeypatch):
    monkeypatch.setattr(calendar, "VERSION_CHECK_SECONDS", 0)
    is_working_day(D(2026, 10, 1))
    # Another process saved a CalendarDay: its signal bumped the shared version.
    cache.set(calendar.CACHE_VERSION_KEY, "bumped-elsewhere", timeout=None)
    with django_assert_num_queries(1):
        is_working_day(D(2026, 10, 1))
    with django_assert_num_queries(0):
        is_working_day(D(2026, 10, 1))
    cache.delete(calendar.CACHE_VERSION_KEY)  # even a flushed cache just means one reload
    with django_assert_num_queries(1):
        is_working_day(D(2026, 10, 1))


def test_the_shared_version_is_checked_at_most_once_a_second(django_assert_num_queries, monkeypatch):
    monkeypatch.setattr(calendar, "VERSION_CHECK_SECONDS", 3600)
    is_working_day(D(2026, 10, 1))
    cache.set(calendar.CACHE_VERSION_KEY, "bumped-elsewhere", timeout=None)
    with django_assert_num_queries(0):
        is_working_day(D(2026, 10, 1))  # still trusting its copy
    monkeypatch.setattr(calendar, "VERSION_CHECK_SECONDS", 0)
    with django_assert_num_queries(1):
        is_working_day(D(2026, 10, 1))


def test_a_change_in_a_transaction_invalidates_again_on_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        CalendarDay.objects.create(date=D(2026, 12, 1), is_working_day=False, name="x")
    assert callbacks
    assert is_working_day(D(2026, 12, 1)) is False  # loads and caches (as another thread might)
    before = cache.get(calendar.CACHE_VERSION_KEY)
    for callback in callbacks:
        callback()
    assert cache.get(calendar.CACHE_VERSION_KEY) != before
    assert calendar._loaded is None


# --------------------------------------------------------------------------- seeding

def test_seeding_adds_missing_days_and_keeps_what_an_administrator_changed():
    CalendarDay.objects.filter(date__year=2026).delete()
    CalendarDay.objects.create(date=D(2026, 10, 10), is_working_day=False, name="管理员改为休息")
    expected = len(china_calendar_exceptions([2026]))
    assert seed_calendar([2026]) == expected - 1
    assert seed_calendar([2026]) == 0
    assert CalendarDay.objects.filter(date__year=2026).count() == expected
    kept = CalendarDay.objects.get(date=D(2026, 10, 10))
    assert (kept.is_working_day, kept.name) == (False, "管理员改为休息")
    assert is_working_day(D(2026, 10, 10)) is False  # bulk_create sends no signal: seeding invalidates
    assert is_working_day(D(2026, 2, 14)) is True


def test_the_data_migration_seeds_2025_to_2027():
    CalendarDay.objects.all().delete()
    migration = importlib.import_module("govflow.catalog.migrations.0002_seed_calendar")
    migration.seed(apps, SimpleNamespace(connection=connection))
    migration.seed(apps, SimpleNamespace(connection=connection))  # again: nothing duplicated
    rows = china_calendar_exceptions([2025, 2026, 2027])
    assert CalendarDay.objects.count() == len(rows)
    assert set(CalendarDay.objects.values_list("date", "is_working_day", "name")) == set(rows)
    assert {d.year for d in CalendarDay.objects.values_list("date", flat=True)} == {2025, 2026, 2027}
