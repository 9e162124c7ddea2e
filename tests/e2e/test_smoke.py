from tests.e2e.harness import Person


async def test_start_greets_by_name(alice: Person) -> None:
    screen = await alice.say("/start")
    assert "Alice" in screen.text
    assert any("Catalog" in b for row in screen.buttons for b in row)
