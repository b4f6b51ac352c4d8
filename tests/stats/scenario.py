"""A small, dated story for statistics, driven through the services with a frozen clock.

March 2026 has no public holiday or make-up working day, so working days are Monday–Friday.
Times are Asia/Shanghai. The figures each test expects are worked out in the docstrings.

- D (carol, start a business, 2026-02-27 Fri): never touched; its licence case is due 03-02.
  Outside the March range.
- A (alice, start a business with employees, 03-02 Mon 10:00): five cases.
  amr-licence approved 03-03 (queued 03-02, due 03-03): 1 working day, on time.
  The other four are queued 03-03 10:00 (due 03-04; hpf, committed 2 days, 03-05).
  hrss rejected 03-04: 1 working day, on time.
  tax: correction requested 03-04, the citizen answers 03-05 (1 working day paused, due moves to
  03-05), approved 03-06: 3 working days − 1 paused = 2, late (03-06 > 03-05).
  psb claimed 03-06 (in review, due 03-04: overdue). hpf still queued (due 03-05: overdue).
- B (alice, start a business without employees, 03-02 11:00): amr approved the same day
  (0 working days), psb and tax approved 03-03 (1 each), all on time; completed; rated 4.
- C (carol, newborn, 03-04 10:00): the birth certificate case is queued, due 03-05: overdue.

Seen on 2026-03-09 (Mon) for the range 2026-03-01 … 2026-03-09 (A, B and C):
decided 6, on time 5 → 0.8333; working days 1+1+2+0+1+1 = 6 → 1.0 on average.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine

from govflow.applications.services import citizen_actions, deciding

from ..stories import BUSINESS_ANSWERS, OUTPUTS, approve, case_of, submitted

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = datetime(2026, 3, 9, 10, 0, tzinfo=SHANGHAI)


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def build(*, alice, carol, clerks) -> dict:
    """Play the story; returns the applications by letter. The clock is left at ``TODAY``'s caller."""
    with time_machine.travel(at(2, 27), tick=False) as clock:
        d = submitted(carol, "business-startup")

        clock.move_to(at(3, 2, 10))
        a = submitted(alice, "business-startup")
        clock.move_to(at(3, 2, 11))
        b = submitted(alice, "business-startup", answers={**BUSINESS_ANSWERS, "has_employees": False})
        clock.move_to(at(3, 2, 15))
        approve(b, "amr-licence", clerks["amr"])

        clock.move_to(at(3, 3, 10))
        approve(a, "amr-licence", clerks["amr"])
        clock.move_to(at(3, 3, 11))
        approve(b, "psb-seal-filing", clerks["psb"])
        approve(b, "tax-registration", clerks["tax"])
        clock.move_to(at(3, 3, 16))
        citizen_actions.evaluation_create(application=b, user=alice, score=4, comment="快")

        clock.move_to(at(3, 4, 10))
        c = submitted(carol, "newborn")
        clock.move_to(at(3, 4, 11))
        hrss = case_of(a, "hrss-employer-insurance")
        deciding.task_claim(case=hrss, user=clerks["hrss"])
        deciding.task_complete(case=hrss, user=clerks["hrss"], decision="reject",
                               comment="《社会保险法》第五十七条：材料不齐")
        clock.move_to(at(3, 4, 12))
        tax = case_of(a, "tax-registration")
        deciding.task_claim(case=tax, user=clerks["tax"])
        deciding.task_complete(case=tax, user=clerks["tax"], decision="request_correction",
                               corrections={"fields": ["finance_contact_phone"], "materials": [],
                                            "message": "请核对财务联系人电话"})

        clock.move_to(at(3, 5, 10))
        citizen_actions.application_resubmit(application=a, user=alice)

        clock.move_to(at(3, 6, 10))
        deciding.task_complete(case=case_of(a, "tax-registration"), user=clerks["tax"], decision="approve",
                               outputs=OUTPUTS["tax-registration"], comment="ok")
        clock.move_to(at(3, 6, 11))
        deciding.task_claim(case=case_of(a, "psb-seal-filing"), user=clerks["psb"])
    for app in (a, b, c, d):
        app.refresh_from_db()
    return {"A": a, "B": b, "C": c, "D": d}


#: by_department for staff over 2026-03-01 … 2026-03-09, seen on TODAY (every department, by code).
STAFF_BY_DEPARTMENT = {
    "amr": dict(queued=0, in_review=0, overdue=0, approved=2, rejected=0, sla_met_ratio=1.0, avg_working_days=0.5),
    # The Government Service Centre takes applications at its counter and handles no procedure.
    "gsc": dict(queued=0, in_review=0, overdue=0, approved=0, rejected=0, sla_met_ratio=None, avg_working_days=None),
    "health": dict(queued=1, in_review=0, overdue=1, approved=0, rejected=0, sla_met_ratio=None,
                   avg_working_days=None),
    "hpf": dict(queued=1, in_review=0, overdue=1, approved=0, rejected=0, sla_met_ratio=None, avg_working_days=None),
    "hrss": dict(queued=0, in_review=0, overdue=0, approved=0, rejected=1, sla_met_ratio=1.0, avg_working_days=1.0),
    "mi": dict(queued=0, in_review=0, overdue=0, approved=0, rejected=0, sla_met_ratio=None, avg_working_days=None),
    "psb": dict(queued=0, in_review=1, overdue=1, approved=1, rejected=0, sla_met_ratio=1.0, avg_working_days=1.0),
    "tax": dict(queued=0, in_review=0, overdue=0, approved=2, rejected=0, sla_met_ratio=0.5, avg_working_days=1.5),
}
