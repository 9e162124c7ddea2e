"""Broadcasts (issue 16): the merchant writes a message (text, or a photo with a caption, and
optionally a button to a product) to every customer or an RFM segment, previews it and sends it.

Sending stores the broadcast; a job fans it out in batches, each one short transaction that
records the batch's recipients (keyed (broadcast, customer)), queues their outbox rows (dedupe
key `broadcast:<id>:<customer>`) and moves the broadcast's cursor with a compare-and-set. A
crash in a batch rolls the whole batch back, and the next run starts again after the cursor:
no message is lost or queued twice, and a 100k-customer shop never builds one giant
transaction. The outbox delivers at Telegram's pace; its record of each send calls
`record_delivery` in the same transaction, which moves the recipient's outcome (once) and the
broadcast's counts, and queues the summary to the merchant when the last one is in.

Customers who turned optional messages off (/notifications) are skipped; customers known to
have blocked the bot are counted blocked without a send, and so is a 403 on the send (the
outbox row is given up, not held: a broadcast is not worth delivering weeks later)."""

from __future__ import annotations

import logging
import secrets
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from domain.insight.rfm import Segment, score_customers
from domain.marketing.ports import MarketingUnitOfWork
from domain.marketing.records import (
    ALL_CUSTOMERS,
    AUDIENCES,
    BROADCAST_TEMPLATE,
    CAPTION_MAX,
    DONE_TEMPLATE,
    TEXT_MAX,
    Broadcast,
    BroadcastStatus,
    Outcome,
)
from domain.shared import dialogs
from domain.shared.audit import NOTHING, record
from domain.shared.clock import Clock
from domain.shared.customers import Language, admin_actor
from domain.shared.dialogs import CONFIRM, Dialog, DialogKind, StaleDialogError
from domain.shared.errors import InvalidInputError
from domain.shared.journal import in_words
from domain.shared.notifications import Notification
from domain.shared.ports import UnitOfWorkFactory

log = logging.getLogger(__name__)

RECENT_SHOWN = 10
FAN_OUT_BATCH = 200  # a batch holds SQLite's writer lock ~0.1 s (bench/marketing.py)
# A finished broadcast keeps its recipients (who got it, who was skipped) this long, then only
# its counts: a shop of 100k customers would otherwise add 100k rows per broadcast for ever.
RECIPIENTS_KEPT = timedelta(days=30)
RETENTION_BATCH = 1000


@dataclass(frozen=True)
class AudienceSize:
    """An audience the merchant may choose, and how many customers it holds now."""

    audience: str
    customers: int


@dataclass
class FanOutStats:
    """What one fan-out run did."""

    queued: int = 0
    skipped: int = 0
    blocked: int = 0
    batches: int = 0
    finished: int = 0

    def __str__(self) -> str:
        return in_words(
            (self.queued, "broadcast messages queued"),
            (self.skipped, "skipped (opted out)"),
            (self.blocked, "blocked"),
            (self.batches, "batches"),
            (self.finished, "broadcasts finished"),
            idle="no broadcast to fan out",
        )

    def __bool__(self) -> bool:
        return bool(self.queued or self.skipped or self.blocked or self.finished)


def dedupe_key(broadcast_id: int, customer_id: int) -> str:
    """The outbox key of one recipient's message."""
    return f"broadcast:{broadcast_id}:{customer_id}"


def message_of(broadcast: Broadcast, customer_id: int, language: Language) -> Notification:
    """The message a recipient gets (the preview renders the same notification)."""
    params: dict[str, Any] = {"text": broadcast.text_html}
    if broadcast.id is not None:
        params["broadcast_id"] = broadcast.id
    if broadcast.photo_file_id:
        params["$photo"] = broadcast.photo_file_id
    if broadcast.product_id is not None:
        params["product_id"] = broadcast.product_id
    return Notification(
        chat_id=customer_id,
        template=BROADCAST_TEMPLATE,
        params=params,
        language=language,
        dedupe_key=dedupe_key(broadcast.id, customer_id) if broadcast.id is not None else None,
    )


