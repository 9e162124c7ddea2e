"""The after-sales request machine, reviewed as a table: every row is allowed for the kinds its
guard admits, every other (status, step) pair is refused, and numbers read well."""

from __future__ import annotations

import itertools

import pytest

from domain.after_sales.records import FINAL, AfterSalesStepError, RequestKind, RequestStatus
from domain.after_sales.rules import (
    TRANSITIONS,
    TRIGGERS,
    allowed_triggers,
    may,
    new_request_number,
    next_status,
    normalize_request_number,
)

S, K = RequestStatus, RequestKind
GUARDS = {"is_return": K.RETURN, "is_exchange": K.EXCHANGE, "is_repair": K.REPAIR}


def _rows() -> list[tuple[str, RequestStatus, RequestStatus, RequestKind]]:
    """(trigger, source, destination, kind) for every row and every kind its guard admits."""
    found = []
    for row in TRANSITIONS:
        sources = row["source"] if isinstance(row["source"], list) else [row["source"]]
        kinds = [GUARDS[row["conditions"]]] if "conditions" in row else list(K)
        for source, kind in itertools.product(sources, kinds):
            found.append((row["trigger"], S(source), S(row["dest"] or source), kind))
    return found


ALLOWED = _rows()
ALLOWED_KEYS = {(trigger, source, kind) for trigger, source, _, kind in ALLOWED}


@pytest.mark.parametrize(("trigger", "source", "dest", "kind"), ALLOWED)
def test_every_row_of_the_table_is_allowed_for_the_kinds_its_guard_admits(
    trigger: str, source: RequestStatus, dest: RequestStatus, kind: RequestKind
) -> None:
    assert may(source, kind, trigger)
    assert trigger in allowed_triggers(source, kind)
    assert next_status(source, kind, trigger) == dest


REFUSED = [
    (trigger, status, kind)
    for trigger, status, kind in itertools.product(TRIGGERS, S, K)
    if (trigger, status, kind) not in ALLOWED_KEYS
]


@pytest.mark.parametrize(("trigger", "status", "kind"), REFUSED)
def test_every_other_step_is_refused_naming_the_status(
    trigger: str, status: RequestStatus, kind: RequestKind
) -> None:
    assert not may(status, kind, trigger)
    with pytest.raises(AfterSalesStepError) as refused:
        next_status(status, kind, trigger, "R-7KQ2M9")
    assert refused.value.params == {"number": "R-7KQ2M9", "state": {"$text": f"as.status.{status}"}}


def test_the_table_is_the_flow_the_issue_describes() -> None:
    # requested -> approved or declined -> goods back -> refunded / replaced / repaired -> closed
    steps = {(t, src, dst) for t, src, dst, _ in ALLOWED}
    assert steps == {
        ("approve", S.REQUESTED, S.APPROVED),
        ("decline", S.REQUESTED, S.DECLINED),
        ("send_back", S.APPROVED, S.APPROVED),
        ("receive", S.APPROVED, S.GOODS_RECEIVED),
        ("refund", S.GOODS_RECEIVED, S.REFUNDED),
        ("ship_replacement", S.GOODS_RECEIVED, S.REPLACEMENT_SHIPPED),
        ("ship_repaired", S.GOODS_RECEIVED, S.REPAIRED_SHIPPED),
        ("close", S.APPROVED, S.CLOSED),
        ("close", S.REFUNDED, S.CLOSED),
        ("close", S.REPLACEMENT_SHIPPED, S.CLOSED),
        ("close", S.REPAIRED_SHIPPED, S.CLOSED),
    }


@pytest.mark.parametrize(
    ("kind", "step"),
    [(K.RETURN, "refund"), (K.EXCHANGE, "ship_replacement"), (K.REPAIR, "ship_repaired")],
)
def test_after_the_goods_are_back_each_kind_has_exactly_its_own_step(
    kind: RequestKind, step: str
) -> None:
    assert allowed_triggers(S.GOODS_RECEIVED, kind) == [step]


def test_final_statuses_allow_nothing_and_an_unknown_step_is_refused() -> None:
    for status, kind in itertools.product(FINAL, K):
        assert allowed_triggers(status, kind) == []
    with pytest.raises(AfterSalesStepError):
        next_status(S.REQUESTED, K.RETURN, "teleport")
    assert not may(S.REQUESTED, K.RETURN, "teleport")


def test_the_return_parcel_is_recorded_without_changing_the_status() -> None:
    for kind in K:
        assert next_status(S.APPROVED, kind, "send_back") == S.APPROVED


def test_request_numbers_are_random_and_read_back_as_typed() -> None:
    numbers = {new_request_number() for _ in range(50)}
    assert len(numbers) == 50
    assert all(normalize_request_number(n) == n for n in numbers)
    assert normalize_request_number(" r-7kq2m9 ") == "R-7KQ2M9"
    assert normalize_request_number("R7KQ2MO") == "R-7KQ2M0"  # O is read as zero
    for bad in ("", "7KQ2M9", "R-7KQ2M", "R-7KQ2M9X", "R-7KQ2MU"):
        assert normalize_request_number(bad) is None
