"""Carrier adapters for the tracking job: `manual` (nothing to poll; the merchant posts
checkpoints with /track) and the AfterShip Tracking API.

AfterShip Tracking API, version 2024-04 (https://www.aftership.com/docs/tracking/2024-04,
the version AfterShip's own tracking SDKs v4 call). What is used, as documented:

- Authentication: header `as-api-key: <key>`; JSON bodies; every answer is an envelope
  `{"meta": {"code": 200, "message": "...", "type": "..."}, "data": {...}}`, where `meta.code`
  is the HTTP status or a finer 4xxx code (4003 tracking already exists, 4004 tracking does
  not exist, 4005/4017 invalid tracking number, 4010 invalid slug, 4012 carrier not
  recognised), 401 invalid key, 429 rate limit (10 requests/s), 5xx AfterShip's trouble.
- `GET {base}/trackings?tracking_numbers=A,B,C` (up to 50 numbers, comma-separated), with
  `limit` (max 200) and `created_at_min` (the default is 30 days ago, so we pass the oldest
  shipment's date): `data = {"page", "limit", "count", "trackings": [Tracking, ...]}`.
- `POST {base}/trackings` with `{"tracking": {"slug", "tracking_number", "order_number",
  "title"}}` registers a number AfterShip does not follow yet: 201 and `data.tracking`.
  Without a slug AfterShip detects the carrier.
- `GET {base}/trackings/{slug}/{tracking_number}`: `data.tracking` (used when a number turns
  out to exist already but was not listed).
- A Tracking has `slug`, `tracking_number`, `tag` (its overall status) and `checkpoints`: each
  with `checkpoint_time` (the carrier's local time, "YYYY-MM-DDTHH:mm:ss", sometimes with an
  offset), `created_at`, `tag`, `subtag`, `message`, `location`, `city`, `state`,
  `country_name`.

Tags map to our statuses: InfoReceived → info received, InTransit → in transit, OutForDelivery
→ out for delivery, AvailableForPickup → available for pickup, AttemptFail → delivery
attempted, Delivered → delivered, Exception and Expired → exception; Pending (nothing known yet)
is not a checkpoint. AfterShip checkpoints have no id, so a checkpoint's key is a hash of its
time, tag, subtag, message and location: the same checkpoint seen again has the same key.
A checkpoint time without an offset is read as UTC (the carrier's zone is not given)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx

from domain.shipping.tracking_records import (
    KEY_MAX,
    Checkpoint,
    PollResult,
    TrackedShipment,
    TrackingFailure,
    TrackingStatus,
    TrackingUpdate,
    clip_location,
    clip_message,
)

log = logging.getLogger(__name__)

AFTERSHIP_URL = "https://api.aftership.com/tracking/2024-04"
AFTERSHIP_BATCH = 50  # tracking_numbers takes at most 50 numbers
S = TrackingStatus
AFTERSHIP_TAGS: dict[str, TrackingStatus | None] = {
    "Pending": None,
    "InfoReceived": S.INFO_RECEIVED,
    "InTransit": S.IN_TRANSIT,
    "OutForDelivery": S.OUT_FOR_DELIVERY,
    "AvailableForPickup": S.AVAILABLE_FOR_PICKUP,
    "AttemptFail": S.DELIVERY_ATTEMPTED,
    "Delivered": S.DELIVERED,
    "Exception": S.EXCEPTION,
    "Expired": S.EXCEPTION,
}
# Our built-in carrier codes and AfterShip's courier slugs (GET /couriers lists them). Other
# carriers are registered without a slug and AfterShip detects them from the number.
AFTERSHIP_SLUGS: dict[str, str] = {
    "sf": "sf-express",
    "zto": "zto-express",
    "ems": "china-ems",
    "dhl": "dhl",
    "ups": "ups",
    "fedex": "fedex",
}
UNKNOWN_NUMBER_CODES = frozenset({4004, 4005, 4010, 4012, 4017})


class ManualTracker:
    """Checkpoints come from the merchant (/track); there is nothing to poll."""

    name = "manual"
    polls = False

    async def poll(self, shipments: Sequence[TrackedShipment]) -> dict[int, PollResult]:
        """Never called by the job (polls is False); answers nothing new."""
        return {s.shipment_id: TrackingUpdate() for s in shipments}


class TrackerError(Exception):
    """The aggregator could not answer (the message says why); try again later."""

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


def parse_time(raw: object) -> datetime | None:
    """An AfterShip time ("2024-04-01T10:00:00", "...+08:00" or "...Z") as aware UTC."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    text = raw.strip().replace("Z", "+00:00")
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def checkpoint_key(raw: Mapping[str, Any]) -> str:
    """The identity of an AfterShip checkpoint (they have no id): a hash of what it says."""
    parts = [
        _text(raw.get("checkpoint_time")),
        _text(raw.get("tag")),
        _text(raw.get("subtag")),
        _text(raw.get("message")),
        _text(raw.get("location")),
    ]
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"as:{digest}"[:KEY_MAX]


