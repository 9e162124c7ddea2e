"""Issue 15, the customer's first ten minutes: what the screens say and which keys they show,
read from the chat as the customer sees it, in English and Chinese."""

from __future__ import annotations

from pathlib import Path

from bot.botapi.sim import SimMessage
from tests.e2e import helpers as db
from tests.e2e.admin_kit import admin_world
from tests.e2e.harness import ADMIN_CHAT, BotUnderTest, Person


def blank_keys(message: SimMessage) -> list[str]:
    """Keys Telegram would show with an empty label."""
    return [label for row in message.buttons for label in row if not label.strip()]


async def test_no_screen_shows_a_blank_key(bot: BotUnderTest, alice: Person) -> None:
    await alice.say("/start")
    await alice.tap("Catalog")
    first = await alice.tap("Tea")
    assert first.buttons[-2] == ["1/2", "▶"], "no ◀ on the first page"
    last = await alice.tap("▶")
    assert last.buttons[-2] == ["◀", "2/2"], "no ▶ on the last page"
    await alice.tap("◀")
    card = await alice.tap("Longjing")
    assert card.buttons[0] == ["1", "➕"], "no ➖ at quantity 1"
    await db.set_product(bot, "TEA-GREEN-100", stock=3)
    await alice.tap("Back")
    card = await alice.tap("Longjing")
    card = await alice.tap("➕")
    card = await alice.tap("➕")
    assert card.buttons[0] == ["➖", "3"], "no ➕ at the most that can be had"
    for message in alice.messages:
        assert blank_keys(message) == [], alice.transcript()
    assert db.bad_requests(bot) == []


async def test_the_cart_count_means_the_whole_cart_everywhere(
    bot: BotUnderTest, alice: Person
) -> None:
    await alice.say("/start")
    await alice.tap("Catalog")
    await alice.tap("Tea")
    await alice.tap("Longjing")
    await alice.tap("➕")
    card = await alice.tap("Add 2 to cart")
    assert card.buttons[-1][-1] == "🛒 Cart (2)"
    await alice.tap("Back")
    await alice.tap("Keemun")
    await alice.tap("➕")
    card = await alice.tap("Add 2 to cart")
    assert alice.answer["text"].endswith("Your cart has 4 items.")
    assert "In your cart: 2" in (card.body or ""), "the card still says how many of this product"
    assert card.buttons[-1][-1] == "🛒 Cart (4)", "the button counts the whole cart, as the toast"
    menu = await alice.say("/start")
    assert ["🛍 Catalog", "🛒 Cart (4)"] in menu.buttons


async def test_counts_read_as_the_language_says_them(
    bot: BotUnderTest, alice: Person, li: Person
) -> None:
    await alice.say("/start")
    found = await alice.say("oolong")
    assert found.text.startswith("🔍 1 product matches “oolong”")
    await alice.tap("Tieguanyin")
    await alice.tap("Add 1 to cart")
    assert alice.answer["text"].endswith("Your cart has 1 item.")
    await alice.tap("Cart")
    await alice.tap("Checkout")
    await alice.say("Alice Smith")
    await alice.share_contact("12025550143")
    await alice.say("1 Main Street, Springfield, IL 62701")
    review = await alice.tap("Cash on delivery")
    assert "Payment: 💵 Cash on delivery" in review.text
    assert "💳 💵" not in review.text, "one emoji per line"

    welcome = await li.say("/start")
    assert "您好" in welcome.text and "你" not in welcome.text
    found = await li.say("oolong")
    assert found.text.startswith("🔍 找到 1 件与“oolong”相关的商品")
    await li.tap("Tieguanyin")
    await li.tap("加入")
    assert li.answer["text"].endswith("购物车共 1 件。")


def _help_lines(text: str) -> dict[str, str]:
    """The help's command list: /name → description."""
    found = {}
    for line in text.splitlines():
        if line.startswith("/") and " — " in line:
            name, what = line.split(" — ", 1)
            found[name.removeprefix("/")] = what
    return found


def _menu(bot: BotUnderTest, scope: dict[str, object], code: str = "") -> dict[str, str]:
    return {c["command"]: c["description"] for c in bot.api.commands_for(scope, code)}


async def test_help_lists_every_command_of_the_customers_menu(
    bot: BotUnderTest, alice: Person, li: Person
) -> None:
    help_ = await alice.say("/help")
    menu = _menu(bot, {"type": "all_private_chats"})
    assert "requests" in menu
    assert _help_lines(help_.text) == menu, "the same commands, described the same way"
    chinese = await li.say("/help")
    assert _help_lines(chinese.text) == _menu(bot, {"type": "all_private_chats"}, "zh")
    assert "管理" not in chinese.text, "a customer sees no admin commands"


