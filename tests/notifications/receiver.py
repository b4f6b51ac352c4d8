"""A department system for tests: a local HTTP server that records every webhook it receives.

``plan`` lists the status codes to answer, one per request (then 200); ``delay`` seconds are
slept before answering the first ``delay_first`` requests (after recording them: the request
has arrived, the answer has not). ``effects()`` is what a well-behaved receiver does with them:
one effect per ``event_id``, duplicates dropped.
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)

    @property
    def event_id(self) -> str:
        return self.json["event_id"]


@dataclass
class Receiver:
    plan: list[int] = field(default_factory=list)
    delay: float = 0.0
    delay_first: int = 0
    requests: list[Received] = field(default_factory=list)
    url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def effects(self) -> dict[str, Received]:
        """One entry per distinct event id: what the receiver acted on."""
        seen: dict[str, Received] = {}
        for request in list(self.requests):
            seen.setdefault(request.event_id, request)
        return seen

    def wait_for(self, count: int, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"the receiver got {len(self.requests)} request(s), not {count}")
            time.sleep(0.05)

    def _answer(self) -> tuple[int, float]:
        with self._lock:
            index = len(self.requests) - 1
            status = self.plan[index] if index < len(self.plan) else 200
            delay = self.delay if index < self.delay_first else 0.0
        return status, delay


def start_receiver(**options) -> tuple[Receiver, ThreadingHTTPServer]:
    receiver = Receiver(**options)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            with receiver._lock:
                receiver.requests.append(Received(headers=dict(self.headers.items()), body=body))
            status, delay = receiver._answer()
            if delay:
                time.sleep(delay)
            payload = b'{"ok": true}'
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:  # the sender died while we slept
                pass

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/govflow"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver, server
