"""The order lifecycle: every row of the table works, everything else is refused."""

from __future__ import annotations

import itertools

import pytest

from domain.orders import lifecycle
from domain.orders.lifecycle import OrderEventType, OrderStatus
from domain.shared.errors import IllegalTransitionError

S = OrderStatus
TRIGGERS = sorted({row["trigger"] for row in lifecycle.TRANSITIONS})


def _sources(row: dict) -> list[OrderStatus]:  # type: ignore[type-arg]
    source = row["source"]
    return list(source) if isinstance(source, list) else [source]


ALLOWED = [
    (status, row["trigger"], row["dest"])
    for row in lifecycle.TRANSITIONS
    for status in _sources(row)
]
ALLOWED_PAIRS = {(status, trigger) for status, trigger, _ in ALLOWED}
ILLEGAL = [
    (status, trigger)
    for status, trigger in itertools.product(OrderStatus, TRIGGERS)
    if (status, trigger) not in ALLOWED_PAIRS
]

# The table as it was reviewed; a change to TRANSITIONS must change this too, on purpose.
REVIEWED = {
    (S.PENDING_PAYMENT, "confirm_cod"): S.CONFIRMED,
    (S.PENDING_PAYMENT, "pay"): S.PAID,
    (S.PENDING_PAYMENT, "cancel"): S.CANCELLED,
    (S.PENDING_PAYMENT, "expire"): S.CANCELLED,
    (S.CONFIRMED, "ship"): S.SHIPPED,
    (S.CONFIRMED, "cancel"): S.CANCELLED,
    (S.PAID, "ship"): S.SHIPPED,
    (S.PAID, "cancel"): S.CANCELLED,
    (S.SHIPPED, "deliver"): S.DELIVERED,
    (S.DELIVERED, "complete"): S.COMPLETED,
}


def test_the_table_is_the_one_that_was_reviewed() -> None:
    assert {(s, t): d for s, t, d in ALLOWED} == REVIEWED
    assert len(ALLOWED) == len(REVIEWED)  # no row listed twice


@pytest.mark.parametrize(("status", "trigger", "dest"), ALLOWED)
def test_every_allowed_step_succeeds(status: OrderStatus, trigger: str, dest: OrderStatus) -> None:
    assert lifecycle.next_status(status, trigger) == dest
    assert lifecycle.can(status, trigger)


@pytest.mark.parametrize(("status", "trigger"), ILLEGAL)
def test_every_other_step_is_illegal(status: OrderStatus, trigger: str) -> None:
    with pytest.raises(IllegalTransitionError) as caught:
        lifecycle.next_status(status, trigger)
    assert caught.value.key == "error.illegal_transition"
    assert caught.value.params == {"status": str(status), "action": trigger}
    assert not lifecycle.can(status, trigger)


def test_the_cross_product_was_covered() -> None:
    assert len(ALLOWED) + len(ILLEGAL) == len(OrderStatus) * len(TRIGGERS) == 49


@pytest.mark.parametrize("trigger", ["refund", "", "PAY", "to_paid", "to_cancelled"])
def test_unknown_triggers_are_illegal(trigger: str) -> None:
    with pytest.raises(IllegalTransitionError):
        lifecycle.next_status(S.PENDING_PAYMENT, trigger)


def test_a_plain_string_status_is_accepted() -> None:
    assert lifecycle.next_status("paid", "ship") == S.SHIPPED  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "triggers"),
    [
        (S.PENDING_PAYMENT, ["confirm_cod", "pay", "cancel", "expire"]),
        (S.CONFIRMED, ["ship", "cancel"]),
        (S.PAID, ["ship", "cancel"]),
        (S.SHIPPED, ["deliver"]),
        (S.DELIVERED, ["complete"]),
        (S.COMPLETED, []),
        (S.CANCELLED, []),
    ],
)
def test_allowed_triggers_are_listed_in_table_order(
    status: OrderStatus, triggers: list[str]
) -> None:
    assert lifecycle.allowed_triggers(status) == triggers


def test_a_failed_step_leaves_no_model_behind_on_the_machine() -> None:
    before = len(lifecycle._MACHINE.models)
    with pytest.raises(IllegalTransitionError):
        lifecycle.next_status(S.CANCELLED, "pay")
    lifecycle.next_status(S.PAID, "ship")
    assert len(lifecycle._MACHINE.models) == before


@pytest.mark.parametrize(
    ("trigger", "event"),
    [
        ("pay", OrderEventType.PAID),
        ("ship", OrderEventType.SHIPPED),
        ("deliver", OrderEventType.DELIVERED),
        ("complete", OrderEventType.COMPLETED),
        ("cancel", OrderEventType.CANCELLED),
        ("confirm_cod", OrderEventType.CONFIRMED),
        ("expire", OrderEventType.EXPIRED),
    ],
)
def test_each_trigger_records_its_past_tense_event(trigger: str, event: OrderEventType) -> None:
    assert lifecycle.event_type_for(trigger) == event


def test_every_trigger_of_the_table_has_an_event_type() -> None:
    for trigger in TRIGGERS:
        assert isinstance(lifecycle.event_type_for(trigger), OrderEventType)


def test_an_unknown_trigger_has_no_event_type() -> None:
    with pytest.raises(KeyError):
        lifecycle.event_type_for("refund")


def test_status_groups() -> None:
    assert lifecycle.CANCELLABLE_BY_CUSTOMER == {S.PENDING_PAYMENT, S.CONFIRMED}
    assert lifecycle.HOLDS_RESERVATION.isdisjoint(lifecycle.STOCK_COMMITTED)
    assert lifecycle.TO_SHIP == {s for s in OrderStatus if lifecycle.can(s, "ship")}
    assert lifecycle.OPEN | lifecycle.FINAL == set(OrderStatus)
    assert not lifecycle.OPEN & lifecycle.FINAL
    for status in lifecycle.FINAL:
        assert lifecycle.allowed_triggers(status) == []
