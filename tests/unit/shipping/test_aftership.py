"""Reading AfterShip's answers: tags to our statuses, checkpoint identity and times, and what
counts as malformed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.shipping.aftership import (
    AFTERSHIP_TAGS,
    TrackerError,
    checkpoint_key,
    parse_checkpoint,
    parse_time,
    parse_tracking,
)
from domain.shipping.tracking_records import TrackingStatus

S = TrackingStatus


@pytest.mark.parametrize(
    ("tag", "status"),
    [
        ("InfoReceived", S.INFO_RECEIVED),
        ("InTransit", S.IN_TRANSIT),
        ("OutForDelivery", S.OUT_FOR_DELIVERY),
        ("AvailableForPickup", S.AVAILABLE_FOR_PICKUP),
        ("AttemptFail", S.DELIVERY_ATTEMPTED),
        ("Delivered", S.DELIVERED),
        ("Exception", S.EXCEPTION),
        ("Expired", S.EXCEPTION),
        ("Pending", None),
    ],
)
def test_every_aftership_tag_maps_to_one_of_our_statuses(tag: str, status: S | None) -> None:
    assert AFTERSHIP_TAGS[tag] == status


def raw(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "checkpoint_time": "2026-01-02T10:00:00",
        "created_at": "2026-01-02T10:05:00+00:00",
        "tag": "InTransit",
        "subtag": "InTransit_001",
        "message": "Departed facility",
        "location": "Shenzhen",
    }
    base.update(fields)
    return base


def test_a_checkpoint_is_read_with_its_time_place_and_message() -> None:
    checkpoint = parse_checkpoint(raw(checkpoint_time="2026-01-02T18:00:00+08:00"))
    assert checkpoint is not None
    assert checkpoint.status == S.IN_TRANSIT
    assert checkpoint.at == datetime(2026, 1, 2, 10, 0, tzinfo=UTC)
    assert (checkpoint.location, checkpoint.message) == ("Shenzhen", "Departed facility")


def test_a_checkpoint_without_a_location_is_placed_by_city_and_country() -> None:
    checkpoint = parse_checkpoint(raw(location=None, city="Guangzhou", country_name="China"))
    assert checkpoint is not None and checkpoint.location == "Guangzhou, China"


def test_the_same_checkpoint_always_has_the_same_key_and_others_differ() -> None:
    assert checkpoint_key(raw()) == checkpoint_key(dict(raw()))
    assert checkpoint_key(raw()) != checkpoint_key(raw(message="Arrived at facility"))
    assert checkpoint_key(raw()) != checkpoint_key(raw(tag="Delivered"))
    assert len(checkpoint_key(raw())) <= 64


def test_pending_and_unknown_tags_are_not_checkpoints() -> None:
    assert parse_checkpoint(raw(tag="Pending")) is None
    assert parse_checkpoint(raw(tag="Teleported")) is None


@pytest.mark.parametrize(
    "bad",
    [
        "not an object",
        {"checkpoint_time": "2026-01-02T10:00:00"},  # no tag
        raw(checkpoint_time="yesterday", created_at=None),  # no usable time
    ],
)
def test_a_malformed_checkpoint_is_an_error_not_a_guess(bad: object) -> None:
    with pytest.raises(TrackerError, match="malformed"):
        parse_checkpoint(bad)


def test_a_tracking_gives_its_checkpoints_and_overall_status() -> None:
    update = parse_tracking(
        {
            "tag": "Delivered",
            "checkpoints": [raw(), raw(tag="Pending"), raw(tag="Delivered", message="Signed")],
        }
    )
    assert update.status == S.DELIVERED
    assert [c.status for c in update.checkpoints] == [S.IN_TRANSIT, S.DELIVERED]
    with pytest.raises(TrackerError):
        parse_tracking({"tag": "InTransit", "checkpoints": "lots"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-02T10:00:00", datetime(2026, 1, 2, 10, 0, tzinfo=UTC)),
        ("2026-01-02T10:00:00Z", datetime(2026, 1, 2, 10, 0, tzinfo=UTC)),
        ("2026-01-02T10:00:00-05:00", datetime(2026, 1, 2, 15, 0, tzinfo=UTC)),
        ("", None),
        (None, None),
        ("02/01/2026", None),
    ],
)
def test_aftership_times_are_read_as_utc(text: object, expected: datetime | None) -> None:
    assert parse_time(text) == expected
