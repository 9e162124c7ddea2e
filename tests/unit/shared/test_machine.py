"""The one machine driver: a table in, checked steps out, nothing left attached."""

from __future__ import annotations

from enum import StrEnum

import pytest

from domain.shared.machine import StateMachine


class Light(StrEnum):
    RED = "red"
    GREEN = "green"
    BROKEN = "broken"


TABLE = [
    {"trigger": "go", "source": Light.RED, "dest": Light.GREEN},
    {"trigger": "stop", "source": Light.GREEN, "dest": Light.RED},
    {
        "trigger": "smash",
        "source": [Light.RED, Light.GREEN],
        "dest": Light.BROKEN,
        "conditions": "fragile",
    },
    {"trigger": "check", "source": Light.GREEN, "dest": None},
]
MACHINE = StateMachine(Light, TABLE)


class Model:
    def __init__(self, status: Light, fragile: bool = True) -> None:
        self.status = status
        self._fragile = fragile

    def fragile(self) -> bool:
        return self._fragile


class Refused(Exception):
    pass


def test_a_step_the_table_allows_returns_the_new_state() -> None:
    assert MACHINE.step(Model(Light.RED), "go", Refused) == Light.GREEN


def test_a_step_the_table_does_not_list_from_that_state_is_refused() -> None:
    with pytest.raises(Refused):
        MACHINE.step(Model(Light.RED), "stop", Refused)


def test_an_unknown_trigger_is_refused_and_not_allowed() -> None:
    with pytest.raises(Refused):
        MACHINE.step(Model(Light.RED), "fly", Refused)
    assert not MACHINE.may(Model(Light.RED), "fly")


def test_a_guard_decides_whether_a_listed_step_is_allowed() -> None:
    assert MACHINE.may(Model(Light.RED, fragile=True), "smash")
    assert not MACHINE.may(Model(Light.RED, fragile=False), "smash")
    with pytest.raises(Refused):
        MACHINE.step(Model(Light.GREEN, fragile=False), "smash", Refused)


def test_an_internal_step_keeps_the_state() -> None:
    assert MACHINE.step(Model(Light.GREEN), "check", Refused) == Light.GREEN


def test_triggers_are_listed_in_table_order() -> None:
    assert MACHINE.triggers == ("go", "stop", "smash", "check")
    assert MACHINE.triggers_from(Light.GREEN) == ["stop", "smash", "check"]


def test_no_model_stays_attached_after_a_step_or_a_refusal() -> None:
    MACHINE.step(Model(Light.RED), "go", Refused)
    with pytest.raises(Refused):
        MACHINE.step(Model(Light.BROKEN), "go", Refused)
    MACHINE.may(Model(Light.RED), "smash")
    assert MACHINE.models == []