def parse_checkpoint(raw: object) -> Checkpoint | None:
    """One AfterShip checkpoint (None for one that says nothing we show: Pending, an unknown
    tag); TrackerError when it is not what the API documents."""
    if not isinstance(raw, dict):
        raise TrackerError("malformed response: a checkpoint is not an object")
    tag = raw.get("tag")
    if not isinstance(tag, str):
        raise TrackerError("malformed response: a checkpoint has no tag")
    status = AFTERSHIP_TAGS.get(tag)
    if status is None:
        return None
    at = parse_time(raw.get("checkpoint_time")) or parse_time(raw.get("created_at"))
    if at is None:
        raise TrackerError("malformed response: a checkpoint has no time")
    location = _text(raw.get("location")) or ", ".join(
        p for p in (_text(raw.get(k)) for k in ("city", "state", "country_name")) if p
    )
    message = _text(raw.get("message")) or _text(raw.get("subtag_message"))
    return Checkpoint(
        key=checkpoint_key(raw),
        status=status,
        at=at,
        location=clip_location(location),
        message=clip_message(message),
    )


def parse_tracking(raw: object) -> TrackingUpdate:
    """An AfterShip Tracking object as our update; TrackerError when malformed."""
    if not isinstance(raw, dict):
        raise TrackerError("malformed response: a tracking is not an object")
    checkpoints = raw.get("checkpoints") or []
    if not isinstance(checkpoints, list):
        raise TrackerError("malformed response: checkpoints is not a list")
    parsed = [c for c in (parse_checkpoint(item) for item in checkpoints) if c is not None]
    tag = raw.get("tag")
    return TrackingUpdate(tuple(parsed), AFTERSHIP_TAGS.get(tag) if isinstance(tag, str) else None)


