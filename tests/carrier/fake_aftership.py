"""FakeAfterShip: a local HTTP server speaking the AfterShip Tracking API (2024-04), with the
faults a real aggregator has: 500s, slow answers (client timeouts), malformed JSON, numbers it
cannot track.

Usage::

    carrier = await FakeAfterShip(api_key="k").start()      # carrier.url is the base URL
    carrier.ship("sf-express", "SF1234567890123")            # the carrier knows this parcel
    carrier.checkpoint("sf-express", "SF1234567890123", "InTransit", "Left the hub", "Shenzhen")
    carrier.fail_next(500)                                    # the next request answers 500
    await carrier.stop()

What it implements, as documented by AfterShip: `as-api-key` authentication; the
`{"meta": {...}, "data": {...}}` envelope; `GET /trackings?tracking_numbers=...` (at most 50,
`created_at_min` defaulting to 30 days ago, `limit` ≤ 200); `POST /trackings` with
`{"tracking": {...}}` (201; 4003 if it exists; 4012 if the carrier cannot be recognised); and
`GET /trackings/{slug}/{tracking_number}` (4004 if unknown). A parcel's checkpoints become
visible once its tracking is registered, as at AfterShip."""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web


@dataclass
class Parcel:
    """What the carrier knows about a parcel."""

    slug: str
    number: str
    checkpoints: list[dict[str, Any]] = field(default_factory=list)
    registered_at: datetime | None = None
    id: str = ""

    @property
    def tag(self) -> str:
        return self.checkpoints[-1]["tag"] if self.checkpoints else "Pending"


@dataclass
class _Fault:
    kind: str  # "status", "slow", "malformed"
    status: int = 500
    seconds: float = 0.0


def _time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


