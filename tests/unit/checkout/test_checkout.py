"""The checkout machine: forward steps, guarded back steps, abandon, and nothing else."""

from __future__ import annotations

import itertools
import json

import pytest

from domain.checkout.flow import (
    ACTIVE_STEPS,
    Checkout,
    CheckoutDraft,
    CheckoutStep,
    advance,
    first_step,
)
from domain.orders.model import PaymentMethod
from domain.shared.errors import StaleCheckoutError

S = CheckoutStep
FORWARD = {
    # after an address, the delivery methods (the use case takes a single one at once)
    (S.CHOOSE_ADDRESS, "use_saved_address"): S.CHOOSE_SHIPPING,
    (S.CHOOSE_ADDRESS, "new_address"): S.ENTER_RECIPIENT,
    (S.CHOOSE_ADDRESS, "pick_up"): S.ENTER_RECIPIENT,
    (S.ENTER_RECIPIENT, "give_recipient"): S.ENTER_PHONE,
    (S.ENTER_PHONE, "give_phone"): S.ENTER_ADDRESS,
    (S.ENTER_ADDRESS, "give_address"): S.CHOOSE_SHIPPING,
    (S.CHOOSE_SHIPPING, "choose_shipping"): S.CHOOSE_PAYMENT,
    (S.REVIEW, "shipping_changed"): S.ENTER_RECIPIENT,
    (S.CHOOSE_PAYMENT, "choose_payment"): S.REVIEW,
    (S.REVIEW, "confirm"): S.PLACED,
    # a promo code, typed from the review and back to it (issue 16)
    (S.REVIEW, "have_code"): S.ENTER_CODE,
    (S.ENTER_CODE, "give_code"): S.REVIEW,
    (S.REVIEW, "remove_code"): S.REVIEW,
    # nothing to pay no longer holds at Confirm: how to pay is asked
    (S.REVIEW, "payment_needed"): S.CHOOSE_PAYMENT,
}
FORWARD_TRIGGERS = sorted({trigger for _, trigger in FORWARD})
ALL_TRIGGERS = [*FORWARD_TRIGGERS, "back", "abandon"]


def make(step: CheckoutStep, *, new_address: bool = False, saved: int = 0) -> Checkout:
    return Checkout(
        customer_id=1,
        token="tok",
        step=step,
        draft=CheckoutDraft(new_address=new_address),
        saved_address_count=saved,
    )


@pytest.mark.parametrize(("step", "trigger", "dest"), [(s, t, d) for (s, t), d in FORWARD.items()])
def test_every_forward_step(step: CheckoutStep, trigger: str, dest: CheckoutStep) -> None:
    checkout = make(step)
    assert advance(checkout, trigger) == dest
    assert checkout.step == dest


@pytest.mark.parametrize(
    ("step", "trigger"),
    [
        (step, trigger)
        for step, trigger in itertools.product(CheckoutStep, FORWARD_TRIGGERS)
        if (step, trigger) not in FORWARD
    ],
)
def test_every_other_forward_trigger_is_stale(step: CheckoutStep, trigger: str) -> None:
    checkout = make(step, new_address=True, saved=2)
    with pytest.raises(StaleCheckoutError) as caught:
        advance(checkout, trigger)
    assert caught.value.params == {"step": str(step), "action": trigger}
    assert checkout.step == step


def test_removing_the_code_that_left_nothing_to_pay_goes_to_the_payment_choice() -> None:
    checkout = make(S.REVIEW)
    checkout.draft.payment_method = PaymentMethod.FREE
    assert advance(checkout, "remove_code") == S.CHOOSE_PAYMENT


@pytest.mark.parametrize("step", sorted(set(CheckoutStep) - {S.REVIEW}))
def test_confirm_works_only_from_review(step: CheckoutStep) -> None:
    with pytest.raises(StaleCheckoutError):
        advance(make(step, new_address=True, saved=1), "confirm")


