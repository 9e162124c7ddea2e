"""PNG charts drawn with matplotlib's Agg backend from numbers the domain computed.

Chinese labels need a CJK font. The `mplfonts` package ships Noto Sans CJK SC (SIL OFL), so
`pip install` alone provides it; without it, a system CJK font (Debian's fonts-noto-cjk or
fonts-wqy-microhei) is used when fontconfig knows one, and otherwise the labels fall back to
DejaVu Sans, which draws CJK characters as boxes (logged once). Nothing is downloaded."""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Sequence
from datetime import date, timedelta
from importlib import resources
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display; must come before pyplot

from matplotlib import font_manager
from matplotlib.figure import Figure

log = logging.getLogger(__name__)

SYSTEM_CJK = ("Noto Sans CJK SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Source Han Sans SC")
_font_lock = threading.Lock()
_font_family: str | None = None


def cjk_font() -> str:
    """The family name of a CJK-capable font, registered with matplotlib once."""
    global _font_family
    with _font_lock:
        if _font_family is not None:
            return _font_family
        try:
            path = resources.files("mplfonts") / "fonts" / "NotoSansCJKsc-Regular.otf"
            if path.is_file():
                font_manager.fontManager.addfont(str(path))
                _font_family = font_manager.FontProperties(fname=str(path)).get_name()
                return _font_family
        except ModuleNotFoundError:
            pass
        names = {f.name for f in font_manager.fontManager.ttflist}
        for family in SYSTEM_CJK:
            if family in names:
                _font_family = family
                return family
        log.warning(
            "no CJK font found (install mplfonts or fonts-noto-cjk); Chinese shows as boxes"
        )
        _font_family = "DejaVu Sans"
        return _font_family


def _png(figure: Figure) -> bytes:
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=110, bbox_inches="tight")
    return out.getvalue()


def _figure() -> tuple[Figure, Any]:
    figure = Figure(figsize=(8, 4))
    axes = figure.subplots()
    axes.grid(True, alpha=0.3)
    return figure, axes


def report_chart(
    title: str,
    days: Sequence[date],
    revenue_major: Sequence[float],
    orders: Sequence[int],
    labels: tuple[str, str],
) -> bytes:
    """Daily revenue (bars) and orders (line, right axis)."""
    family = cjk_font()
    figure, axes = _figure()
    axes.bar(days, revenue_major, color="#4C72B0", label=labels[0])
    axes.set_ylabel(labels[0], fontfamily=family)
    right = axes.twinx()
    right.plot(days, orders, color="#DD8452", marker="o", markersize=3, label=labels[1])
    right.set_ylabel(labels[1], fontfamily=family)
    right.set_ylim(bottom=0)
    axes.set_title(title, fontfamily=family)
    figure.autofmt_xdate()
    return _png(figure)


def forecast_chart(
    title: str,
    first_day: date,
    history: Sequence[float],
    values: Sequence[float],
    lower: Sequence[float],
    upper: Sequence[float],
    labels: tuple[str, str],
) -> bytes:
    """The history, then the forecast with its interval shaded."""
    family = cjk_font()
    figure, axes = _figure()
    past = [first_day - timedelta(days=len(history) - i) for i in range(len(history))]
    future = [first_day + timedelta(days=i) for i in range(len(values))]
    axes.plot(past, history, color="#4C72B0", linewidth=1, label=labels[0])
    axes.plot(future, values, color="#C44E52", linewidth=2, label=labels[1])
    axes.fill_between(future, lower, upper, color="#C44E52", alpha=0.2)
    axes.set_ylim(bottom=0)
    axes.set_title(title, fontfamily=family)
    axes.legend(prop={"family": family})
    figure.autofmt_xdate()
    return _png(figure)
