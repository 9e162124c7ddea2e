"""What the API's routes use, built once by the web process from the composition root's
services (bot/web/app.py)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.api.ratelimit import RateLimit
from bot.texts import Texts
from domain.channels.orders import ChannelOrders
from domain.checkout.shop import Shop
from domain.shared.clock import Clock
from storage.db import Database


@dataclass(frozen=True)
class ApiServices:
    db: Database
    clock: Clock
    texts: Texts
    shop: Shop  # the catalog: browsing and search, as customers see it
    channels: ChannelOrders
    rate_limit: RateLimit