@pytest.mark.parametrize(
    ("step", "new_address", "saved", "dest"),
    [
        (S.REVIEW, False, 1, S.CHOOSE_PAYMENT),
        (S.REVIEW, True, 0, S.CHOOSE_PAYMENT),
        # from payment: back to the address just typed, or to the saved ones
        (S.CHOOSE_PAYMENT, True, 0, S.ENTER_ADDRESS),
        (S.CHOOSE_PAYMENT, True, 3, S.ENTER_ADDRESS),
        (S.CHOOSE_PAYMENT, False, 3, S.CHOOSE_ADDRESS),
        # from the delivery methods: back to the address it was chosen for
        (S.CHOOSE_SHIPPING, True, 0, S.ENTER_ADDRESS),
        (S.CHOOSE_SHIPPING, False, 3, S.CHOOSE_ADDRESS),
        (S.ENTER_ADDRESS, True, 0, S.ENTER_PHONE),
        (S.ENTER_PHONE, True, 0, S.ENTER_RECIPIENT),
        # the first step of a new address: back to saved addresses, or out when there are none
        (S.ENTER_RECIPIENT, True, 2, S.CHOOSE_ADDRESS),
        (S.ENTER_RECIPIENT, True, 0, S.ABANDONED),
        (S.CHOOSE_ADDRESS, False, 2, S.ABANDONED),
        # typing a promo code: back to the review without one
        (S.ENTER_CODE, False, 0, S.REVIEW),
    ],
)
def test_back_goes_one_step_back_along_the_path_taken(
    step: CheckoutStep, new_address: bool, saved: int, dest: CheckoutStep
) -> None:
    checkout = make(step, new_address=new_address, saved=saved)
    assert advance(checkout, "back") == dest


@pytest.mark.parametrize("step", [S.PLACED, S.ABANDONED])
@pytest.mark.parametrize("trigger", ALL_TRIGGERS)
def test_a_finished_checkout_takes_no_step(step: CheckoutStep, trigger: str) -> None:
    checkout = make(step, new_address=True, saved=1)
    with pytest.raises(StaleCheckoutError):
        advance(checkout, trigger)
    assert checkout.step == step


@pytest.mark.parametrize("step", sorted(ACTIVE_STEPS))
def test_abandon_works_from_every_active_step(step: CheckoutStep) -> None:
    checkout = make(step)
    assert checkout.active
    assert advance(checkout, "abandon") == S.ABANDONED
    assert not checkout.active


def test_the_active_steps_are_all_but_the_final_two() -> None:
    assert ACTIVE_STEPS == set(CheckoutStep) - {S.PLACED, S.ABANDONED}
    assert len(ACTIVE_STEPS) == 8


@pytest.mark.parametrize("trigger", ["", "next", "to_review", "BACK"])
def test_unknown_triggers_are_stale(trigger: str) -> None:
    with pytest.raises(StaleCheckoutError):
        advance(make(S.REVIEW), trigger)


@pytest.mark.parametrize(
    ("saved", "step"), [(0, S.ENTER_RECIPIENT), (1, S.CHOOSE_ADDRESS), (5, S.CHOOSE_ADDRESS)]
)
def test_checkout_starts_at_saved_addresses_only_when_there_are_some(
    saved: int, step: CheckoutStep
) -> None:
    assert first_step(saved) == step


@pytest.mark.parametrize(
    "draft",
    [
        CheckoutDraft(),
        CheckoutDraft(
            address_id=42,
            recipient="Ada",
            phone="+12025550143",
            address_text="1 Main St",
            payment_method=PaymentMethod.BANK_TRANSFER,
        ),
        CheckoutDraft(
            recipient="李雷",
            phone="+8613800138000",
            address_text="北京市",
            payment_method=PaymentMethod.CASH_ON_DELIVERY,
            new_address=True,
        ),
    ],
)
def test_a_draft_survives_a_round_trip_through_json(draft: CheckoutDraft) -> None:
    stored = json.loads(json.dumps(draft.to_dict()))
    assert CheckoutDraft.from_dict(stored) == draft


def test_the_stored_form_of_a_draft_uses_plain_values() -> None:
    data = CheckoutDraft(payment_method=PaymentMethod.BANK_TRANSFER, new_address=True).to_dict()
    assert data["payment_method"] == "bank"
    assert type(data["payment_method"]) is str
    assert data["new_address"] is True


@pytest.mark.parametrize("data", [None, {}])
def test_a_missing_draft_reads_as_empty(data: dict | None) -> None:  # type: ignore[type-arg]
    assert CheckoutDraft.from_dict(data) == CheckoutDraft()


def test_a_draft_from_an_older_version_misses_keys_gracefully() -> None:
    draft = CheckoutDraft.from_dict({"recipient": "Ada", "payment_method": "cod"})
    assert draft.recipient == "Ada"
    assert draft.payment_method is PaymentMethod.CASH_ON_DELIVERY
    assert draft.new_address is False
