"""What a typed message may answer, read in one unit of work (issue 13): the after-sales
draft, the dialog in the chat and the checkout, as the bot's handler groups share them."""

from __future__ import annotations

import pytest

from domain.after_sales.records import DRAFT_TTL, Draft, DraftKind
from domain.after_sales.waiting import TypedAnswers, Waiting
from domain.checkout.flow import Checkout, CheckoutStep
from domain.shared.clock import FixedClock
from domain.shared.dialogs import DIALOG_TTL, Dialog, DialogKind
from tests.unit.fakes import FakeStore, FakeUnitOfWorkFactory

ADA = 1001
GROUP = -100500


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def uow() -> FakeUnitOfWorkFactory:
    return FakeUnitOfWorkFactory()


@pytest.fixture
def answers(uow: FakeUnitOfWorkFactory, clock: FixedClock) -> TypedAnswers:
    return TypedAnswers(uow, clock)


def seed(store: FakeStore, clock: FixedClock, *, checkout_step: CheckoutStep) -> None:
    """Ada has a draft, a dialog in her private chat and one in the group, and a checkout."""
    now = clock.now()
    store.after_sales.drafts[ADA] = Draft(ADA, DraftKind.TRACKING, "d1", "number", {}, now)
    for chat in (ADA, GROUP):
        dialog = Dialog(chat, ADA, DialogKind.REPLY, f"m{chat}", "text", {}, now)
        store.merchant.dialogs[(chat, ADA)] = dialog
    store.checkouts[ADA] = Checkout(ADA, "c1", checkout_step, updated_at=now)


async def test_a_private_chat_reads_the_draft_the_dialog_and_the_checkout_in_one_read(
    answers: TypedAnswers, uow: FakeUnitOfWorkFactory, clock: FixedClock
) -> None:
    seed(uow.store, clock, checkout_step=CheckoutStep.ENTER_RECIPIENT)

    waiting = await answers.waiting(ADA, ADA, private=True)

    assert waiting.draft is not None and waiting.draft.token == "d1"
    assert waiting.dialog is not None and waiting.dialog.token == f"m{ADA}"
    assert waiting.checkout is not None and waiting.checkout.token == "c1"
    assert [opened.readonly for opened in uow.opened] == [True]


async def test_a_group_chat_reads_only_the_dialog_there(
    answers: TypedAnswers, uow: FakeUnitOfWorkFactory, clock: FixedClock
) -> None:
    seed(uow.store, clock, checkout_step=CheckoutStep.ENTER_RECIPIENT)

    waiting = await answers.waiting(GROUP, ADA, private=False)

    assert waiting.dialog is not None and waiting.dialog.token == f"m{GROUP}"
    assert (waiting.draft, waiting.checkout) == (None, None)


async def test_stale_dialogs_and_a_finished_checkout_wait_for_nothing(
    answers: TypedAnswers, uow: FakeUnitOfWorkFactory, clock: FixedClock
) -> None:
    seed(uow.store, clock, checkout_step=CheckoutStep.PLACED)
    clock.advance(seconds=max(DRAFT_TTL, DIALOG_TTL).total_seconds() + 1)

    assert await answers.waiting(ADA, ADA, private=True) == Waiting()


async def test_nothing_waits_for_a_stranger(answers: TypedAnswers) -> None:
    assert await answers.waiting(ADA, ADA, private=True) == Waiting()
