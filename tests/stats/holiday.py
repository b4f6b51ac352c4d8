"""A dated story across China's National Day week of 2026, for the decisions' stored timing
and the supervision heatmap. Driven through the services with a frozen clock; times are
Asia/Shanghai.

The 2026 calendar (seeded from the ``holidays`` package): Sunday 09-20 is a make-up working day;
Thursday 10-01 to Wednesday 10-07 are days off (the weekdays 10-01, 10-02, 10-05, 10-06, 10-07 are
holidays); Saturday 10-10 is a make-up working day. Working days near the holiday: … Fri 09-18,
Sun 09-20, Mon 09-21 … Wed 09-30, Thu 10-08, Fri 10-09, Sat 10-10, Mon 10-12, Tue 10-13 …

Every application is "start a business without employees": its Market Regulation licence
(amr-licence, 1 working day) first, then the seal filing (psb) and the tax registration (tax),
1 working day each, queued when the licence is approved.

- P (09-20 Sun, the make-up working day, 10:00): amr queued 09-20, due Mon 09-21; approved
  09-21 → 1 working day, on time. psb and tax queued 09-21 (due 09-22), left alone.
- Q (09-30 Wed 10:00): amr due Thu 10-08 (the next working day after the holiday); approved
  Sat 10-10 (make-up day) → 3 working days (10-08, 10-09, 10-10), late. psb and tax queued
  10-10, due Mon 10-12: psb approved Mon 10-12 → 1, on time; tax approved Tue 10-13 → 2, late.
- R (10-08 Thu 10:00): amr due Fri 10-09; approved Fri 10-09 → 1, on time. psb and tax
  queued 10-09 (due 10-10); tax asks the citizen for a correction on 10-10, the citizen answers
  Mon 10-12 (1 working day paused: 10-12; due moves to 10-12), approved Tue 10-13 → 3 − 1 = 2
  working days, late (10-13 > 10-12).
- S (10-09 Fri 10:00): amr due Sat 10-10 (the make-up day), never decided: overdue on TODAY.

Seen on TODAY, Wed 2026-10-14, decided from 2026-09-14 to 2026-10-14:

by week (weeks start on Monday)    09-21         10-05              10-12
  amr-licence                      1 · 1 · 100%  Q 3, R 1: 2 · 2 · 50%   —
  psb-seal-filing                  —             —                  Q 1: 1 · 1 · 100%
  tax-registration                 —             —                  Q 2, R 2: 2 · 2 · 0%
(decided · median working days · on time). By month: amr September 1 · 1 · 100%, October
2 · 2 · 50%; psb October 1 · 1 · 100%; tax October 2 · 2 · 0%.

Open and overdue on TODAY: amr 1 (S, due 10-10); psb 2 (P due 09-22, R due 10-10; S's cases
wait for the licence: not queued, not counted); tax 1 (P due 09-22).
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine

from govflow.applications.services import citizen_actions, deciding
from govflow.catalog.calendar import invalidate_calendar_cache, seed_calendar
from govflow.workbench.services import evaluation_follow_up

from ..stories import BUSINESS_ANSWERS, OUTPUTS, approve, case_of, submitted

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = datetime(2026, 10, 14, 10, 0, tzinfo=SHANGHAI)
SOLO = {**BUSINESS_ANSWERS, "has_employees": False}


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=SHANGHAI)


def build(*, alice, clerks) -> dict:
    """Play the story (the calendar seeded first); returns the applications by letter."""
    seed_calendar()
    invalidate_calendar_cache()
    with time_machine.travel(at(9, 20), tick=False) as clock:
        p = submitted(alice, "business-startup", answers=SOLO)
        clock.move_to(at(9, 21))
        approve(p, "amr-licence", clerks["amr"])

        clock.move_to(at(9, 30))
        q = submitted(alice, "business-startup", answers=SOLO)

        clock.move_to(at(10, 8))
        r = submitted(alice, "business-startup", answers=SOLO)
        clock.move_to(at(10, 9))
        approve(r, "amr-licence", clerks["amr"])
        clock.move_to(at(10, 9, 11))
        s = submitted(alice, "business-startup", answers=SOLO)

        clock.move_to(at(10, 10))
        approve(q, "amr-licence", clerks["amr"])
        clock.move_to(at(10, 10, 11))
        tax = case_of(r, "tax-registration")
        deciding.task_claim(case=tax, user=clerks["tax"])
        deciding.task_complete(case=tax, user=clerks["tax"], decision="request_correction",
                               corrections={"fields": ["finance_contact_phone"], "materials": [],
                                            "message": "请核对财务联系人电话"})

        clock.move_to(at(10, 12))
        approve(q, "psb-seal-filing", clerks["psb"])
        citizen_actions.application_resubmit(application=r, user=alice)

        clock.move_to(at(10, 13))
        approve(q, "tax-registration", clerks["tax"])
        deciding.task_complete(case=case_of(r, "tax-registration"), user=clerks["tax"], decision="approve",
                               outputs=OUTPUTS["tax-registration"], comment="ok")
    for app in (p, q, r, s):
        app.refresh_from_db()
    return {"P": p, "Q": q, "R": r, "S": s}


def rated(*, alice, clerks, supervisor) -> dict:
    """:func:`build`, then T (10-12 Mon 10:00) decided in full on 10-12 and 10-13 and rated 5;
    Q (completed 10-13) rated 1 at 16:00, answered by ``supervisor`` on Wed 10-14 at 09:00
    (1 working day to answer). Completed in the period: Q and T, both "start a business"."""
    apps = build(alice=alice, clerks=clerks)
    with time_machine.travel(at(10, 12), tick=False) as clock:
        t = submitted(alice, "business-startup", answers=SOLO)
        approve(t, "amr-licence", clerks["amr"])
        clock.move_to(at(10, 13, 11))
        approve(t, "psb-seal-filing", clerks["psb"])
        approve(t, "tax-registration", clerks["tax"])
        citizen_actions.evaluation_create(application=t, user=alice, score=5, comment="很快")
        clock.move_to(at(10, 13, 16))
        bad = citizen_actions.evaluation_create(application=apps["Q"], user=alice, score=1, comment="节前提交，节后才办")
        clock.move_to(at(10, 14, 9))
        evaluation_follow_up(evaluation=bad, user=supervisor, note="已致电申请人说明假期安排")
    t.refresh_from_db()
    apps["Q"].refresh_from_db()
    return {**apps, "T": t}
