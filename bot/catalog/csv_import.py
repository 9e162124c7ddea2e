"""Reading a catalog CSV (a file on disk, or an admin's upload) into product drafts."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from pathlib import Path

from domain.catalog.importing import ProductDraft, parse_catalog


def read_catalog_csv(source: Path | bytes, currency: str) -> list[ProductDraft]:
    """Parse and validate a catalog file, given by path or as the bytes of an uploaded file.
    Photo paths are resolved next to a file on disk; an uploaded file has no folder, so its
    photos must be URLs or absolute paths. Raises CatalogImportError, UnicodeDecodeError or
    csv.Error."""
    if isinstance(source, bytes):
        raw, base = source, None
    else:
        raw, base = source.read_bytes(), source.resolve().parent
    reader = csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline=""))
    rows = [(reader.line_num, row) for row in reader]
    header = list(reader.fieldnames or [])

    def where(photo: str) -> Path:
        return base / photo if base is not None else Path(photo)

    def photo_ok(photo: str) -> bool:
        path = where(photo)
        return (base is not None or path.is_absolute()) and path.is_file()

    drafts = parse_catalog(header, rows, currency, photo_ok)
    return [
        replace(d, photo=str(where(d.photo).resolve()))
        if d.photo and not d.photo.startswith(("http://", "https://"))
        else d
        for d in drafts
    ]
