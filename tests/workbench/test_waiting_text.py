"""The queue's "waiting" column is remembered per whole unit; it must read exactly like timesince."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import translation
from django.utils.timesince import timesince

from govflow.workbench.sla import waiting_text

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
DELTAS = [timedelta(seconds=s) for s in (0, 30, 59, 60, 61, 119, 3599, 3600, 3601, 7199, 86399, 86400, 86401,
                                          6 * 86400 + 86399, 7 * 86400, 13 * 86400 + 5, 14 * 86400,
                                          27 * 86400 + 86399, 28 * 86400, 45 * 86400, 400 * 86400)]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_waiting_text_reads_like_timesince(language):
    with translation.override(language):
        for delta in DELTAS:
            for jitter in (timedelta(0), timedelta(seconds=1)):
                since = NOW - delta - jitter
                assert waiting_text(since, NOW) == timesince(since, now=NOW, depth=1), delta


def test_languages_do_not_share_remembered_texts():
    since = NOW - timedelta(hours=3)
    with translation.override("en"):
        english = waiting_text(since, NOW)
    with translation.override("zh-hans"):
        chinese = waiting_text(since, NOW)
    assert english != chinese and "3" in english and "3" in chinese
    assert waiting_text(None, NOW) == ""
