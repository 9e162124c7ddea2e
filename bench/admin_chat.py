"""How loud the admin chat is: a fixed 15-action admin script against the real bot on the local
Bot API server, counting the bot's new messages in the admin chat, their lines, and how many of
them still carry buttons at the end (a finished prompt's Cancel is a button that does nothing).

The script (Ann, in the admin group; Alice has placed two cash-on-delivery orders A and B and
their alerts are in the chat before counting starts):

     1 open A from its alert        6 confirm the shipment      11 type the message
     2 ship                         7 mark delivered            12 open B from its alert
     3 pick SF Express              8 note                      13 cancel order
     4 type the tracking number     9 type the note             14 type the reason
     5 skip the note               10 message customer          15 confirm the cancellation

    .venv/bin/python bench/admin_chat.py
"""

from __future__ import annotations

import asyncio
import logging
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.admin_kit import (
    DIALOG_KEYS,
    admin_script,
    admin_world,
    place_order,
    sent_to_admins,
)


async def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        async with admin_world(Path(tmp)) as world:
            a = await place_order(world.alice)
            b = await place_order(world.alice)
            await world.bot.outbox_drained()
            before = len(world.bot.api.requests)
            await admin_script(world.ann, a, b)
            texts = sent_to_admins(world.ann, before)
            edits = sum(
                1
                for r in world.bot.api.requests[before:]
                if r.method.lower().startswith("editmessage") and r.ok
            )
            lines = sum(len(t.splitlines()) for t in texts)
            shown = world.ann.chat.bot_messages()
            stale = [m for m in shown if any(b in DIALOG_KEYS for row in m.buttons for b in row)]
            cards = [m for m in shown if "Timeline" in (m.text or "")]
            print("admin script: 15 actions (see the docstring)")
            print(f"new bot messages in the admin chat: {len(texts)} ({lines} lines)")
            print(f"messages edited in place: {edits}")
            print(f"order cards in the chat at the end: {len(cards)} (2 orders)")
            print(f"finished questions still showing dialog buttons: {len(stale)}")


if __name__ == "__main__":
    asyncio.run(main())
