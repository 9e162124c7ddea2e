"""Whether the bot can write to a customer: Telegram says so when they block the bot (403 on a
send, or a my_chat_member update) and when they come back. While a customer is unreachable the
outbox holds their messages; they go out, in order, once the customer is reachable again."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from domain.shared.ports import SharedUnitOfWork, UnitOfWorkFactory


async def set_reachable(
    uow: UnitOfWorkFactory[SharedUnitOfWork], customer_id: int, reachable: bool
) -> None:
    """Record that the customer blocked the bot (False) or is back (True)."""
    async with uow() as work:
        await work.customers.set_reachable(customer_id, reachable)
        await work.commit()
