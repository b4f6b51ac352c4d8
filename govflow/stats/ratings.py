"""好差评 for supervisors and the public (GB/T 39734): ratings per office, procedure and clerk, every
bad rating with its follow-up, and a one thing's public summary.

A rating (``Evaluation``, 1–5) is of a whole application; it counts for every case of it: the
office and procedure of each case, and the clerk who decided it. A bad rating is one that needs a
follow-up (a score of 1 or 2, set when it is given). Counting happens in the database (one grouped
query per table); the bad ratings are listed a page at a time.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum

from govflow.applications.models import Application, Case, ContactChannel, Evaluation
from govflow.catalog.calendar import local_date, working_days_between
from govflow.catalog.models import Office, OneThing, Procedure, localized

from .heatmap import Scope
from .models import RatingDay
from .rollups import Freshness, in_office_sets, live_since, rolled_days
from .selectors import _local_midnight

__all__ = ["BY", "LEVELS", "RatingRow", "bad_ratings", "public_ratings", "ratings_by"]

LEVELS = (1, 2, 3, 4, 5)
BY = {"office": "office_id", "procedure": "procedure_id", "clerk": "decided_by_id"}


@dataclass
class RatingRow:
    key: Any
    label: str
    counts: dict[int, int]
    ratings: int
    average: float | None
    bad: int
    answered: int
    contacted: int = 0

    @property
    def answered_share(self) -> float | None:
        return round(self.answered / self.bad, 4) if self.bad else None

    @property
    def contacted_share(self) -> float | None:
        """Of the bad ratings, the share whose follow-up reached the citizen."""
        return round(self.contacted / self.bad, 4) if self.bad else None


def _rated_between(date_from: date, date_to: date, prefix: str) -> Q:
    return Q(**{f"{prefix}created_at__gte": _local_midnight(date_from),
                f"{prefix}created_at__lt": _local_midnight(date_to + timedelta(days=1))})


def _rating_aggregates(prefix: str) -> dict[str, Any]:
    """Counts of distinct ratings (several cases of one office share their application's rating)."""
    rating, score, answered_at = f"{prefix}pk", f"{prefix}score", f"{prefix}followed_up_at"
    bad = Q(**{f"{prefix}needs_follow_up": True})

    def count(condition: Q) -> Count:
        return Count(rating, filter=condition, distinct=True)

    return {
        **{f"s{level}": count(Q(**{score: level})) for level in LEVELS},
        "ratings": Count(rating, distinct=True),
        "bad": count(bad), "answered": count(bad & Q(**{f"{answered_at}__isnull": False})),
        "contacted": count(bad & Q(**{f"{prefix}citizen_contacted": True})),
    }


def _average(counts: dict[int, int]) -> float | None:
    total = sum(counts.values())
    return round(sum(level * n for level, n in counts.items()) / total, 2) if total else None


def _labels(by: str, keys: set) -> dict[Any, str]:
    keys.discard(None)
    if not keys:
        return {}
    if by == "office":
        return {o.pk: o.display_name for o in Office.objects.filter(pk__in=keys)}
    if by == "procedure":
        return {p.pk: localized(p.name) or p.code for p in Procedure.objects.filter(pk__in=keys)}
    return {u.pk: (getattr(u, "name", "") or u.username)
            for u in get_user_model().objects.filter(pk__in=keys)}


def ratings_by(scope: Scope, by: str, *, date_from: date, date_to: date,
               fresh: Freshness | None = None) -> list[RatingRow]:
    """Ratings given from ``date_from`` to ``date_to`` by office, procedure or clerk (``by``) of the
    cases in ``scope``, most rated first; two queries (counts: the daily rollup's days,
    ``govflow.stats.rollups``, and the later ones counted live, in one; names)."""
    column = BY[by]
    prefix = "application__evaluation__"
    aggregates = _rating_aggregates(prefix)
    live = (scope.filter(Case.objects.filter(_rated_between(date_from, date_to, prefix),
                                             live_since(f"{prefix}created_at", date_from, fresh)))
            .annotate(k=F(column)).values("k").annotate(**{f"n_{name}": value for name, value in aggregates.items()})
            .order_by())
    rolled = (in_office_sets(scope, rolled_days(RatingDay.objects.filter(by=by), date_from, date_to, fresh))
              .annotate(k=F("key")).values("k").annotate(**{f"n_{name}": Sum(name) for name in aggregates})
              .order_by())
    totals: dict[Any, dict[str, int]] = {}
    for row in rolled.union(live, all=True):
        line = totals.setdefault(row["k"], dict.fromkeys(aggregates, 0))
        for name in aggregates:
            line[name] += row[f"n_{name}"] or 0
    labels = _labels(by, set(totals))
    result = []
    for key, row in totals.items():
        counts = {level: row[f"s{level}"] for level in LEVELS}
        result.append(RatingRow(key=key, label=labels.get(key, "–"), counts=counts,
                                ratings=row["ratings"], average=_average(counts), bad=row["bad"],
                                answered=row["answered"], contacted=row["contacted"]))
    return sorted(result, key=lambda r: (-r.ratings, r.label))


@dataclass(frozen=True)
class BadRating:
    number: str
    one_thing: str
    score: int
    comment: str
    rated_at: datetime
    follow_up_note: str
    answered_at: datetime | None
    answered_by: str
    contacted: bool | None = None
    contacted_at: datetime | None = None
    channel: str = ""

    @property
    def channel_label(self) -> str:
        return ContactChannel(self.channel).label if self.channel in ContactChannel.values else ""

    @property
    def working_days_to_answer(self) -> int | None:
        """Working days from the rating to its answer (0: answered the same working day)."""
        if self.answered_at is None:
            return None
        return working_days_between(local_date(self.rated_at), local_date(self.answered_at))


def bad_ratings_queryset(scope: Scope, *, date_from: date, date_to: date) -> QuerySet[Evaluation]:
    """Bad ratings given in the period on applications with a case in ``scope``, oldest first."""
    evaluations = Evaluation.objects.filter(_rated_between(date_from, date_to, ""), needs_follow_up=True)
    if scope.one_thing is not None:
        evaluations = evaluations.filter(application__one_thing_id=scope.one_thing.pk)
    if scope.office_ids is not None or scope.office is not None or scope.division is not None:
        evaluations = evaluations.filter(
            Exists(scope.filter(Case.objects.filter(application_id=OuterRef("application_id")))))
    return evaluations.order_by("created_at", "pk")


def bad_ratings(evaluations: Any) -> list[BadRating]:
    """Rows of a page of :func:`bad_ratings_queryset` (one query)."""
    rows = evaluations.values_list("application__number", "application__one_thing__name", "score", "comment",
                                   "created_at", "follow_up_note", "followed_up_at",
                                   "followed_up_by__username", "citizen_contacted", "contacted_at", "contact_channel")
    return [BadRating(number=n or "", one_thing=localized(name), score=score, comment=comment, rated_at=rated,
                      follow_up_note=note, answered_at=answered, answered_by=by or "", contacted=contacted,
                      contacted_at=contacted_at, channel=channel)
            for n, name, score, comment, rated, note, answered, by, contacted, contacted_at, channel in rows]


@dataclass(frozen=True)
class PublicRatings:
    counts: dict[int, int]
    ratings: int
    bad: int
    answered: int

    @property
    def answered_share(self) -> float | None:
        return round(self.answered / self.bad, 4) if self.bad else None

    @property
    def answered_percent(self) -> int | None:
        share = self.answered_share
        return None if share is None else round(share * 100)


def public_ratings(one_thing: OneThing) -> PublicRatings:
    """A one thing's ratings for everyone: counts per level and the share of bad ones answered;
    no names, comments or numbers (one query)."""
    totals = Application.objects.filter(one_thing=one_thing, evaluation__isnull=False).aggregate(
        **_rating_aggregates("evaluation__"))
    return PublicRatings(counts={level: totals[f"s{level}"] for level in LEVELS}, ratings=totals["ratings"],
                         bad=totals["bad"], answered=totals["answered"])
