"""Checkers for tests (registered like any project's own)."""
from __future__ import annotations

import os
import time
from pathlib import Path

from govflow.applications.automatic import newborn_medical_insurance
from govflow.catalog.checkers import Approve, HandToClerk, Reject, checker


@checker
def always_reject(case, application):
    return Reject("不符合《社会保险法》第二十五条 / not eligible under Social Insurance Law art. 25")


@checker
def always_hand_over(case, application):
    return HandToClerk("needs a human look")


@checker
def bad_outputs(case, application):
    return Approve(outputs={"medical_insurance_no": "not valid!"})


@checker
def slow_newborn_medical_insurance(case, application):
    """The demo checker, but the first run sleeps (long enough for a test to kill the worker).

    ``GOVFLOW_TEST_MARKER`` names a file: its absence means "first run"; the run creates it.
    """
    marker = Path(os.environ.get("GOVFLOW_TEST_MARKER", "/nonexistent/marker"))
    if marker.parent.is_dir() and not marker.exists():
        marker.write_text("started")
        time.sleep(float(os.environ.get("GOVFLOW_TEST_SLEEP", "30")))
    return newborn_medical_insurance(case, application)