class AfterShipTracker:
    """Polls the AfterShip Tracking API (2024-04) for a batch of shipments at a time."""

    name = "aftership"
    polls = True

    def __init__(
        self,
        api_key: str,
        base_url: str = AFTERSHIP_URL,
        *,
        timeout: float = 10.0,
        slugs: Mapping[str, str] | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.slugs = dict(AFTERSHIP_SLUGS if slugs is None else slugs)
        self._api_key = api_key
        self._timeout = timeout
        self._given = client  # tests hand one in; otherwise one per poll, closed after it
        self._client: httpx.AsyncClient | None = client

    def slug(self, shipment: TrackedShipment) -> str | None:
        """AfterShip's courier slug for the shipment's carrier (None: let it detect)."""
        return self.slugs.get(shipment.carrier_code)

    async def _call(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        """(meta.code, data) of one request; TrackerError for anything but an envelope."""
        assert self._client is not None, "only during poll()"
        try:
            response = await self._client.request(method, f"{self.base_url}{path}", **kwargs)
        except httpx.TimeoutException:
            raise TrackerError("timeout") from None
        except httpx.HTTPError as exc:
            raise TrackerError(f"network: {type(exc).__name__}") from None
        if response.status_code == 429 or response.status_code >= 500:
            raise TrackerError(f"HTTP {response.status_code}", code=response.status_code)
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
            raise TrackerError(
                f"malformed response (HTTP {response.status_code}, not JSON)"
            ) from None
        meta = body.get("meta") if isinstance(body, dict) else None
        if not isinstance(meta, dict) or not isinstance(meta.get("code"), int):
            raise TrackerError(f"malformed response (HTTP {response.status_code}, no meta)")
        code = int(meta["code"])
        if code == 401 or response.status_code == 401:
            raise TrackerError("HTTP 401: the API key was refused", code=401)
        return code, body.get("data")

    async def _list(self, shipments: Sequence[TrackedShipment]) -> list[dict[str, Any]]:
        """The trackings AfterShip has for these numbers (one page of up to 200)."""
        numbers = sorted({s.tracking_number for s in shipments})
        oldest = min(s.shipped_at for s in shipments) - timedelta(days=1)
        params = {
            "tracking_numbers": ",".join(numbers),
            "limit": "200",
            "created_at_min": oldest.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00"),
        }
        code, data = await self._call("GET", "/trackings", params=params)
        if code != 200:
            raise TrackerError(f"AfterShip answered {code}", code=code)
        trackings = data.get("trackings") if isinstance(data, dict) else None
        if not isinstance(trackings, list):
            raise TrackerError("malformed response: data.trackings is not a list")
        return [t for t in trackings if isinstance(t, dict)]

    async def _register(self, shipment: TrackedShipment) -> PollResult:
        """Ask AfterShip to follow a number it does not know yet."""
        slug = self.slug(shipment)
        tracking: dict[str, Any] = {
            "tracking_number": shipment.tracking_number,
            "order_number": shipment.order_number,
            "title": shipment.order_number,
        }
        if slug:
            tracking["slug"] = slug
        try:
            code, data = await self._call("POST", "/trackings", json={"tracking": tracking})
            if code == 4003 and slug:  # it exists after all: read it
                number = quote(shipment.tracking_number, safe="")
                code, data = await self._call("GET", f"/trackings/{slug}/{number}")
            if code in UNKNOWN_NUMBER_CODES:
                return TrackingFailure(f"unknown tracking number (AfterShip {code})", unknown=True)
            if code not in (200, 201):
                return TrackingFailure(f"AfterShip answered {code}")
            found = data.get("tracking") if isinstance(data, dict) else None
            return parse_tracking(found) if found is not None else TrackingUpdate()
        except TrackerError as exc:
            return TrackingFailure(str(exc))

    def _match(
        self, shipment: TrackedShipment, trackings: Sequence[dict[str, Any]]
    ) -> dict[str, Any] | None:
        slug = self.slug(shipment)
        for tracking in trackings:
            if str(tracking.get("tracking_number", "")).upper() != shipment.tracking_number:
                continue
            if slug is None or tracking.get("slug") == slug:
                return tracking
        return None

    async def poll(self, shipments: Sequence[TrackedShipment]) -> dict[int, PollResult]:
        """Checkpoints of each shipment; a failed request fails the shipments it covered."""
        if self._given is not None:
            return await self._poll(shipments)
        headers = {"as-api-key": self._api_key, "Content-Type": "application/json"}
        async with httpx.AsyncClient(timeout=self._timeout, headers=headers) as client:
            self._client = client
            try:
                return await self._poll(shipments)
            finally:
                self._client = None

    async def _poll(self, shipments: Sequence[TrackedShipment]) -> dict[int, PollResult]:
        results: dict[int, PollResult] = {}
        for start in range(0, len(shipments), AFTERSHIP_BATCH):
            chunk = shipments[start : start + AFTERSHIP_BATCH]
            try:
                trackings = await self._list(chunk)
            except TrackerError as exc:
                for shipment in chunk:
                    results[shipment.shipment_id] = TrackingFailure(str(exc))
                continue
            missing = []
            for shipment in chunk:
                tracking = self._match(shipment, trackings)
                if tracking is None:
                    missing.append(shipment)
                    continue
                try:
                    results[shipment.shipment_id] = parse_tracking(tracking)
                except TrackerError as exc:
                    results[shipment.shipment_id] = TrackingFailure(str(exc))
            # AfterShip allows 10 requests a second; register a few at a time.
            for index in range(0, len(missing), 5):
                group = missing[index : index + 5]
                found = await asyncio.gather(*(self._register(s) for s in group))
                for shipment, result in zip(group, found, strict=True):
                    results[shipment.shipment_id] = result
        return results
