"""The HTTP part's settings: the requests measured and their targets, the probe ladder, the
mix of simulated users, the servers."""
from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings

from .. import data

LOCUSTFILE = Path(__file__).parent.parent / "locustfile.py"
BASE_DIR = Path(settings.BASE_DIR)

PAGE = "GET /api/v1/applications/{id}/"
SUBMIT = "POST /api/v1/applications/{id}/submit/"
CLAIM = "POST /api/v1/tasks/{id}/claim/"
TARGETS_MS = {PAGE: 150.0, SUBMIT: 400.0}

LADDER = (10, 20, 40, 60, 80, 100, 120, 160)
PROBE_S = 15
WARMUP_S = 5
#: Users arrive over this many seconds, and the statistics start once all have arrived: started
#: together, every simulated user sends its first request in the same second, and that burst
#: (a queue of N requests in front of two workers) is 5 % of a 15 s probe, all of it in the p95.
RAMP_S = 5
THINK_S = (0.5, 1.5)
SATURATION = 0.5  # requests/s grew by less than half as much as the users did: saturated
MIX = {"readers": 0.7, "submitters": 0.2, "clerks": 0.1}  # the locust user weights 7:2:1
GUNICORN_WORKERS = 2
CLERK_DEPARTMENTS = tuple(dict.fromkeys(code.split("-")[0] for code in data.BUSINESS_OUTPUTS))
REDIS_URL = os.environ.get("GOVFLOW_BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
