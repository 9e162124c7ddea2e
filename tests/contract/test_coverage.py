"""Every method of every repository port is exercised by a contract test, so a fake of a new
method cannot go unchecked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.unit.test_fakes import PORTS, port_methods

SOURCES = "\n".join(p.read_text() for p in Path(__file__).parent.glob("*.py"))
CALLED = set(re.findall(r"\.(\w+)\.(\w+)\(", SOURCES))  # uow.outbox.claim_due(


@pytest.mark.parametrize("attribute", sorted(PORTS))
def test_every_repository_method_is_called_by_a_contract_test(attribute: str) -> None:
    missing = sorted(
        name for name in port_methods(PORTS[attribute]) if (attribute, name) not in CALLED
    )
    assert not missing, f"no contract test calls uow.{attribute}.{', '.join(missing)}"