def draft_of(dialog: Dialog, at: datetime) -> Broadcast:
    """The broadcast a dialog describes so far (for its preview and for sending)."""
    data = dialog.data
    product = data.get("product_id")
    return Broadcast(
        audience=str(data.get("audience", ALL_CUSTOMERS)),
        text_html=str(data.get("text") or ""),
        photo_file_id=str(data["photo"]) if data.get("photo") else None,
        product_id=int(product) if product is not None else None,
        language=None,
        created_by=dialog.user_id,
        created_at=at,
        audience_count=int(data.get("count", 0)),
    )


async def _queue_summary(
    uow: MarketingUnitOfWork, broadcast: Broadcast, admin_chat_id: int | None, at: datetime
) -> None:
    """The merchant's summary of a finished broadcast (once: keyed by the broadcast)."""
    assert broadcast.id is not None
    await uow.outbox.add(
        Notification(
            chat_id=admin_chat_id if admin_chat_id is not None else broadcast.created_by,
            template=DONE_TEMPLATE,
            params={
                "broadcast_id": broadcast.id,
                "audience": broadcast.audience,
                "sent": broadcast.sent,
                "failed": broadcast.failed,
                "blocked": broadcast.blocked,
                "skipped": broadcast.skipped,
            },
            language=None if admin_chat_id is not None else broadcast.language,
            dedupe_key=f"{DONE_TEMPLATE}:{broadcast.id}",
        ),
        at,
    )


async def _finish(
    uow: MarketingUnitOfWork, broadcast_id: int, admin_chat_id: int | None, at: datetime
) -> bool:
    if not await uow.broadcasts.finish(broadcast_id, at):
        return False
    broadcast = await uow.broadcasts.get(broadcast_id)
    assert broadcast is not None
    await _queue_summary(uow, broadcast, admin_chat_id, at)
    log.info(
        "broadcast %s done: %d sent, %d failed, %d blocked, %d skipped",
        broadcast_id,
        broadcast.sent,
        broadcast.failed,
        broadcast.blocked,
        broadcast.skipped,
    )
    return True


async def record_delivery(
    uow: MarketingUnitOfWork,
    notification: Notification,
    outcome: Outcome,
    at: datetime,
    admin_chat_id: int | None,
) -> None:
    """The outbox recorded a broadcast message's fate (in its own transaction): count it once,
    give up a blocked customer's row instead of holding it, and finish the broadcast when its
    last message is in. Other notifications are not ours."""
    if notification.template != BROADCAST_TEMPLATE or notification.id is None:
        return
    broadcast_id = notification.params.get("broadcast_id")
    if not isinstance(broadcast_id, int) or isinstance(broadcast_id, bool):
        return
    if outcome == Outcome.BLOCKED:
        await uow.outbox.give_up(notification.id, "blocked: broadcast not held", at)
    if await uow.broadcasts.record_outcome(broadcast_id, notification.chat_id, outcome):
        await _finish(uow, broadcast_id, admin_chat_id, at)


