"""Locale catalogs: both languages say the same things, every key the code uses exists, and
parameters are escaped so user text cannot break Telegram HTML."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.insight.handlers import COMMANDS as INSIGHT_COMMANDS
from bot.insight.views import REPORT_FIGURES
from bot.notify import TelegramSender
from bot.privacy.handlers import ADMIN_COMMANDS as PRIVACY_COMMANDS
from bot.promotions.handlers import ADMIN_COMMANDS as PROMO_COMMANDS
from bot.shared.handlers import CUSTOMER_COMMANDS
from bot.texts import Html, Texts, load_catalog, load_plurals, placeholders
from bot.views import Views
from domain.checkout.flow import TEXT_STEPS
from domain.checkout.shop import Shop
from domain.checkout.shop_base import ShopConfig
from domain.checkout.validation import check_address, check_phone, check_recipient
from domain.insight.forecast import Method
from domain.insight.report import PeriodProblem
from domain.insight.restock_records import ACTIVE, RestockStatus
from domain.insight.rfm import Segment
from domain.orders.lifecycle import OrderEventType, OrderStatus
from domain.orders.model import PaymentMethod
from domain.promotions.rules import REASONS as PROMO_REASONS
from domain.promotions.spec import MISTAKES as PROMO_MISTAKES
from domain.reactions import ORDER_FLOW
from domain.shared.audit import ACTIONS as AUDIT_ACTIONS
from domain.shared.clock import FixedClock
from domain.shared.customers import Customer, Language
from domain.shared.errors import (
    DomainError,
    IllegalTransitionError,
    InvalidQuantityError,
    OutOfStockError,
)
from domain.shared.money import Money
from domain.shared.notifications import Notification
from tests.unit.fakes import FakeUnitOfWorkFactory

ROOT = Path(__file__).resolve().parents[3]
# The local Bot API server and the playground (Telegram's side, and the page around the chats)
# use none of the bot's texts; their dotted strings are module names and file names.
NOT_TEXTS = (ROOT / "bot" / "botapi", ROOT / "bot" / "playground")
SOURCES = sorted(
    path
    for folder in ("bot", "domain", "jobs")
    for path in (ROOT / folder).rglob("*.py")
    if not any(path.is_relative_to(other) for other in NOT_TEXTS)
)
EN = load_catalog(Language.EN)
ZH = load_catalog(Language.ZH)
LITERAL_KEY = re.compile(r"""["']([a-z_]+(?:\.[a-z_]+)+)["']""")
DYNAMIC_KEY = re.compile(r"""f["']([a-z_]+(?:\.[a-z_]+)*)\.\{""")
# Every family of keys the code builds at run time, with the values it builds them from.
FAMILIES = {
    "status": [s.value for s in OrderStatus],
    "event": [e.value for e in OrderEventType],
    "payment": [m.value for m in PaymentMethod],
    "commands": list(CUSTOMER_COMMANDS),
    "checkout.ask": [s.value for s in TEXT_STEPS],
    "checkout.now": [s.value for s in TEXT_STEPS],
    "checkout.placeholder": [s.value for s in TEXT_STEPS],
    # insight (bot/insight/)
    "insight.command": list(INSIGHT_COMMANDS),
    "insight.period": [p.value for p in PeriodProblem],
    "insight.report": list(REPORT_FIGURES),
    "insight.customers": [s.value for s in Segment],
    "insight.forecast": [m.value for m in Method] + ["beats", "loses"],
    "insight.flow": ["placed_to_paid", "paid_to_shipped", "shipped_to_delivered"],
    "insight.restock": [s.value for s in RestockStatus if s in ACTIVE],
    # finding orders, the audit log (bot/privacy/)
    "privacy.command": list(PRIVACY_COMMANDS),
    "privacy.audit.action": list(AUDIT_ACTIONS),
    # promo codes (bot/promotions/, domain/promotions/)
    "promo.command": list(PROMO_COMMANDS),
    "promo.adm.bad": list(PROMO_MISTAKES),
    "promo.why": list(PROMO_REASONS),
}


def _literal_keys() -> list[tuple[str, str]]:
    found = set()
    for path in SOURCES:
        for key in LITERAL_KEY.findall(path.read_text(encoding="utf-8")):
            found.add((key, path.relative_to(ROOT).as_posix()))
    return sorted(found)


LITERAL_KEYS = _literal_keys()


@pytest.fixture(scope="module")
def texts() -> Texts:
    return Texts()


def test_both_languages_define_the_same_keys() -> None:
    assert set(EN) - set(ZH) == set(), "missing in zh"
    assert set(ZH) - set(EN) == set(), "missing in en"
    assert len(EN) > 100


@pytest.mark.parametrize("key", sorted(EN))
def test_both_languages_use_the_same_placeholders(key: str) -> None:
    assert placeholders(ZH[key]) == placeholders(EN[key])


def test_the_source_scan_finds_keys_in_every_layer() -> None:
    files = {where for _, where in LITERAL_KEYS}
    assert {
        "bot/catalog/views.py",
        "bot/checkout/handlers.py",
        "domain/shared/errors.py",
        "domain/checkout/validation.py",
        "domain/checkout/ordering.py",
    } <= files
    assert len(LITERAL_KEYS) > 80


@pytest.mark.parametrize(("key", "where"), LITERAL_KEYS)
def test_every_key_written_in_the_code_exists(key: str, where: str) -> None:
    assert key in EN, f"{where} uses {key!r}, which en.toml lacks"


def _text_calls() -> list[tuple[str, str, set[str]]]:
    """Calls like t(lang, "key", a=..., b=...) in bot/: (where, key, keyword names)."""
    calls = []
    for path in SOURCES:
        if path.relative_to(ROOT).parts[0] != "bot":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
                and isinstance(node.args[1].value, str)
                and LITERAL_KEY.fullmatch(f'"{node.args[1].value}"')
                and all(k.arg is not None for k in node.keywords)  # no **params
            ):
                names = {k.arg for k in node.keywords if k.arg is not None}
                calls.append(
                    (
                        f"{path.relative_to(ROOT).as_posix()}:{node.lineno}",
                        node.args[1].value,
                        names,
                    )
                )
    return calls


