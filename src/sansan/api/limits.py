"""Refuse request bodies over a limit before they are read into memory."""

import json
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 1024 * 1024
# A file upload's multipart envelope (boundaries, part headers, the dry_run field) on top of
# the file itself: the import endpoint then judges the file against its own limit.
MULTIPART_MARGIN = 64 * 1024


class BodySizeLimit:
    """At most ``max_bytes`` per request body; a path in ``larger`` (the spreadsheet import)
    has its own, larger limit."""

    def __init__(
        self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES, larger: Mapping[str, int] | None = None
    ) -> None:
        self.app, self.max_bytes, self.larger = app, max_bytes, dict(larger or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.larger.get(scope["path"], self.max_bytes)
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit():
            if int(declared) > limit:
                await self._refuse(scope, send, limit)
                return
            await self.app(scope, receive, send)
            return
        # No declared length (chunked): read the body first, at most the limit, then hand it on.
        # Raising from inside the app's receive would surface as a parse error, not a 413.
        messages: list[Message] = []
        seen = 0
        while True:
            message = await receive()
            messages.append(message)
            seen += len(message.get("body", b""))
            if seen > limit:
                await self._refuse(scope, send, limit)
                return
            if message["type"] != "http.request" or not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, send: Send, limit: int) -> None:
        size = f"{limit / 1024 / 1024:g} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KiB"
        body = json.dumps(
            {
                "type": "https://sansan.example/problems/body_too_large",
                "title": "Content Too Large",
                "status": 413,
                "detail": f"the request body is over {limit} bytes",
                "instance": scope.get("path"),
                "code": "body_too_large",
                "message_zh": f"请求内容超过 {size} 上限",
                "message_en": f"the request body is over {limit} bytes",
                "errors": [],
            },
            ensure_ascii=False,
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
