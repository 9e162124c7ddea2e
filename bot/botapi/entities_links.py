"""Links in formatted text: URL checks as tdlib does them, tg://user and tg://emoji links, and
the text_link / text_mention entity a link becomes."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .entities_base import LinkError, _Entity

# --------------------------------------------------------------------------- links

_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")
_HOST_LABEL_RE = re.compile(r"^[A-Za-z0-9_\-\u00a0-\uffff]+$")
_IPV4_RE = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_TG_USER_RE = re.compile(r"^tg://user\?id=(\d+)$", re.IGNORECASE)
_TG_EMOJI_RE = re.compile(r"^tg://emoji\?id=(\d+)$", re.IGNORECASE)


def check_link(url: str, *, https_only: bool = False) -> str:
    """Validate a link like tdlib's LinkManager::check_link; return the normalized URL.

    Raises LinkError with tdlib's reason ("Wrong HTTP URL", "Unsupported URL protocol",
    "URL host is empty", "Only HTTPS links are allowed").
    """
    url = url.strip()
    m = _SCHEME_RE.match(url)
    scheme = m.group(1).lower() if m else ""
    if scheme in ("tg", "ton", "tonsite"):
        if https_only:
            raise LinkError("Only HTTPS links are allowed")
        if len(url) <= len(scheme) + 3:
            raise LinkError("Wrong tg URL") if scheme == "tg" else LinkError("Wrong URL")
        return url
    if not url:
        raise LinkError("URL host is empty")
    if not scheme:
        if https_only:
            raise LinkError("Only HTTPS links are allowed")
        url = "http://" + url
        scheme = "http"
    if scheme not in ("http", "https"):
        raise LinkError("Unsupported URL protocol")
    if https_only and scheme != "https":
        raise LinkError("Only HTTPS links are allowed")
    rest = url[len(scheme) + 3 :]
    split = re.search(r"[/?#]", rest)
    authority = rest[: split.start()] if split else rest
    host = authority.rsplit("@", 1)[-1]
    port_match = re.match(r"^(.*?)(:\d{0,5})?$", host)
    host = port_match.group(1) if port_match else host
    if not host:
        raise LinkError("URL host is empty")
    if not _is_valid_host(host):
        raise LinkError("Wrong HTTP URL")
    if split is None:
        url += "/"
    return url


def _is_valid_host(host: str) -> bool:
    if _IPV4_RE.match(host):
        return all(int(part) <= 255 for part in host.split("."))
    if host.lower() == "localhost":
        return True
    labels = host.rstrip(".").split(".")
    if len(labels) < 2 or any(not label or not _HOST_LABEL_RE.match(label) for label in labels):
        return False
    tld = labels[-1]
    return tld.lower().startswith("xn--") or (len(tld) >= 2 and not tld.isdigit())


def get_checked_link(url: str) -> str:
    """Normalized link or "" if invalid (how the parsers silently drop bad links)."""
    try:
        return check_link(url)
    except LinkError:
        return ""


def get_link_user_id(url: str) -> int | None:
    """User id for tg://user?id=N links (turned into text_mention entities)."""
    m = _TG_USER_RE.match(url.strip())
    return int(m.group(1)) if m else None


UserLookup = Callable[[int], dict[str, Any] | None]


def _link_entity(offset: int, length: int, url: str, lookup: UserLookup | None) -> _Entity | None:
    user_id = get_link_user_id(url)
    if user_id is not None:
        user = lookup(user_id) if lookup else None
        return _Entity("mention_name", offset, length, str(user_id), {"user": user})
    checked = get_checked_link(url)
    if not checked:
        return None
    return _Entity("text_url", offset, length, checked)
