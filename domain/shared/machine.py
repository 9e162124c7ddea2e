"""The one driver of every `transitions` machine in the domain (the order lifecycle, the
checkout dialog, after-sales requests): a table of steps in, a checked step out.

Each step runs on a fresh model object (a "holder" carrying the current state in `status` and
any guard methods the table names), added to the shared machine for that step only, so no
trigger methods linger on entities and concurrent steps never share a model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

from transitions import Machine, MachineError

S = TypeVar("S", bound=StrEnum)


class Holder(Protocol):
    """A throwaway model: the current state, plus the guard methods the table's conditions name."""

    status: Any


class StateMachine(Generic[S]):
    """A `transitions` machine built once from its table (no automatic transitions, the state
    kept in `status`)."""

    def __init__(self, states: type[S], table: Sequence[dict[str, Any]]) -> None:
        self._states = states
        self._machine = Machine(
            model=None,
            states=states,
            transitions=list(table),
            initial=None,
            auto_transitions=False,
            model_attribute="status",
        )
        self.triggers: tuple[str, ...] = tuple(dict.fromkeys(row["trigger"] for row in table))

    @property
    def models(self) -> list[Any]:
        """The models attached right now: none between steps, whatever happened in them."""
        return list(self._machine.models)

    def triggers_from(self, state: S) -> list[str]:
        """The triggers the table lists from `state` (guards not asked), in table order."""
        return list(self._machine.get_triggers(state))

    def may(self, holder: Holder, trigger: str) -> bool:
        """Whether `trigger` is allowed for this holder, guards included."""
        if trigger not in self._machine.events:
            return False
        self._machine.add_model(holder, initial=holder.status)
        try:
            return bool(getattr(holder, f"may_{trigger}")())
        finally:
            self._machine.remove_model(holder)

    def step(self, holder: Holder, trigger: str, refused: Callable[[], Exception]) -> S:
        """Run `trigger` on the holder and return its new state; raise `refused()` when the
        table (or a guard) does not allow it."""
        self._machine.add_model(holder, initial=holder.status)
        try:
            if trigger not in self._machine.events or not getattr(holder, f"may_{trigger}")():
                raise refused()
            getattr(holder, trigger)()
        except MachineError as exc:
            raise refused() from exc
        finally:
            self._machine.remove_model(holder)
        return self._states(holder.status)
