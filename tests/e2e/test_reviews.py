"""Reviews through the chat: invited when the order completes, rated with a comment, shown on the
product cards of the catalog, and edited (never duplicated) when rated again."""

from __future__ import annotations

from pathlib import Path

from tests.e2e import helpers as db
from tests.e2e.after_sales_kit import delivered_order, open_order, reviews, set_status, shop_world


async def test_customer_rates_a_completed_order_and_the_catalog_shows_the_stars(
    tmp_path: Path,
) -> None:
    async with shop_world(tmp_path) as world:
        bot, alice = world.bot, world.alice
        number = await delivered_order(world)
        card = await alice.say("/catalog")
        await alice.tap("Tea")
        card = await alice.tap("Longjing")
        assert "★" not in (card.body or ""), "no reviews yet"

        await set_status(world, number, "complete")  # as "Received" or auto-completion does
        invite = alice.screen
        assert f"How was order {number}?" in invite.text
        assert invite.buttons == [["1 ⭐", "2 ⭐", "3 ⭐", "4 ⭐", "5 ⭐"]]
        thanks = await alice.tap("4 ⭐", invite)
        assert f"Thank you for rating order {number}: ★★★★☆" in thanks.text
        saved = await alice.say("Fragrant, will buy again")
        assert f"Your review of order {number} is saved" in saved.text

        [review] = await reviews(world)
        assert (review.rating, review.comment, review.customer_id) == (
            4,
            "Fragrant, will buy again",
            alice.id,
        )
        await alice.say("/catalog")
        await alice.tap("Tea")
        card = await alice.tap("Longjing")
        assert "★ 4.0 (1 review)" in (card.body or "")
        detail = await open_order(alice, number)
        assert "Your rating: ★★★★☆" in detail.text and "Fragrant" in detail.text

        # Rating again edits the review: one row, the new stars, the comment kept.
        world.clock.advance(hours=1)
        picker = await alice.tap("Change my rating", detail)
        edited = await alice.tap("5 ⭐", picker)
        assert "changed, not added twice" in edited.text
        await alice.tap("Skip", edited)
        [review] = await reviews(world)
        assert (review.rating, review.comment) == (5, "Fragrant, will buy again")
        assert review.updated_at > review.created_at

        bob_number = await delivered_order(world, world.bob)
        await set_status(world, bob_number, "complete")
        await world.bob.tap("2 ⭐", world.bob.screen)
        await world.bob.tap("Skip")
        await alice.say("/catalog")
        await alice.tap("Tea")
        card = await alice.tap("Longjing")
        assert "★ 3.5 (2 reviews)" in (card.body or "")
        assert len(await reviews(world)) == 2
        await bot.outbox_drained()
        invitations = [r for r in await db.outbox(bot) if r.template == "review.invite"]
        assert sorted(r.params["number"] for r in invitations) == sorted([number, bob_number])
        assert db.bad_requests(bot) == []
