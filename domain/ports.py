"""The whole unit of work: every feature's repositories in one transaction. `storage/db.py`
implements it; nothing in domain/ imports this module (features name their own protocol in
`domain/<feature>/ports.py`), so it sits above every feature."""

from __future__ import annotations

from typing import Protocol

from domain.channels.ports import ChannelsUnitOfWork
from domain.checkout.ports import CheckoutUnitOfWork
from domain.merchant.ports import MerchantUnitOfWork
from domain.privacy.ports import PrivacyUnitOfWork
from domain.reviews.ports import ReviewsUnitOfWork
from domain.shared.ports import UnitOfWorkFactory


class UnitOfWork(
    PrivacyUnitOfWork,
    ChannelsUnitOfWork,
    MerchantUnitOfWork,
    ReviewsUnitOfWork,
    CheckoutUnitOfWork,
    Protocol,
):
    """Every repository of the shop in one transaction."""


__all__ = ["UnitOfWork", "UnitOfWorkFactory"]