class FakeAfterShip:
    """The fake server."""

    def __init__(self, api_key: str = "test-aftership-key", *, now: Any = None) -> None:
        self.api_key = api_key
        self.parcels: dict[tuple[str, str], Parcel] = {}
        self.unknown: set[str] = set()  # numbers no carrier recognises
        self.requests: list[tuple[str, str, dict[str, Any]]] = []
        self._faults: deque[_Fault] = deque()
        self._ids = itertools.count(1)
        self._now = now or (lambda: datetime.now(UTC))
        self._runner: web.AppRunner | None = None
        self.url = ""

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> FakeAfterShip:
        app = web.Application()
        app.router.add_get("/tracking/2024-04/trackings", self._list)
        app.router.add_post("/tracking/2024-04/trackings", self._create)
        app.router.add_get("/tracking/2024-04/trackings/{slug}/{number}", self._get)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = int(self._runner.addresses[0][1])
        self.url = f"http://127.0.0.1:{port}/tracking/2024-04"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- the world ---------------------------------------------------------------------------

    def ship(self, slug: str, number: str, *, registered: bool = False) -> Parcel:
        """A parcel the carrier knows (AfterShip follows it once registered)."""
        parcel = self.parcels.setdefault((slug, number), Parcel(slug, number))
        if registered and parcel.registered_at is None:
            parcel.registered_at = self._now()
            parcel.id = f"trk{next(self._ids):06d}"
        return parcel

    def checkpoint(
        self,
        slug: str,
        number: str,
        tag: str,
        message: str = "",
        location: str = "",
        at: datetime | None = None,
    ) -> None:
        """The carrier scans the parcel."""
        parcel = self.ship(slug, number)
        when = at or (self._now() - timedelta(minutes=len(parcel.checkpoints)))
        parcel.checkpoints.append(
            {
                "created_at": _time(self._now()),
                "slug": slug,
                "checkpoint_time": when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                "location": location,
                "city": None,
                "state": None,
                "zip": None,
                "country_iso3": "CHN",
                "country_name": "China",
                "message": message,
                "tag": tag,
                "subtag": f"{tag}_001",
                "subtag_message": tag,
                "raw_tag": "",
            }
        )

    def fail_next(self, status: int = 500, times: int = 1) -> None:
        """The next `times` requests answer with this HTTP status."""
        self._faults.extend(_Fault("status", status=status) for _ in range(times))

    def slow_next(self, seconds: float, times: int = 1) -> None:
        """The next `times` requests answer only after `seconds` (for client timeouts)."""
        self._faults.extend(_Fault("slow", seconds=seconds) for _ in range(times))

    def malformed_next(self, times: int = 1) -> None:
        """The next `times` requests answer with a body that is not JSON."""
        self._faults.extend(_Fault("malformed") for _ in range(times))

    def calls(self, method: str, path_part: str = "") -> list[tuple[str, str, dict[str, Any]]]:
        return [r for r in self.requests if r[0] == method and path_part in r[1]]

    # -- HTTP --------------------------------------------------------------------------------

    def _tracking(self, parcel: Parcel) -> dict[str, Any]:
        return {
            "id": parcel.id,
            "created_at": _time(parcel.registered_at or self._now()),
            "updated_at": _time(self._now()),
            "tracking_number": parcel.number,
            "slug": parcel.slug,
            "active": parcel.tag not in ("Delivered", "Expired"),
            "tag": parcel.tag,
            "subtag": f"{parcel.tag}_001",
            "subtag_message": parcel.tag,
            "title": parcel.number,
            "checkpoints": list(parcel.checkpoints),
        }

    @staticmethod
    def _answer(status: int, code: int, message: str, data: Any) -> web.Response:
        kind = {200: "OK", 201: "Created", 400: "BadRequest", 401: "Unauthorized", 404: "NotFound"}
        meta = {"code": code, "message": message, "type": kind.get(status, "Error")}
        return web.json_response({"meta": meta, "data": data}, status=status)

    async def _fault(self, request: web.Request) -> web.Response | None:
        body: dict[str, Any] = {}
        if request.can_read_body:
            try:
                body = await request.json()
            except ValueError:
                body = {"raw": await request.text()}
        self.requests.append((request.method, request.path_qs, body))
        if request.headers.get("as-api-key") != self.api_key:
            return self._answer(401, 401, "The API key is invalid.", {})
        if not self._faults:
            return None
        fault = self._faults.popleft()
        if fault.kind == "status":
            return self._answer(fault.status, fault.status, "Something went wrong.", {})
        if fault.kind == "slow":
            await asyncio.sleep(fault.seconds)
            return None
        return web.Response(text='{"meta": {"code": 200}, "data": {"trackings": [', status=200)

    async def _list(self, request: web.Request) -> web.Response:
        fault = await self._fault(request)
        if fault is not None:
            return fault
        numbers = [n for n in request.query.get("tracking_numbers", "").split(",") if n]
        if len(numbers) > 50:
            return self._answer(400, 4008, "The value of tracking_numbers is invalid.", {})
        raw_min = request.query.get("created_at_min")
        since = (
            datetime.fromisoformat(raw_min.replace("Z", "+00:00"))
            if raw_min
            else self._now() - timedelta(days=30)
        )
        limit = min(int(request.query.get("limit", "100")), 200)
        found = [
            self._tracking(p)
            for p in self.parcels.values()
            if p.registered_at is not None
            and p.registered_at >= since
            and (not numbers or p.number in numbers)
        ][:limit]
        data = {"page": 1, "limit": limit, "count": len(found), "trackings": found}
        return self._answer(200, 200, "OK", data)

    async def _create(self, request: web.Request) -> web.Response:
        fault = await self._fault(request)
        if fault is not None:
            return fault
        body = self.requests[-1][2]
        tracking = body.get("tracking") if isinstance(body, dict) else None
        if not isinstance(tracking, dict) or not tracking.get("tracking_number"):
            return self._answer(400, 4007, "tracking_number is required.", {})
        number = str(tracking["tracking_number"])
        slug = tracking.get("slug")
        if number in self.unknown:
            return self._answer(
                400, 4012, "Unable to import shipment as we don't recognize the carrier.", {}
            )
        if slug is None:  # detect the carrier from what it knows
            slug = next((s for s, n in self.parcels if n == number), None)
            if slug is None:
                return self._answer(400, 4012, "Unable to detect the carrier.", {})
        parcel = self.parcels.get((str(slug), number))
        if parcel is not None and parcel.registered_at is not None:
            return self._answer(400, 4003, "Tracking already exists.", {"tracking": {}})
        parcel = self.ship(str(slug), number, registered=True)
        return self._answer(201, 201, "Created", {"tracking": self._tracking(parcel)})

    async def _get(self, request: web.Request) -> web.Response:
        fault = await self._fault(request)
        if fault is not None:
            return fault
        parcel = self.parcels.get((request.match_info["slug"], request.match_info["number"]))
        if parcel is None or parcel.registered_at is None:
            return self._answer(404, 4004, "Tracking does not exist.", {})
        return self._answer(200, 200, "OK", {"tracking": self._tracking(parcel)})
