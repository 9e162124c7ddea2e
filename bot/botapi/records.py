"""What the server records besides the chats: each request it answered, the files it stores
(and their image sizes), and the clock and token helpers."""

from __future__ import annotations

import secrets
import struct
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass


def now() -> int:
    """Current unix time (Bot API dates are ints)."""
    return int(time.time())


def unique_token(prefix: str = "", size: int = 12) -> str:
    """A random identifier in Telegram's URL-safe alphabet."""
    return prefix + secrets.token_urlsafe(size)[:size]


@dataclass
class RequestRecord:
    """One Bot API call as the server saw and answered it."""

    method: str
    params: dict[str, Any]
    status: int
    response: dict[str, Any]
    at: float = field(default_factory=time.monotonic)

    @property
    def ok(self) -> bool:
        """True for successful calls."""
        return bool(self.response.get("ok"))

    @property
    def description(self) -> str | None:
        """Telegram's error description (None on success)."""
        return self.response.get("description") if not self.ok else None


# --------------------------------------------------------------------------- files


@dataclass
class FileRecord:
    """A file known to the server; ``file_id`` values round-trip through the API."""

    file_id: str
    file_unique_id: str
    kind: str  # "photo" | "document"
    data: bytes | None
    url: str | None = None
    file_name: str | None = None
    mime_type: str | None = None
    width: int = 0
    height: int = 0
    file_path: str = ""

    @property
    def size(self) -> int:
        """Size in bytes (0 for URL-only files)."""
        return len(self.data) if self.data is not None else 0

    def photo_size(self) -> dict[str, Any]:
        """PhotoSize JSON."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "width": self.width,
            "height": self.height,
            "file_size": self.size,
        }

    def document(self) -> dict[str, Any]:
        """Document JSON."""
        doc: dict[str, Any] = {"file_id": self.file_id, "file_unique_id": self.file_unique_id}
        if self.file_name:
            doc["file_name"] = self.file_name
        if self.mime_type:
            doc["mime_type"] = self.mime_type
        doc["file_size"] = self.size
        return doc

    def file(self) -> dict[str, Any]:
        """File JSON for getFile."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
            "file_path": self.file_path,
        }


def image_info(data: bytes) -> tuple[str, int, int] | None:
    """(format, width, height) for PNG/JPEG/GIF/WEBP/BMP data, None for non-images."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return "png", width, height
    if data.startswith(b"GIF8") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return "gif", width, height
    if data.startswith(b"BM") and len(data) >= 26:
        width, height = struct.unpack("<ii", data[18:26])
        return "bmp", abs(width), abs(height)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp", 512, 512
    if data.startswith(b"\xff\xd8\xff"):
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return "jpeg", width, height
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                i += 2
                continue
            (length,) = struct.unpack(">H", data[i + 2 : i + 4])
            i += 2 + length
        return "jpeg", 800, 600
    return None
