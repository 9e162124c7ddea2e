"""What every payment use case shares: the unit of work, the clock, the order flow, the
settings, the ports the bot implements, and the merchant's alerts."""

from __future__ import annotations

from datetime import datetime

from domain.orders.transitions import OrderFlow
from domain.payments.ports import (
    NoActions,
    PaymentActions,
    PaymentsUnitOfWork,
    StarRefunds,
)
from domain.payments.rules import PaymentsConfig
from domain.shared.clock import Clock
from domain.shared.notifications import Notification
from domain.shared.ports import UnitOfWorkFactory


class PaymentsBase:
    """What the payment use cases share (see `Payments`)."""

    def __init__(
        self,
        uow: UnitOfWorkFactory[PaymentsUnitOfWork],
        clock: Clock,
        config: PaymentsConfig,
        actions: PaymentActions | None = None,
        stars: StarRefunds | None = None,
        *,
        flow: OrderFlow,
    ) -> None:
        self._uow = uow
        self._flow = flow
        self._clock = clock
        self.config = config
        self.actions: PaymentActions = actions or NoActions()
        self.stars = stars

    async def _alert_admin(
        self, uow: PaymentsUnitOfWork, notification: Notification, now: datetime
    ) -> None:
        if self.config.admin_chat_id is None:
            return
        notification.chat_id = self.config.admin_chat_id
        await uow.outbox.add(notification, now)
