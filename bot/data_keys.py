"""The keys of personal data (decision 13), resolved from the settings for the composition
root: DATA_KEYS when set; with SQLite and no DATA_KEYS, the development key kept beside the
database file (made on first use, and said so in the log). A wrong or missing key is a
SettingsError naming DATA_KEYS, which ends the program with one line (exit code 2)."""

from __future__ import annotations

import logging

from bot.settings import Settings, SettingsError
from storage.crypto import DataKeyError, DataKeys, key_file_of, load_or_create_key_file, parse_keys
from storage.db import Database
from storage.privacy import first_stored_token

log = logging.getLogger(__name__)


def resolve_data_keys(settings: Settings) -> DataKeys:
    """The data keys the settings name, or the SQLite development key file."""
    if settings.data_keys is not None:
        try:
            return parse_keys(settings.data_keys.get_secret_value())
        except DataKeyError as exc:
            raise SettingsError(f"DATA_KEYS: {exc}") from None
    key_file = key_file_of(settings.database_url)
    if key_file is None:
        raise SettingsError(
            "DATA_KEYS: is required with PostgreSQL (make one with "
            "`python -m bot new-key`; keep it apart from the database's backups)"
        )
    keys, created = load_or_create_key_file(key_file)
    if created:
        log.warning(
            "DATA_KEYS is not set: personal data is encrypted with a generated key kept in %s "
            "(development only; set DATA_KEYS for a real shop)",
            key_file,
        )
    return keys


async def check_data_keys(db: Database) -> None:
    """Refuse keys that do not decrypt what is stored (SettingsError naming DATA_KEYS)."""
    assert db.keys is not None
    async with db.uow(readonly=True) as uow:
        token = await first_stored_token(uow.session)
    if token is None:
        return
    try:
        db.keys.decrypt(token)
    except DataKeyError:
        raise SettingsError(
            "DATA_KEYS: none of the keys decrypts the personal data stored in the database "
            "(a key is missing or wrong)"
        ) from None
