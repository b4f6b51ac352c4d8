"""Locust load for ``manage.py bench --parts http`` (started by ``govflow/bench/http/``).

Not a Django module: locust imports it in its own process. Everything it needs (tokens,
application ids, drafts, outputs, think time) comes from the JSON file named by
``GOVFLOW_BENCH_LOCUST_DATA``, written by ``http.py`` from the benchmark database just before
each run. Outcomes that are not requests (claim conflicts, empty queues, drafts run out, locust's
own CPU warning) go to the JSON file named by ``GOVFLOW_BENCH_LOCUST_OUT`` when the run stops.

The mix, by locust user weights: 70 % citizens reading their application page, 20 % citizens
submitting a draft, 10 % clerks taking a task from their queue, claiming, reading and approving it.
Every request goes over the REST API with a token, as a phone app or a back-office client would,
and says ``X-Forwarded-Proto: https`` as the TLS-terminating proxy in front of gunicorn does.
"""
from __future__ import annotations

import itertools
import json
import os
import random
import uuid
from collections import Counter

from locust import HttpUser, between, events, task

PAGE = "GET /api/v1/applications/{id}/"
SUBMIT = "POST /api/v1/applications/{id}/submit/"
QUEUE = "GET /api/v1/tasks/?queue=department"
CLAIM = "POST /api/v1/tasks/{id}/claim/"
TASK = "GET /api/v1/tasks/{id}/"
COMPLETE = "POST /api/v1/tasks/{id}/complete/"

try:
    with open(os.environ["GOVFLOW_BENCH_LOCUST_DATA"], encoding="utf-8") as _file:
        DATA = json.load(_file)
except KeyError:
    raise SystemExit("This locustfile is run by `python manage.py bench --parts http`, "
                     "which sets GOVFLOW_BENCH_LOCUST_DATA.") from None

THINK = between(*DATA["think_s"])
QUEUE_PAGE = int(DATA.get("queue_page_size", 20))
OUTCOMES: Counter[str] = Counter()
_next = {kind: itertools.count() for kind in ("readers", "submitters", "clerks")}


def _account(kind: str) -> tuple[int, dict]:
    """Each simulated user takes the next account of its kind (accounts are sized so none is shared)."""
    index = next(_next[kind])
    accounts = DATA[kind]
    return index, accounts[index % len(accounts)]


class ApiUser(HttpUser):
    abstract = True
    wait_time = THINK

    def take_account(self, kind: str) -> dict:
        _, account = _account(kind)
        self.client.headers.update({
            "Authorization": f"Token {account['token']}",
            "X-Forwarded-Proto": "https",
            "Accept": "application/json",
        })
        return account


class CitizenReading(ApiUser):
    """A citizen looking at the status page of their submitted application."""

    weight = 7

    def on_start(self) -> None:
        self.applications = self.take_account("readers")["applications"]

    @task
    def read(self) -> None:
        self.client.get(f"/api/v1/applications/{random.choice(self.applications)}/", name=PAGE)


class CitizenSubmitting(ApiUser):
    """A citizen submitting a complete draft (answers and materials already in place)."""

    weight = 2

    def on_start(self) -> None:
        self.drafts = list(self.take_account("submitters")["drafts"])

    @task
    def submit(self) -> None:
        if not self.drafts:
            OUTCOMES["drafts_exhausted"] += 1
            return
        draft = self.drafts.pop(0)
        # A phone app sends a fresh Idempotency-Key with every submission (the contract's advice).
        self.client.post(f"/api/v1/applications/{draft}/submit/", name=SUBMIT,
                         headers={"Idempotency-Key": str(uuid.uuid4())})


class ClerkDeciding(ApiUser):
    """A clerk of the five business-startup departments: queue, claim, read, approve."""

    weight = 1

    def on_start(self) -> None:
        self.take_account("clerks")

    @task
    def decide(self) -> None:
        with self.client.get(f"/api/v1/tasks/?queue=department&page_size={QUEUE_PAGE}", name=QUEUE,
                             catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
                return
            tasks = response.json()["results"]
        if not tasks:
            OUTCOMES["empty_queue"] += 1
            return
        # A random task of the first page rather than the first one: fewer clerks race for one task.
        chosen = random.choice(tasks)
        task_id, procedure = chosen["id"], chosen["procedure"]["code"]
        with self.client.post(f"/api/v1/tasks/{task_id}/claim/", name=CLAIM, catch_response=True) as response:
            if response.status_code == 409:
                # Another clerk claimed it first: the contracted answer, not an error.
                response.success()
                OUTCOMES["claim_conflicts"] += 1
                return
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
                return
        self.client.get(f"/api/v1/tasks/{task_id}/", name=TASK)
        self.client.post(f"/api/v1/tasks/{task_id}/complete/", name=COMPLETE,
                         json={"decision": "approve", "outputs": DATA["outputs"][procedure],
                               "comment": "基准测试：审核通过"})
        OUTCOMES["decisions"] += 1


@events.cpu_warning.add_listener
def _cpu_warning(environment, cpu_usage, **kwargs) -> None:
    OUTCOMES["locust_cpu_warnings"] += 1


@events.spawning_complete.add_listener
def _reset_request_outcomes(user_count, **kwargs) -> None:
    """Counted from the moment locust resets its statistics (``--reset-stats``), like the requests;
    ``drafts_exhausted`` and CPU warnings stay counted over the whole run."""
    for key in ("claim_conflicts", "decisions", "empty_queue"):
        OUTCOMES.pop(key, None)


@events.test_stop.add_listener
def _write_outcomes(environment, **kwargs) -> None:
    path = os.environ.get("GOVFLOW_BENCH_LOCUST_OUT")
    if path:
        with open(path, "w", encoding="utf-8") as file:
            json.dump(dict(OUTCOMES), file)