class Broadcasts:
    """The merchant's broadcasts: compose, preview, send, fan out, follow."""

    def __init__(
        self,
        uow: UnitOfWorkFactory[MarketingUnitOfWork],
        clock: Clock,
        *,
        currency: str,
        admin_chat_id: int | None,
        tokens: Callable[[], str] = lambda: secrets.token_urlsafe(6),
        batch_size: int = FAN_OUT_BATCH,
        admins: frozenset[int] = frozenset(),
    ) -> None:
        self._uow = uow
        # The shop's admins write broadcasts and see the preview; they are not the audience
        # (an admin who never opened a private chat with the bot would count as blocked).
        self.admins = admins
        self._clock = clock
        self.currency = currency
        self.admin_chat_id = admin_chat_id
        self._tokens = tokens
        self.batch_size = max(1, batch_size)
        # Pending counts seen at the last run, per delivering broadcast: one that did not move
        # is looked at for recipients who blocked the bot meanwhile (the outbox holds those).
        self._pending_seen: dict[int, int] = {}
        # The counts each card last showed, in this process (moved() says which changed).
        self._shown: dict[int, tuple[object, ...]] = {}

    # --- audiences -------------------------------------------------------------------------

    async def _segments(self) -> dict[str, list[int]]:
        """Each segment's customer ids, ascending (RFM over every customer's orders, now)."""
        async with self._uow(readonly=True) as uow:
            totals = await uow.insight.customer_totals(self.currency)
        members: dict[str, list[int]] = {s.value: [] for s in Segment}
        for value in score_customers(totals, self._clock.now()):
            if value.totals.customer_id not in self.admins:
                members[value.segment.value].append(value.totals.customer_id)
        return {segment: sorted(ids) for segment, ids in members.items()}

    async def _everyone(self, uow: MarketingUnitOfWork) -> int:
        """How many customers "all customers" holds now (the shop's admins left out)."""
        admins = await uow.broadcasts.recipients(sorted(self.admins)) if self.admins else []
        return await uow.broadcasts.customer_count() - len(admins)

    async def audiences(self) -> list[AudienceSize]:
        """Every audience with its size now: all customers, then each RFM segment."""
        async with self._uow(readonly=True) as uow:
            everyone = await self._everyone(uow)
        segments = await self._segments()
        return [AudienceSize(ALL_CUSTOMERS, everyone)] + [
            AudienceSize(segment, len(ids)) for segment, ids in segments.items()
        ]

    # --- the dialog ------------------------------------------------------------------------

    async def _dialog(
        self, uow: MarketingUnitOfWork, chat_id: int, admin_id: int, token: str | None = None
    ) -> Dialog:
        dialog = await uow.dialogs.get(chat_id, admin_id)
        if (
            dialog is None
            or dialog.kind != DialogKind.BROADCAST
            or (token is not None and dialog.token != token)
            or dialog.expired(self._clock.now())
        ):
            raise StaleDialogError()
        return dialog

    async def start(self, chat_id: int, admin_id: int, audience: str) -> Dialog:
        """Begin a broadcast to an audience: its message is asked next."""
        if audience not in AUDIENCES:
            raise StaleDialogError()
        if audience == ALL_CUSTOMERS:
            async with self._uow(readonly=True) as uow:
                count = await self._everyone(uow)
        else:
            count = len((await self._segments()).get(audience, []))
        async with self._uow() as uow:
            dialog = dialogs.start(
                chat_id,
                admin_id,
                DialogKind.BROADCAST,
                self._tokens(),
                self._clock.now(),
                audience=audience,
                count=count,
            )
            await uow.dialogs.save(dialog)
            await uow.commit()
        return dialog

    async def give_message(
        self, chat_id: int, admin_id: int, text_html: str, length: int, photo: str | None
    ) -> Dialog:
        """The message: text (`length` visible characters, as HTML) or a photo with an optional
        caption. A product button is offered next."""
        limit = CAPTION_MAX if photo else TEXT_MAX
        if not (0 if photo else 1) <= length <= limit:
            raise InvalidInputError("adm.error.text_length", min=1, max=limit, length=length)
        async with self._uow() as uow:
            dialog = await self._dialog(uow, chat_id, admin_id)
            if dialog.step != "message":
                raise InvalidInputError("mkt.error.sku_expected")
            dialog.data["text"] = text_html
            dialog.data["photo"] = photo
            dialog.advance()
            dialog.updated_at = self._clock.now()
            await uow.dialogs.save(dialog)
            await uow.commit()
        return dialog

    async def give_product(self, chat_id: int, admin_id: int, sku: str) -> Dialog:
        """The product the message's button opens, by SKU; the preview comes next."""
        async with self._uow() as uow:
            dialog = await self._dialog(uow, chat_id, admin_id)
            if dialog.step != "product":
                raise StaleDialogError()
            wanted = sku.strip()[:32]
            found = await uow.backoffice.product_id_by_sku(wanted)
            if found is None:  # SKUs are usually upper case; typed ones often are not
                found = await uow.backoffice.product_id_by_sku(wanted.upper())
            product = await uow.products.get(found) if found is not None else None
            if product is None or not product.active:
                raise InvalidInputError("mkt.error.no_product", sku=wanted)
            dialog.data["product_id"] = product.id
            dialog.data["product"] = product.name
            dialog.advance()
            dialog.updated_at = self._clock.now()
            await uow.dialogs.save(dialog)
            await uow.commit()
        return dialog

    async def skip_product(self, chat_id: int, admin_id: int, token: str) -> Dialog:
        """No product button; the preview comes next."""
        async with self._uow() as uow:
            dialog = await self._dialog(uow, chat_id, admin_id, token)
            if dialog.step != "product":
                raise StaleDialogError()
            dialog.advance()
            dialog.updated_at = self._clock.now()
            await uow.dialogs.save(dialog)
            await uow.commit()
        return dialog

    async def send(self, chat_id: int, admin_id: int, token: str, language: Language) -> Broadcast:
        """Send the previewed broadcast: stored (the fan-out job queues it), the dialog ends,
        audited. A second tap finds no dialog (StaleDialogError), even one in flight at the
        same time: it is sent once."""
        now = self._clock.now()
        async with self._uow() as uow:
            dialog = await self._dialog(uow, chat_id, admin_id, token)
            if dialog.step != CONFIRM:
                raise StaleDialogError()
            broadcast = draft_of(dialog, now)
            broadcast.language = language
            # Taking the dialog is what makes Send once: of two taps at once, both may read it
            # (PostgreSQL has no writer lock), but one DELETE takes the row and the other, once
            # the first commits, finds it gone.
            if not await uow.dialogs.delete(chat_id, admin_id, dialog.token):
                raise StaleDialogError()
            broadcast.id = await uow.broadcasts.add(broadcast)
            details = {
                "broadcast": broadcast.id,
                "audience": broadcast.audience,
                "customers": broadcast.audience_count,
            }
            await record(uow, admin_actor(admin_id), "broadcast", NOTHING, details, at=now)
            await uow.commit()
        log.info("broadcast %s to %s sent by an admin", broadcast.id, broadcast.audience)
        return broadcast

    # --- following it ----------------------------------------------------------------------

    async def get(self, broadcast_id: int) -> Broadcast | None:
        """One broadcast with its counts."""
        async with self._uow(readonly=True) as uow:
            return await uow.broadcasts.get(broadcast_id)

    async def recent(self) -> list[Broadcast]:
        """The newest broadcasts first."""
        async with self._uow(readonly=True) as uow:
            return await uow.broadcasts.recent(RECENT_SHOWN)

    async def set_card(self, broadcast_id: int, chat_id: int, message_id: int) -> None:
        """Where the merchant's card of the broadcast is, so the job keeps it up to date."""
        async with self._uow() as uow:
            await uow.broadcasts.set_card(broadcast_id, chat_id, message_id)
            await uow.commit()

    async def moved(self) -> list[Broadcast]:
        """Broadcasts with a card whose counts or status changed since this process last
        asked (those that finished since included, once): the cards to update."""
        async with self._uow(readonly=True) as uow:
            current = {b.id or 0: b for b in await uow.broadcasts.unfinished()}
            for gone in set(self._shown) - set(current):  # finished since
                found = await uow.broadcasts.get(gone)
                if found is not None:
                    current[gone] = found
        changed = []
        for broadcast_id, broadcast in current.items():
            if broadcast.card_message_id is None:
                continue
            counts = (
                broadcast.status,
                broadcast.queued,
                broadcast.sent,
                broadcast.failed,
                broadcast.blocked,
                broadcast.skipped,
            )
            if self._shown.get(broadcast_id) != counts:
                changed.append(broadcast)
            if broadcast.status == BroadcastStatus.DONE:
                self._shown.pop(broadcast_id, None)
            else:
                self._shown[broadcast_id] = counts
        return changed

    # --- the job ---------------------------------------------------------------------------

    async def forget_recipients(self) -> int:
        """Retention: the recipient rows of broadcasts finished more than `RECIPIENTS_KEPT`
        ago, deleted in batches of one short transaction each (the counts stay)."""
        before = self._clock.now() - RECIPIENTS_KEPT
        forgotten = 0
        for _ in range(100_000):  # a bound, not a limit: each batch removes its rows from view
            async with self._uow() as uow:
                gone = await uow.broadcasts.forget_recipients(before, RETENTION_BATCH)
                await uow.commit()
            forgotten += gone
            if gone < RETENTION_BATCH:
                break
        return forgotten

    async def fan_out(self) -> FanOutStats:
        """Queue every unfinished broadcast's messages, batch by batch (see the module
        docstring); a broadcast whose messages all have an outcome is finished here too (one
        that queued nothing, or whose last outcome came in while it was still fanning out)."""
        stats = FanOutStats()
        async with self._uow(readonly=True) as uow:
            unfinished = await uow.broadcasts.unfinished()
        segments: dict[str, list[int]] | None = None
        for broadcast in unfinished:
            assert broadcast.id is not None
            if broadcast.status == BroadcastStatus.FANNING_OUT:
                members: list[int] | None = None
                if broadcast.audience != ALL_CUSTOMERS:
                    if segments is None:  # one RFM scoring per run, for every broadcast
                        segments = await self._segments()
                    members = segments.get(broadcast.audience, [])
                while True:
                    more = await self._batch(broadcast.id, members, stats)
                    stats.batches += 1
                    if not more:
                        break
            async with self._uow() as uow:
                now = self._clock.now()
                stalled = broadcast.status == BroadcastStatus.DELIVERING and broadcast.pending > 0
                if stalled and self._pending_seen.get(broadcast.id) == broadcast.pending:
                    settled = await uow.broadcasts.settle_stalled(broadcast.id, now)
                    stats.blocked += settled.get(Outcome.BLOCKED, 0)
                self._pending_seen[broadcast.id] = broadcast.pending
                if await _finish(uow, broadcast.id, self.admin_chat_id, now):
                    stats.finished += 1
                    self._pending_seen.pop(broadcast.id, None)
                await uow.commit()
        return stats

    async def _batch(
        self, broadcast_id: int, members: list[int] | None, stats: FanOutStats
    ) -> bool:
        """One batch in one transaction; True while there is more to do."""
        now = self._clock.now()
        async with self._uow() as uow:
            broadcast = await uow.broadcasts.get(broadcast_id)
            if broadcast is None or broadcast.status != BroadcastStatus.FANNING_OUT:
                return False
            cursor = broadcast.cursor
            if members is None:
                ids = await uow.broadcasts.customer_ids_after(cursor, self.batch_size)
            else:
                start = bisect_right(members, cursor)
                ids = members[start : start + self.batch_size]
            last = len(ids) < self.batch_size
            recipients = await uow.broadcasts.recipients([i for i in ids if i not in self.admins])
            outcomes = {
                r.customer_id: (
                    Outcome.SKIPPED
                    if not r.optional_messages
                    else Outcome.BLOCKED
                    if not r.reachable
                    else Outcome.QUEUED
                )
                for r in recipients
            }
            new = await uow.broadcasts.add_recipients(broadcast_id, outcomes)
            counts: Counter[Outcome] = Counter(outcomes[c] for c in new)
            messages = counts[Outcome.QUEUED]
            for recipient in recipients:
                if (
                    recipient.customer_id in new
                    and outcomes[recipient.customer_id] == Outcome.QUEUED
                ):
                    await uow.outbox.add(
                        message_of(broadcast, recipient.customer_id, recipient.language), now
                    )
            # `queued` counts every recipient owed an outcome (sent, failed or blocked), so
            # those known to have blocked the bot, decided here, are in it too.
            counted = counts + Counter({Outcome.QUEUED: counts[Outcome.BLOCKED]})
            moved = await uow.broadcasts.advance(
                broadcast_id, cursor, ids[-1] if ids else cursor, counted, now if last else None
            )
            if not moved:  # another run moved it meanwhile: this batch is theirs
                return False
            await uow.commit()
        stats.queued += messages
        stats.skipped += counts[Outcome.SKIPPED]
        stats.blocked += counts[Outcome.BLOCKED]
        return not last
