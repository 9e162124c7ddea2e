"""The shipping unit of work: shipments and their tracking."""

from __future__ import annotations

from typing import Protocol

from domain.orders.ports import OrdersUnitOfWork
from domain.shipping.carriers import ShipmentRepository
from domain.shipping.tracking_records import TrackingRepository


class ShippingUnitOfWork(OrdersUnitOfWork, Protocol):
    """The shipping unit of work."""

    @property
    def shipments(self) -> ShipmentRepository: ...

    @property
    def tracking(self) -> TrackingRepository: ...