async def test_help_and_the_panel_list_each_admin_chat_s_own_commands(tmp_path: Path) -> None:
    async with admin_world(tmp_path) as world:
        bot, ann = world.bot, world.ann
        group_menu = _menu(bot, {"type": "chat", "chat_id": ADMIN_CHAT})
        assert {"track", "jobs", "aftersales", "orders"} <= set(group_menu)
        panel = await ann.say("/help")
        assert _help_lines(panel.text) == group_menu
        assert "(to ship)" not in panel.text

        private = ann.privately()
        private_menu = _menu(bot, {"type": "chat", "chat_id": ann.id})
        panel = await private.say("/admin")
        listed = _help_lines(panel.text)
        assert "orders" not in listed, "/orders in private is the admin's own customer list"
        assert {"track", "jobs", "aftersales", "admin"} <= set(listed)
        assert listed.items() <= private_menu.items()
        help_ = await private.say("/help")
        assert _help_lines(help_.text) == private_menu, "customer and admin commands, all of them"
        assert "Admin commands" in help_.text


async def test_search_results_page_on_in_place(bot: BotUnderTest, alice: Person) -> None:
    await alice.say("/start")
    first = await alice.say("tea")
    total = int(first.text.split()[1])
    assert total > 6 and first.text.startswith(f"🔍 {total} products match “tea”:")
    assert "here are the first" not in first.text, "no dead end: the rest is a page away"
    assert first.buttons[6] == ["1/2", "▶"]
    second = await alice.tap("▶", first)
    assert second.message_id == first.message_id
    assert len(second.buttons) - 2 == total - 6, "the rest of the products"
    assert second.buttons[-2] == ["◀", "2/2"]
    card = await alice.tap(second.buttons[0][0].split(" · ")[0], second)
    assert "Add 1 to cart" in str(card.buttons)
    assert db.bad_requests(bot) == []


async def test_a_product_link_opens_its_card_and_the_card_can_be_shared(
    bot: BotUnderTest, alice: Person, li: Person
) -> None:
    card = await alice.say("/start TEA-GREEN-100")
    assert "Longjing Green Tea 100 g" in (card.body or "") and "$12.50" in (card.body or "")
    share = next(b for row in card.inline_keyboard for b in row if b["text"] == "↗️ Share")
    assert share["url"] == (
        "https://t.me/share/url?url=https%3A//t.me/shop_test_bot%3Fstart%3DTEA-GREEN-100"
    ), "without inline mode, Telegram's share link of the product's deep link"
    await alice.tap("Add 1 to cart", card)
    assert alice.answer["text"].endswith("Your cart has 1 item.")

    chinese = await li.say("/start tea-green-100")
    assert "Longjing Green Tea 100 g" in (chinese.body or "") and "↗️ 分享" in str(chinese.buttons)

    gone = await alice.say("/start NO-SUCH-SKU")
    assert "That product link is not in the shop any more" in gone.text
    assert ["🛍 Catalog", "🛒 Cart (1)"] in gone.buttons
    assert db.bad_requests(bot) == []


async def test_inline_mode_answers_with_products_that_open_in_the_shop(
    bot: BotUnderTest, alice: Person, bob: Person
) -> None:
    bot.api.inline_mode = True  # BotFather's /setinline
    await bot.restart()  # the bot reads it from getMe when it starts
    bot.api.add_group(-777, "Tea friends")

    query = await alice.sim.inline_query("oolong")
    await bot.processed(query)
    answer = bot.api.inline_answers[query["inline_query"]["id"]]
    assert [r["title"] for r in answer["results"]] == ["Tieguanyin Oolong 100 g"]
    assert answer["next_offset"] == "", "no further page"
    posted = await alice.sim.choose_inline_result(query, answer["results"][0]["id"], chat_id=-777)
    assert "Tieguanyin Oolong 100 g" in (posted.text or "") and "$14.00" in (posted.text or "")
    [[open_in_shop]] = posted.inline_keyboard
    assert open_in_shop["url"] == "https://t.me/shop_test_bot?start=TEA-OOLONG-100"

    card = await bob.say("/start TEA-OOLONG-100")  # Bob taps the button in the group
    assert "Tieguanyin Oolong 100 g" in (card.body or "")
    share = next(b for row in card.inline_keyboard for b in row if b["text"] == "↗️ Share")
    assert share["switch_inline_query"] == "TEA-OOLONG-100", "with inline mode: the chat picker"

    many = await alice.sim.inline_query("tea")
    await bot.processed(many)
    first = bot.api.inline_answers[many["inline_query"]["id"]]
    assert len(first["results"]) == 6 and first["next_offset"] == "1"
    more = await alice.sim.inline_query("tea", offset="1")
    await bot.processed(more)
    assert bot.api.inline_answers[more["inline_query"]["id"]]["results"]

    before = alice.texts()
    mine = await alice.sim.choose_inline_result(query, answer["results"][0]["id"])
    await bot.processed({"update_id": mine.extra["_update_id"]})
    assert alice.texts() == before, "a card posted via the bot is not taken for a search"
    assert db.bad_requests(bot) == []
