"""The remedies a refusal names: administrative reconsideration (行政复议) and administrative
litigation (行政诉讼), where and by when, per procedure of the catalog (``remedy``, docs/catalog.md).

Both limits run from the date of the decision: reconsideration within ``days`` days (the law's
default: 60), litigation within ``months`` months (default: 6). Pure functions of a version's
:class:`~govflow.catalog.definition.Definition` and a date, so the portal, the API and the
notifications say the same.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from .definition import Definition

__all__ = ["Remedies", "add_months", "remedies_for"]


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the last day of that month when it is shorter."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Remedies:
    decided_on: date
    reconsideration_body: dict  # labels; {} when the catalog names no body
    reconsideration_days: int
    reconsideration_until: date
    litigation_court: dict  # labels; {} when the catalog names no court
    litigation_months: int
    litigation_until: date


def remedies_for(definition: Definition, procedure: str, decided_on: date) -> Remedies:
    remedy = definition.remedy(procedure)
    days = remedy["reconsideration"]["days"]
    months = remedy["litigation"]["months"]
    return Remedies(decided_on=decided_on,
                    reconsideration_body=remedy["reconsideration"]["body"], reconsideration_days=days,
                    reconsideration_until=decided_on + timedelta(days=days),
                    litigation_court=remedy["litigation"]["court"], litigation_months=months,
                    litigation_until=add_months(decided_on, months))
