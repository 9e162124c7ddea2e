"""The bot's HTTP client for the Bot API: PTB's requests over aiohttp instead of httpx (issue 13).

Every update costs the bot one or two Bot API calls (an answer, an edit, a message), and
profiles of the flash sale and the checkout bench put PTB's default transport (httpx over
httpcore, anyio and h11, all pure Python) at about half of the bot's CPU per update: a call cost
1.5-2 ms of CPU with 16 updates in flight, and httpcore's pool walks every pooled connection on
every request. aiohttp (a dependency already: the local Bot API server and the playground are
aiohttp applications) parses HTTP in C and keeps a plain pool: the same call costs 0.7 ms.

`AiohttpRequest` is a `telegram.request.BaseRequest`, so PTB still builds every request and
reads every answer; only the transport changes. Its parts follow HTTPXRequest's:
- a JSON-only call is sent as a form, as HTTPXRequest does; an upload as multipart/form-data,
  the files as PTB gives them (bytes or an open file) with their names and types;
- timeouts: PTB's connect timeout bounds opening a connection, its pool timeout plus that
  bounds waiting for a free one, its read timeout each wait for the answer's bytes. aiohttp has
  no write timeout; an upload is bounded by the read timeout once sent;
- TLS against certifi's CA bundle, as httpx does, so a slim container without system CA
  certificates verifies api.telegram.org the same way;
- aiohttp's timeouts raise telegram.error.TimedOut and its other errors NetworkError, so the
  bot's retry and error handling see what they saw before.
"""

from __future__ import annotations

import json
import ssl
from typing import Any

import aiohttp
import certifi
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    """PTB's BaseRequest over an aiohttp ClientSession (one per instance, opened by
    `initialize`, closed by `shutdown`)."""

    __slots__ = ("_limit", "_session", "_timeouts")

    def __init__(
        self,
        connection_pool_size: int = 256,
        *,
        read_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
    ) -> None:
        self._limit = connection_pool_size
        self._timeouts = (read_timeout, connect_timeout, pool_timeout)
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._timeouts[0]

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            tls = ssl.create_default_context(cafile=certifi.where())
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._limit, ssl=tls),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """See BaseRequest.do_request; `write_timeout` has no aiohttp counterpart."""
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        default_read, default_connect, default_pool = self._timeouts
        read = default_read if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = default_connect if isinstance(connect_timeout, DefaultValue) else connect_timeout
        pool = default_pool if isinstance(pool_timeout, DefaultValue) else pool_timeout
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=read,
        )
        try:
            async with self._session.request(
                method, url, data=_body(request_data), timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as err:  # aiohttp's timeouts (asyncio.TimeoutError is TimeoutError)
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp: {type(err).__name__}: {err}") from err


def _body(request_data: RequestData | None) -> Any:
    """The request's body: its parameters as one JSON object (the Bot API takes
    application/json; one C-encoded json.dumps instead of a form whose percent-encoding of a
    screen's text and keyboard cost about 50 us a call), with the files as multipart parts."""
    if request_data is None:
        return None
    files = request_data.multipart_data
    if not files:
        parameters = request_data.parameters
        if not parameters:
            return None
        return aiohttp.payload.BytesPayload(
            json.dumps(parameters, ensure_ascii=False, separators=(",", ":")).encode(),
            content_type="application/json",
        )
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mime_type) in files.items():
        form.add_field(name, content, filename=filename, content_type=mime_type)
    return form
