"""FastAPI dependencies as Annotated aliases: the services and the calling principal."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from sansan.access import Principal, TokenExpired
from sansan.api.problems import ApiError
from sansan.bootstrap import Services


async def get_services(request: Request) -> Services:
    """Async, as it does no I/O: a plain ``def`` would cost a thread hand-off per request."""
    services: Services = request.app.state.services
    return services


bearer = HTTPBearer(auto_error=False, description="sansan token create 生成的令牌")

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
        at = expired.expires_at.isoformat()
        raise ApiError(
            401, "token_expired", f"访问令牌已于 {at} 失效，请向管理员申请新令牌",
            f"the bearer token expired at {at}; ask for a new one",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        ) from None  # fmt: skip
    if principal is None:
        raise UNAUTHENTICATED
    return principal


ServicesDep = Annotated[Services, Depends(get_services)]
CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
