"""A notification that names a chart is sent as a photo drawn at send time, captioned in the
reader's language; without a drawer it is undeliverable (not sent as bare text)."""

from __future__ import annotations

from typing import Any

from bot.notify import TelegramSender
from bot.texts import Texts
from domain.insight.summary import CHART_PARAM, DAILY_SALES_CHART, WEEKLY_CHART_TEMPLATE
from domain.shared.customers import Language
from domain.shared.notifications import Notification
from jobs.outbox import Sent, Undeliverable
from tests.unit.fakes import FakeUnitOfWorkFactory


class RecordingBot:
    """Records what would go to Telegram."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any, dict[str, Any]]] = []

    async def send_photo(self, chat_id: int, photo: Any, **kwargs: Any) -> None:
        self.calls.append(("photo", photo, {"chat_id": chat_id, **kwargs}))

    async def send_message(self, chat_id: int, text: str, **kwargs: Any) -> None:
        self.calls.append(("text", text, {"chat_id": chat_id, **kwargs}))


ROW = Notification(
    chat_id=-100,
    template=WEEKLY_CHART_TEMPLATE,
    params={CHART_PARAM: DAILY_SALES_CHART, "first": "2026-05-25", "last": "2026-05-31"},
)


async def test_a_chart_row_is_drawn_in_the_admins_language_and_sent_as_a_photo() -> None:
    drawn: list[tuple[str, Language]] = []

    async def draw(notification: Notification, language: Language) -> bytes:
        drawn.append((notification.params["last"], language))
        return b"\x89PNG..."

    bot = RecordingBot()
    sender = TelegramSender(bot, Texts(), FakeUnitOfWorkFactory(), Language.ZH, draw)  # type: ignore[arg-type]
    assert await sender(ROW) == Sent()
    assert drawn == [("2026-05-31", Language.ZH)]
    ((kind, photo, kwargs),) = bot.calls
    assert (kind, photo) == ("photo", b"\x89PNG...")
    assert kwargs["caption"] == "📈 每日销售额与订单数 2026-05-25 – 2026-05-31"


async def test_a_chart_row_without_a_drawer_is_undeliverable() -> None:
    bot = RecordingBot()
    sender = TelegramSender(bot, Texts(), FakeUnitOfWorkFactory(), Language.EN)  # type: ignore[arg-type]
    assert isinstance(await sender(ROW), Undeliverable)
    assert bot.calls == []
