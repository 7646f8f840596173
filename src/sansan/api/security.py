"""Security headers on every answer: API, static files, documentation, errors, even a 500.

The dashboard runs under a strict policy (scripts and styles from this origin only, no
inline code). The API documentation pages need inline styles, because Swagger UI and ReDoc
write ``<style>`` elements at run time, and a blob: worker (ReDoc's search), so they get a
policy of their own; their scripts still come from this origin only.
"""

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COMMON = (
    "default-src 'none'",
    "script-src 'self'",
    "connect-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)
STRICT_CSP = "; ".join((*COMMON, "style-src 'self'"))
DOCS_CSP = "; ".join((*COMMON, "style-src 'self' 'unsafe-inline'", "worker-src 'self' blob:"))
DOCS_PATHS = ("/docs", "/redoc")
# Every API answer may name members or be an export of them: none is kept in a browser's or a
# proxy's cache, where the next user of a shared office PC would find it after 退出.
UNCACHED_PATHS = "/api/"
NO_STORE = (b"cache-control", b"no-store")

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def policy_for(path: str) -> str:
    return DOCS_CSP if path.startswith(DOCS_PATHS) else STRICT_CSP


def _raw(csp: str) -> tuple[tuple[bytes, bytes], ...]:
    every = {**HEADERS, "Content-Security-Policy": csp}
    return tuple(
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in every.items()
    )


# The headers as ASGI sends them, encoded once: building starlette's MutableHeaders over every
# answer was 1.5 % of the server's Python time per write (docs/benchmarks.md, lean-write2).
RAW = {csp: _raw(csp) for csp in (STRICT_CSP, DOCS_CSP)}
NAMES = frozenset(name for name, _ in RAW[STRICT_CSP])


class SecurityHeaders:
    """Outermost ASGI layer, so it also covers the answers Starlette makes on its own (a 500)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = policy_for(scope["path"])
        uncached = scope["path"].startswith(UNCACHED_PATHS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                sent = message.get("headers", [])
                if any(name in NAMES or name == NO_STORE[0] for name, _ in sent):
                    headers = MutableHeaders(scope=message)  # replaced where they stand
                    for name, value in HEADERS.items():
                        headers[name] = value
                    headers["Content-Security-Policy"] = csp
                    if uncached:
                        headers["Cache-Control"] = "no-store"
                else:
                    message["headers"] = [*sent, *RAW[csp], *([NO_STORE] if uncached else [])]
            await send(message)

        await self.app(scope, receive, send_with_headers)
