"""The checkout dialog as a `transitions` machine; its state and draft live in the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from domain.orders.model import PaymentMethod
from domain.shared.errors import StaleCheckoutError
from domain.shared.machine import StateMachine


class CheckoutStep(StrEnum):
    """Where the customer is in checkout."""

    CHOOSE_ADDRESS = "choose_address"  # pick a saved address or start a new one
    ENTER_RECIPIENT = "enter_recipient"  # typing the recipient's name
    ENTER_PHONE = "enter_phone"  # sharing a contact or typing a phone number
    ENTER_ADDRESS = "enter_address"  # typing the delivery address
    CHOOSE_SHIPPING = "choose_shipping"  # picking a delivery method that serves the address
    CHOOSE_PAYMENT = "choose_payment"  # picking a payment method
    REVIEW = "review"  # summary with Confirm / Back / Cancel
    ENTER_CODE = "enter_code"  # typing a promo code (from the review's "Have a code?")
    PLACED = "placed"  # the order was placed (final)
    ABANDONED = "abandoned"  # the customer left checkout (final)


ACTIVE_STEPS = frozenset(CheckoutStep) - {CheckoutStep.PLACED, CheckoutStep.ABANDONED}
TEXT_STEPS = frozenset(
    {
        CheckoutStep.ENTER_RECIPIENT,
        CheckoutStep.ENTER_PHONE,
        CheckoutStep.ENTER_ADDRESS,
        CheckoutStep.ENTER_CODE,
    }
)


S = CheckoutStep
TRANSITIONS: list[dict[str, Any]] = [
    # After an address, the delivery methods that serve it; with one only, the use case
    # takes it at once (choose_shipping in the same step), so no needless question.
    {"trigger": "use_saved_address", "source": S.CHOOSE_ADDRESS, "dest": S.CHOOSE_SHIPPING},
    {"trigger": "new_address", "source": S.CHOOSE_ADDRESS, "dest": S.ENTER_RECIPIENT},
    # Pickup at the shop: a name and a phone number, no address and no delivery method.
    {"trigger": "pick_up", "source": S.CHOOSE_ADDRESS, "dest": S.ENTER_RECIPIENT},
    {"trigger": "give_recipient", "source": S.ENTER_RECIPIENT, "dest": S.ENTER_PHONE},
    {
        "trigger": "give_phone",
        "source": S.ENTER_PHONE,
        "dest": S.CHOOSE_PAYMENT,
        "conditions": "picking_up",
    },
    {"trigger": "give_phone", "source": S.ENTER_PHONE, "dest": S.ENTER_ADDRESS},
    {"trigger": "give_address", "source": S.ENTER_ADDRESS, "dest": S.CHOOSE_SHIPPING},
    {"trigger": "choose_shipping", "source": S.CHOOSE_SHIPPING, "dest": S.CHOOSE_PAYMENT},
    {"trigger": "choose_payment", "source": S.CHOOSE_PAYMENT, "dest": S.REVIEW},
    {"trigger": "confirm", "source": S.REVIEW, "dest": S.PLACED},
    # Back goes one step back; where the previous step depends on the path, guards decide
    # (the first whose condition holds).
    {"trigger": "back", "source": S.REVIEW, "dest": S.CHOOSE_PAYMENT},
    {
        "trigger": "back",
        "source": S.CHOOSE_PAYMENT,
        "dest": S.ENTER_PHONE,
        "conditions": "picking_up",
    },
    {
        "trigger": "back",
        "source": S.CHOOSE_PAYMENT,
        "dest": S.CHOOSE_SHIPPING,
        "conditions": "chose_shipping",
    },
    {
        "trigger": "back",
        "source": S.CHOOSE_PAYMENT,
        "dest": S.ENTER_ADDRESS,
        "conditions": "entered_new_address",
    },
    {"trigger": "back", "source": S.CHOOSE_PAYMENT, "dest": S.CHOOSE_ADDRESS},
    {
        "trigger": "back",
        "source": S.CHOOSE_SHIPPING,
        "dest": S.ENTER_ADDRESS,
        "conditions": "entered_new_address",
    },
    {"trigger": "back", "source": S.CHOOSE_SHIPPING, "dest": S.CHOOSE_ADDRESS},
    {"trigger": "back", "source": S.ENTER_ADDRESS, "dest": S.ENTER_PHONE},
    {"trigger": "back", "source": S.ENTER_PHONE, "dest": S.ENTER_RECIPIENT},
    {
        "trigger": "back",
        "source": S.ENTER_RECIPIENT,
        "dest": S.CHOOSE_ADDRESS,
        "conditions": "starts_with_a_choice",
    },
    {"trigger": "back", "source": S.ENTER_RECIPIENT, "dest": S.ABANDONED},
    {"trigger": "back", "source": S.CHOOSE_ADDRESS, "dest": S.ABANDONED},
    {"trigger": "abandon", "source": list(ACTIVE_STEPS), "dest": S.ABANDONED},
    # At Confirm the chosen shipping method is gone or no longer serves the address (the
    # settings changed): choose among those that do, or give the address (or pickup) again.
    {
        "trigger": "shipping_changed",
        "source": S.REVIEW,
        "dest": S.CHOOSE_SHIPPING,
        "conditions": "chose_shipping",
    },
    {
        "trigger": "shipping_changed",
        "source": S.REVIEW,
        "dest": S.CHOOSE_ADDRESS,
        "conditions": "starts_with_a_choice",
    },
    {"trigger": "shipping_changed", "source": S.REVIEW, "dest": S.ENTER_RECIPIENT},
    # A promo code (issue 16): typed from the review, back to the review with the discount;
    # Back without a code returns there too; Remove code stays on the review.
    {"trigger": "have_code", "source": S.REVIEW, "dest": S.ENTER_CODE},
    {"trigger": "give_code", "source": S.ENTER_CODE, "dest": S.REVIEW},
    {"trigger": "back", "source": S.ENTER_CODE, "dest": S.REVIEW},
    # Nothing to pay (issue 16: the code covered the total) was the payment: without the code
    # there is something to pay, so the customer chooses how.
    {
        "trigger": "remove_code",
        "source": S.REVIEW,
        "dest": S.CHOOSE_PAYMENT,
        "conditions": "paying_nothing",
    },
    {"trigger": "remove_code", "source": S.REVIEW, "dest": S.REVIEW},
    # At Confirm the total is no longer 0 though nothing to pay was chosen (the code no longer
    # applies, a price went up): the customer chooses how to pay.
    {"trigger": "payment_needed", "source": S.REVIEW, "dest": S.CHOOSE_PAYMENT},
]


@dataclass
class CheckoutDraft:
    """What the customer has entered so far."""

    address_id: int | None = None
    recipient: str | None = None
    phone: str | None = None
    address_text: str | None = None
    payment_method: PaymentMethod | None = None
    new_address: bool = False
    quoted_subtotal: int | None = None  # minor units shown on the review screen
    shipping_method: str | None = None  # the chosen method's code (shipping_methods.py)
    shipping_chosen: bool = False  # the customer chose it among several (Back returns there)
    pickup: bool = False  # collected at the shop: no address
    pickup_offered: bool = False  # the shop offers pickup: checkout starts with the choice
    quoted_shipping: int | None = None  # minor units shown on the review screen
    promo_code: str | None = None  # the code entered (normalised), re-checked at Confirm
    quoted_discount: int | None = None  # minor units shown on the review screen

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for storage."""
        return {
            "address_id": self.address_id,
            "recipient": self.recipient,
            "phone": self.phone,
            "address_text": self.address_text,
            "payment_method": str(self.payment_method) if self.payment_method else None,
            "new_address": self.new_address,
            "quoted_subtotal": self.quoted_subtotal,
            "shipping_method": self.shipping_method,
            "shipping_chosen": self.shipping_chosen,
            "pickup": self.pickup,
            "pickup_offered": self.pickup_offered,
            "quoted_shipping": self.quoted_shipping,
            "promo_code": self.promo_code,
            "quoted_discount": self.quoted_discount,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> CheckoutDraft:
        """Inverse of to_dict, tolerant of missing keys."""
        data = data or {}
        method = data.get("payment_method")
        return cls(
            address_id=data.get("address_id"),
            recipient=data.get("recipient"),
            phone=data.get("phone"),
            address_text=data.get("address_text"),
            payment_method=PaymentMethod(method) if method else None,
            new_address=bool(data.get("new_address")),
            quoted_subtotal=data.get("quoted_subtotal"),
            shipping_method=data.get("shipping_method"),
            shipping_chosen=bool(data.get("shipping_chosen")),
            pickup=bool(data.get("pickup")),
            pickup_offered=bool(data.get("pickup_offered")),
            quoted_shipping=data.get("quoted_shipping"),
            promo_code=data.get("promo_code"),
            quoted_discount=data.get("quoted_discount"),
        )


@dataclass
class Checkout:
    """One customer's checkout in progress; `token` changes with every new checkout so
    buttons from an earlier one are recognised as stale."""

    customer_id: int
    token: str
    step: CheckoutStep
    draft: CheckoutDraft = field(default_factory=CheckoutDraft)
    saved_address_count: int = 0
    order_id: int | None = None
    updated_at: datetime | None = None

    @property
    def active(self) -> bool:
        """True while the dialog is still going."""
        return self.step in ACTIVE_STEPS


class _Holder:
    def __init__(self, checkout: Checkout) -> None:
        self.status = checkout.step
        self._checkout = checkout

    def entered_new_address(self) -> bool:
        return self._checkout.draft.new_address

    def starts_with_a_choice(self) -> bool:
        # saved addresses to pick from, or pickup at the shop offered besides a new address
        return self._checkout.saved_address_count > 0 or self._checkout.draft.pickup_offered

    def picking_up(self) -> bool:
        return self._checkout.draft.pickup

    def chose_shipping(self) -> bool:
        return self._checkout.draft.shipping_chosen

    def paying_nothing(self) -> bool:
        return self._checkout.draft.payment_method == PaymentMethod.FREE


_MACHINE = StateMachine(CheckoutStep, TRANSITIONS)


def advance(checkout: Checkout, trigger: str) -> CheckoutStep:
    """Move the checkout by one trigger, or raise StaleCheckoutError if that step is not open."""
    checkout.step = _MACHINE.step(
        _Holder(checkout),
        trigger,
        lambda: StaleCheckoutError(step=str(checkout.step), action=trigger),
    )
    return checkout.step


def first_step(saved_address_count: int, pickup_offered: bool = False) -> CheckoutStep:
    """Checkout starts with a choice (saved addresses, a new one, pickup at the shop) when
    there is one, else at a new address."""
    return S.CHOOSE_ADDRESS if saved_address_count or pickup_offered else S.ENTER_RECIPIENT
