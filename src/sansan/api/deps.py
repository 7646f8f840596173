"""FastAPI dependencies as Annotated aliases: the services and the calling principal."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from sansan.access import Principal, TokenExpired
from sansan.api.problems import ApiError
from sansan.bootstrap import Services


async def get_services(request: Request) -> Services:
    """Async, as it does no I/O: a plain ``def`` would cost a thread hand-off per request."""
    services: Services = request.app.state.services
    return services


AMBIGUOUS_CREDENTIALS = ApiError(
    400,
    "ambiguous_credentials",
    "请求带有多个 Authorization 头，无法确定身份，请只发送一个",
    "the request carries more than one Authorization header; send exactly one",
    headers={"WWW-Authenticate": 'Bearer error="invalid_request"'},
)


class SingleBearer(HTTPBearer):
    """HTTPBearer reads the first Authorization header and ignores the rest: two headers
    could name two principals, and which one acts must not depend on their order."""

    async def __call__(self, request: HTTPConnection) -> HTTPAuthorizationCredentials | None:
        if len(request.headers.getlist("authorization")) > 1:
            raise AMBIGUOUS_CREDENTIALS
        return await super().__call__(request)


bearer = SingleBearer(  # named as before, so the OpenAPI security scheme stays "HTTPBearer"
    auto_error=False, scheme_name="HTTPBearer", description="sansan token create 生成的令牌"
)

UNAUTHENTICATED = ApiError(
    401,
    "unauthenticated",
    "缺少或无效的访问令牌",
    "missing, unknown or revoked bearer token",
    headers={"WWW-Authenticate": "Bearer"},
)


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def get_principal(
    services: Annotated[Services, Depends(get_services)], credentials: Credentials
) -> Principal:
    return principal_of(services, credentials)


def principal_of(
    services: Services, credentials: HTTPAuthorizationCredentials | None
) -> Principal:
    """The caller, or a 401 problem; may read the store (a worker thread's job)."""
    if credentials is None:
        raise UNAUTHENTICATED
    try:
        principal = services.access.authenticate(credentials.credentials)
    except TokenExpired as expired:
        raise _expired(expired) from None
    if principal is None:
        raise UNAUTHENTICATED
    return principal


async def get_writer(
    services: Annotated[Services, Depends(get_services)], credentials: Credentials
) -> Principal:
    """For a write: a cached principal without a thread hop, which the write confirms
    against the log (``confirm_writer``) in its own thread; any other as get_principal."""
    if credentials is not None:
        try:
            principal = services.access.provisional(credentials.credentials)
        except TokenExpired as expired:
            raise _expired(expired) from None
        if principal is not None:
            return principal
    return await run_in_threadpool(principal_of, services, credentials)


def confirm_writer(services: Services, principal: Principal) -> None:
    """Refuse the write if the log shows the token revoked since it was cached."""
    if not services.access.still_live(principal):
        raise UNAUTHENTICATED


def _expired(expired: TokenExpired) -> ApiError:
    at = expired.expires_at.isoformat()
    return ApiError(
        401, "token_expired",
        f"访问令牌已于 {expired.china_time}（北京时间）失效，请向管理员申请新令牌",
        f"the bearer token expired at {at}; ask for a new one",
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )  # fmt: skip


ServicesDep = Annotated[Services, Depends(get_services)]
CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
Writer = Annotated[Principal, Depends(get_writer)]