TEXT_CALLS = _text_calls()


def test_the_call_scan_finds_the_text_calls() -> None:
    assert len(TEXT_CALLS) > 80


@pytest.mark.parametrize(("where", "key", "given"), TEXT_CALLS, ids=[w for w, _, _ in TEXT_CALLS])
def test_every_text_call_fills_exactly_the_placeholders_of_its_key(
    where: str, key: str, given: set[str]
) -> None:
    assert placeholders(EN[key]) == given


@pytest.mark.parametrize(
    "error", [DomainError, *DomainError.__subclasses__()], ids=lambda e: e.__name__
)
def test_every_domain_error_has_a_text(error: type[DomainError]) -> None:
    assert error.key in EN


def test_keys_are_built_only_from_known_families() -> None:
    used = {
        family
        for path in SOURCES
        for family in DYNAMIC_KEY.findall(path.read_text(encoding="utf-8"))
    }
    assert used == set(FAMILIES)


@pytest.mark.parametrize(
    "key", [f"{family}.{name}" for family, names in FAMILIES.items() for name in names]
)
def test_every_key_of_a_family_exists(key: str) -> None:
    assert key in EN


def test_parameters_are_html_escaped(texts: Texts) -> None:
    text = texts(Language.EN, "start.welcome", name='<b>&"', shop="Tea & Co")
    assert "&lt;b&gt;&amp;" in text
    assert "<b>&" not in text
    assert "Tea &amp; Co" in text
    assert text.startswith("👋 Hi &lt;b&gt;&amp;")


def test_html_parameters_are_kept_as_they_are(texts: Texts) -> None:
    text = texts(
        Language.EN, "checkout.details_saved", recipient="A", phone="1", address=Html("<i>x</i>")
    )
    assert text.endswith("<i>x</i>")


def test_a_missing_key_is_an_error(texts: Texts) -> None:
    with pytest.raises(KeyError):
        texts(Language.EN, "no.such_key")


@pytest.mark.parametrize(
    ("money", "lang", "shown"),
    [
        (Money(1250, "USD"), Language.EN, "$12.50"),
        (Money(1250, "USD"), Language.ZH, "US$12.50"),
        (Money(1250, "JPY"), Language.EN, "¥1,250"),
        (Money(1250, "CNY"), Language.ZH, "¥12.50"),
        (Money(123456789, "USD"), Language.EN, "$1,234,567.89"),
        (Money(25, "XTR"), Language.EN, "⭐25"),
    ],
)
def test_money_is_shown_in_the_readers_conventions(
    texts: Texts, money: Money, lang: Language, shown: str
) -> None:
    assert texts.money(money, lang) == shown


def test_money_parameters_are_formatted(texts: Texts) -> None:
    assert texts(Language.EN, "cart.total", total=Money(1250, "USD")) == "\nTotal: <b>$12.50</b>"
    stored = {"$money": [1250, "USD"]}
    assert texts(Language.EN, "cart.total", total=stored) == "\nTotal: <b>$12.50</b>"


def test_times_are_shown_in_the_shops_zone() -> None:
    at = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert Texts("Asia/Shanghai").when(at, Language.EN) == "2026-01-01 20:00"


def _raise(call: object) -> DomainError:
    try:
        call()  # type: ignore[operator]
    except DomainError as exc:
        return exc
    raise AssertionError("no error raised")


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda: _raise(lambda: check_address("x" * 1000)), ["1000", "300"]),
        (lambda: _raise(lambda: check_address("x")), ["5"]),
        (lambda: _raise(lambda: check_recipient("")), ["2", "64"]),
        (lambda: _raise(lambda: check_phone("12ab")), ["+1 202 555 0143"]),
        (lambda: InvalidQuantityError(min=1, max=99), ["1", "99"]),
        (lambda: OutOfStockError(name="<Tea>", available=2), ["2", "&lt;Tea&gt;"]),
        (lambda: IllegalTransitionError(status="paid", action="cancel"), ["paid"]),
        (
            lambda: IllegalTransitionError(status="pending_payment", action="cancel"),
            ["awaiting payment"],
        ),
    ],
)
@pytest.mark.parametrize("lang", list(Language))
def test_domain_errors_render_with_their_parameters(
    texts: Texts, make: object, expected: list[str], lang: Language
) -> None:
    error = make()  # type: ignore[operator]
    text = Views(texts, "Shop").error(lang, error)
    assert "{" not in text
    if lang == Language.EN:
        assert text != texts(lang, "error.generic")
        for part in expected:
            assert part in text


