"""Token buckets and the send pacer: Telegram's budgets, kept on a clock the test moves."""

from __future__ import annotations

import pytest

from jobs.pacing import Limits, SendPacer, TokenBucket

USER, OTHER, GROUP = 101, 102, -1001


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock() -> Clock:
    return Clock()


def sends_until(pacer: SendPacer, clock: Clock, chat_id: int, count: int) -> list[float]:
    """Send `count` messages to a chat as fast as the pacer allows; the times they went."""
    times = []
    for _ in range(count):
        clock.t = max(clock.t, pacer.ready_at(chat_id))
        pacer.take(chat_id)
        times.append(round(clock.t - 1000.0, 6))
    return times


def test_a_bucket_gives_its_burst_at_once_then_its_rate() -> None:
    bucket = TokenBucket(rate=2.0, burst=3, now=0.0)
    taken = []
    now = 0.0
    for _ in range(6):
        now = max(now, bucket.ready_at(now))
        bucket.take(now)
        taken.append(now)
    assert taken == [0.0, 0.0, 0.0, 0.5, 1.0, 1.5]


def test_a_paused_bucket_waits_then_lets_one_through() -> None:
    bucket = TokenBucket(rate=1.0, burst=5, now=0.0)
    bucket.pause(10.0)
    assert bucket.ready_at(3.0) == 10.0
    bucket.take(10.0)
    assert bucket.ready_at(10.0) == 11.0, "after a 429, no burst: the steady rate"


def test_a_private_chat_gets_a_small_burst_then_one_a_second(
    clock: Clock,
) -> None:
    pacer = SendPacer(Limits(private_per_second=1.0, private_burst=2), clock=clock)
    assert sends_until(pacer, clock, USER, 5) == [0.0, 0.0, 1.0, 2.0, 3.0]


def test_a_group_gets_twenty_a_minute(clock: Clock) -> None:
    pacer = SendPacer(Limits(group_per_minute=20.0, group_burst=10), clock=clock)
    times = sends_until(pacer, clock, GROUP, 30)
    assert times[:10] == [0.0] * 10
    assert times[10:13] == [3.0, 6.0, 9.0]
    # In any minute, never more than the burst plus twenty.
    assert max(sum(1 for t in times if start <= t < start + 60) for start in times) <= 30


def test_the_global_budget_spreads_many_chats_over_time(clock: Clock) -> None:
    pacer = SendPacer(Limits(global_per_second=30.0, global_burst=20), clock=clock)
    times = [sends_until(pacer, clock, 10_000 + n, 1)[0] for n in range(80)]
    assert times[:20] == [0.0] * 20
    assert times[-1] == pytest.approx(60 / 30)
    for start in times:  # no second ever holds more than burst + rate
        assert sum(1 for t in times if start <= t < start + 1.0) <= 50


def test_a_chat_over_its_budget_is_busy_and_the_others_are_not(clock: Clock) -> None:
    pacer = SendPacer(Limits(private_per_second=1.0, private_burst=1), clock=clock)
    pacer.take(USER)
    busy = pacer.busy_chats()
    assert busy == {USER: 1001.0}
    assert pacer.ready_at(OTHER) == clock.t
    clock.t += 1.0
    assert pacer.busy_chats() == {}


def test_idle_chats_are_forgotten(clock: Clock) -> None:
    pacer = SendPacer(Limits(private_per_second=1.0, private_burst=2), clock=clock)
    pacer.take(USER)
    clock.t += 5
    pacer.busy_chats()
    assert USER not in pacer._chats


def test_a_429_pauses_its_chat_only(clock: Clock) -> None:
    pacer = SendPacer(Limits(), clock=clock)
    pacer.flood(USER, 7)
    assert pacer.ready_at(USER) == clock.t + 7
    assert pacer.ready_at(OTHER) == clock.t
    assert pacer.global_pauses == 0


def test_429s_on_two_chats_pause_everything(clock: Clock) -> None:
    pacer = SendPacer(Limits(flood_window=60), clock=clock)
    pacer.flood(USER, 3)
    clock.t += 1
    pacer.flood(OTHER, 5)
    assert pacer.global_pauses == 1
    assert pacer.ready_at(GROUP) == clock.t + 5, "a third chat waits too"


def test_429s_far_apart_do_not_pause_everything(clock: Clock) -> None:
    pacer = SendPacer(Limits(flood_window=60), clock=clock)
    pacer.flood(USER, 3)
    clock.t += 120
    pacer.flood(OTHER, 5)
    assert pacer.global_pauses == 0


def test_limits_from_settings_keep_bursts_under_telegrams() -> None:
    limits = Limits.telegram(30, 1, 20)
    assert limits.global_burst < 30 and limits.private_burst < 3 and limits.group_burst < 20
    assert (limits.global_per_second, limits.group_per_minute) == (30, 20)
