"""Insight's buttons: the merchant's steps on a restock request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bot.callback_data import Callback, Token


@dataclass(frozen=True)
class RestockApprove(Callback):
    """Admin: approve a restock request (it was ordered from the supplier)."""

    prefix: ClassVar[str] = "ira"
    request_id: int


@dataclass(frozen=True)
class RestockReceive(Callback):
    """Admin: the goods of a restock request arrived (adds them to stock)."""

    prefix: ClassVar[str] = "irr"
    request_id: int


@dataclass(frozen=True)
class RestockDismiss(Callback):
    """Admin: dismiss a restock request."""

    prefix: ClassVar[str] = "ird"
    request_id: int


@dataclass(frozen=True)
class SegmentPage(Callback):
    """Admin: a page of one RFM segment's customers ("all" for the segment overview)."""

    prefix: ClassVar[str] = "isg"
    segment: Token  # a Segment value, or "all"
    page: int