async def test_merchant_alerts_queued_by_the_shop_render_in_both_languages(texts: Texts) -> None:
    uow = FakeUnitOfWorkFactory()
    store = uow.store
    store.customers[7] = Customer(7, "<Ada>", "ada")
    tea = store.add_product("Green & tea", Money(1250, "USD"), stock=5)
    shop = Shop(
        uow, FixedClock(), ShopConfig("USD", Money(500, "USD"), admin_chat_id=-1), flow=ORDER_FLOW
    )
    await shop.add_to_cart(7, tea.id, 2)
    token = (await shop.start_checkout(7)).checkout.token
    await shop.give_recipient(7, "Ada")
    await shop.give_phone(7, "+12025550143", from_contact=False)
    await shop.give_address(7, "1 Main Street")
    await shop.choose_payment(7, token, "bank")
    number = (await shop.place_order(7, token)).order.number
    await shop.cancel_my_order(7, number)

    alerts = [entry.notification for entry in store.outbox.values()]
    assert {a.template for a in alerts} == {"admin.new_order", "admin.order_cancelled"}
    for lang in Language:
        sender = TelegramSender(None, texts, uow, lang)  # type: ignore[arg-type]
        for alert in alerts:
            text, markup = sender.render(alert)
            assert number in text
            assert "$30.00" in text
            assert "&lt;Ada&gt; (@ada)" in text
            assert "{" not in text
            assert markup is not None, "an order alert has a button to open the order"
            [[open_order]] = markup.inline_keyboard
            assert open_order.callback_data == f"ao:{number}"
    new_order = TelegramSender(None, texts, uow, Language.EN).render(  # type: ignore[arg-type]
        next(a for a in alerts if a.template == "admin.new_order")
    )[0]
    assert "• 2 × Green &amp; tea" in new_order
    assert "🏦 Bank transfer" in new_order


def test_a_notification_with_buttons_gets_a_keyboard(texts: Texts) -> None:
    sender = TelegramSender(None, texts, FakeUnitOfWorkFactory(), Language.EN)  # type: ignore[arg-type]
    _, markup = sender.render(
        Notification(
            chat_id=1, template="menu.catalog", buttons=[[("nav.menu", "m")]], language=Language.ZH
        )
    )
    assert markup is not None
    (row,) = markup.inline_keyboard
    assert [(b.text, b.callback_data) for b in row] == [(ZH["nav.menu"], "m")]


def test_every_plural_form_uses_the_placeholders_of_its_key() -> None:
    for lang in Language:
        for key, forms in load_plurals(lang).items():
            assert "n" in placeholders(forms["other"]), f"{key}: the form is picked by {{n}}"
            for form, text in forms.items():
                assert placeholders(text) == placeholders(forms["other"]), f"{lang} {key} {form}"


@pytest.mark.parametrize(
    ("lang", "n", "shown"),
    [
        (Language.EN, 1, "Your cart has 1 item."),
        (Language.EN, 0, "Your cart has 0 items."),
        (Language.EN, 4, "Your cart has 4 items."),
        (Language.ZH, 1, "购物车共 1 件。"),
    ],
)
def test_a_count_takes_the_plural_form_of_the_readers_language(
    texts: Texts, lang: Language, n: int, shown: str
) -> None:
    assert texts(lang, "cart.added", qty=1, name="Tea", n=n).endswith(shown)


def test_chinese_texts_address_the_customer_as_nin() -> None:
    assert not [key for key, text in ZH.items() if "你" in text]


@pytest.mark.parametrize(
    ("lang", "minutes", "said"),
    [
        (Language.EN, 1, "within 1 minute,"),
        (Language.EN, 15, "within 15 minutes,"),
        (Language.ZH, 1, "请在 1 分钟内付款"),
    ],
)
def test_minutes_are_said_with_their_unit_in_the_readers_plural(
    texts: Texts, lang: Language, minutes: int, said: str
) -> None:
    notice = texts(lang, "pay.customer.reminder", number="A-1", total="$1.00", minutes=minutes)
    assert said in notice and "minute(s)" not in notice and "1 minutes" not in notice


def test_no_text_says_a_number_of_minutes_itself() -> None:
    """Every minute count goes through units.minutes (its plural), never '{minutes} minutes'."""
    for catalog in (EN, ZH):
        for key, text in catalog.items():
            if key != "units.minutes":
                assert not re.search(r"\{minutes\}\s*(minutes|分钟)", text), key
