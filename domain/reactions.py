"""What each order event sets off in other features, declared once, as data.

The order lifecycle's table of steps lives in `domain/orders/lifecycle.py`; this is the table of
its consequences. It cannot sit beside the lifecycle: payments both moves orders (pay, expire)
and reacts to them (cash collected on delivery), so `orders` importing `payments` would close a
cycle. It sits above every feature instead, and the composition root hands the bound flow to
each use case that moves orders.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from domain.merchant.alerts import ALERTED, merchant_alert
from domain.orders.lifecycle import OrderEventType
from domain.orders.transitions import OrderFlow, Reaction
from domain.payments.receiving import record_cash_if_cod, record_free_payment
from domain.promotions.redemption import give_use_back
from domain.reviews.service import invite_review

REACTIONS: Mapping[OrderEventType, Sequence[Reaction]] = {
    # An order with nothing to pay, placed paid, keeps its payment of 0.
    OrderEventType.PAID: (record_free_payment,),
    # The courier collected the money of a cash-on-delivery order.
    OrderEventType.DELIVERED: (record_cash_if_cod,),
    # Every way an order completes (the customer's "Received", the merchant, the
    # auto-completion job) invites its customer to review it, once per order.
    OrderEventType.COMPLETED: (invite_review,),
    # A cancelled or expired order gives its promo code's use back (once: the redemption is
    # marked returned).
    OrderEventType.CANCELLED: (give_use_back,),
    OrderEventType.EXPIRED: (give_use_back,),
}

ORDER_FLOW = OrderFlow(REACTIONS)


def order_flow(admin_chat_id: int | None) -> OrderFlow:
    """The flow of a shop with an admin chat: the reactions above, and the merchant's alert for
    each event in `domain.merchant.alerts.ALERTED` that no admin caused (an unpaid order expired,
    an order delivered or completed)."""
    if admin_chat_id is None:
        return ORDER_FLOW
    alert = merchant_alert(admin_chat_id)
    reactions = {kind: tuple(REACTIONS.get(kind, ())) for kind in {*REACTIONS, *ALERTED}}
    return OrderFlow(
        {kind: (*found, alert) if kind in ALERTED else found for kind, found in reactions.items()}
    )
