"""Query plans of what a piece of code ran: the statements are captured as the engine sends
them, then explained on the same connection type (SQLite's EXPLAIN QUERY PLAN, PostgreSQL's
EXPLAIN in JSON), and the full reads of large tables are picked out. Used by the scale bench
(bench/scale.py) to print plans, and by a test that keeps every sweep on an index (issue 13)."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

# The tables that grow with the order history.
HISTORY_TABLES = frozenset(
    {
        "orders",
        "order_lines",
        "order_events",
        "order_search_terms",
        "outbox",
        "payments",
        "refunds",
        "reviews",
        "shipments",
        "shipment_tracking",
        "handled_updates",
        "update_inbox",
        "audit_log",
        # and what the features of issue 16 and 17 add per order or per customer
        "promo_redemptions",
        "broadcast_recipients",
        "back_in_stock_subscriptions",
        "api_idempotency",
    }
)
# Partial indexes that hold only the rows still owed (a full walk of one is O(due rows)): and
# the orders with after-sales requests open, the merchant's work in hand.
DUE_ROW_INDEXES = frozenset(
    {"ix_outbox_pending_chat", "ix_update_inbox_pending", "ix_orders_after_sales_open"}
)
_EXPLAINABLE = ("SELECT", "UPDATE", "DELETE", "WITH")


@dataclass
class Captured:
    """The statements a block of code sent, with their parameters."""

    statements: list[tuple[str, Any]] = field(default_factory=list)


@contextmanager
def capture(engine: AsyncEngine) -> Iterator[Captured]:
    """Record the explainable statements `engine` executes inside the block (executemany
    batches are left out: they are writes by key)."""
    captured = Captured()

    def listener(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        if not many and statement.lstrip().upper().startswith(_EXPLAINABLE):
            captured.statements.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", listener)
    try:
        yield captured
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", listener)


@dataclass(frozen=True)
class Plan:
    """A statement's plan as text lines, and the large tables it reads in full."""

    statement: str
    lines: list[str]
    full_scans: list[str]


async def explain(
    engine: AsyncEngine,
    captured: Captured,
    tables: Collection[str] = HISTORY_TABLES,
    *,
    prelude: Collection[str] = (),
) -> list[Plan]:
    """The plan of each captured statement (each distinct text once). `prelude`: settings run
    first on the explaining connection (a test sets PostgreSQL's enable_seqscan off, so a
    sequential scan of a small table in its plan means no index could serve)."""
    plans: list[Plan] = []
    seen: set[str] = set()
    async with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        for statement, parameters in captured.statements:
            for setting in prelude:
                await conn.exec_driver_sql(setting)
            if statement in seen:
                continue
            seen.add(statement)
            if sqlite:
                rows: list[Any] = list(
                    (
                        await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
                    ).all()
                )
                lines = [str(r[-1]) for r in rows]
                scans = [
                    m.group(1)
                    for line in lines
                    if (m := re.match(r"SCAN (\w+)(?: USING (?:COVERING )?INDEX (\w+))?", line))
                    and m.group(1) in tables
                    and m.group(2) not in DUE_ROW_INDEXES
                ]
            else:
                raw = (
                    await conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters)
                ).scalar()
                tree: Any = json.loads(raw) if isinstance(raw, str) else raw
                lines, scans = [], []
                _walk(tree[0]["Plan"], 0, lines, scans, tables)
            await conn.rollback()
            plans.append(Plan(statement, lines, scans))
    return plans


def _walk(
    node: dict[str, Any],
    depth: int,
    lines: list[str],
    scans: list[str],
    tables: Collection[str],
    limited: bool = False,
) -> None:
    kind = node["Node Type"]
    relation = node.get("Relation Name")
    index = node.get("Index Name")
    condition = node.get("Index Cond") or node.get("Recheck Cond")
    text = kind + (f" on {relation}" if relation else "") + (f" using {index}" if index else "")
    if condition:
        text += f" ({condition})"
    if node.get("Filter"):
        text += f" filter ({node['Filter']})"
    lines.append("  " * depth + text)
    # A sequential scan reads it all; so does an index walked without a condition, unless a
    # LIMIT stops it and no filter makes it read past the rows it returns.
    walked = (
        kind in ("Index Scan", "Index Only Scan") and not condition and index not in DUE_ROW_INDEXES
    )
    full = kind == "Seq Scan" or (walked and (not limited or bool(node.get("Filter"))))
    if full and relation is not None and relation in tables:
        scans.append(str(relation))
    for child in node.get("Plans", []):
        _walk(child, depth + 1, lines, scans, tables, limited or kind == "Limit")
