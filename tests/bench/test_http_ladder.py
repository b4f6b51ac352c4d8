"""The HTTP part's probe ladder: when it calls the server saturated (pure functions, no servers)."""
from govflow.bench.http import LADDER, _saturated, _stop_reason


def probe(users: int, rps: float, errors: int = 0) -> dict:
    return {"users": users, "requests_per_s": rps, "errors": errors}


def test_one_probe_is_never_saturated():
    assert not _saturated([probe(10, 12.0)])


def test_doubling_users_needs_half_again_the_throughput():
    assert not _saturated([probe(20, 25.0), probe(40, 37.6)])  # 1.504x
    assert _saturated([probe(20, 25.0), probe(40, 37.4)])  # 1.496x


def test_small_steps_are_judged_by_their_own_growth():
    # 80 -> 100 users (1.25x): a server with room gives 1.25x the requests/s; half of that growth is 1.125x.
    assert not _saturated([probe(80, 80.0), probe(100, 95.0)])
    assert _saturated([probe(80, 80.0), probe(100, 88.0)])
    # The old rule (1.25x whatever the step) would have called a perfectly scaling small step saturated.
    assert not _saturated([probe(100, 100.0), probe(120, 119.0)])


def test_the_ladder_climbs_in_order_and_says_why_it_stopped():
    assert list(LADDER) == sorted(LADDER) and len(set(LADDER)) == len(LADDER)
    assert _stop_reason([probe(10, 12.0), probe(20, 20.0, errors=3)], list(LADDER), saturated=False) \
        == "errors at 20 users"
    assert _stop_reason([probe(10, 12.0), probe(20, 13.0)], list(LADDER), saturated=True).startswith(
        "throughput saturated at 20 users")
    assert _stop_reason([probe(LADDER[-1], 100.0)], list(LADDER), saturated=False) \
        == f"top of the ladder ({LADDER[-1]} users) without errors"
