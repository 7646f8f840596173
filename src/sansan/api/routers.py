"""One router per resource under /api/v1, assembled from the command table, reads and lists."""

from fastapi import APIRouter

from sansan.api.audit_endpoints import add_audit_routes
from sansan.api.audit_spreadsheet import add_audit_spreadsheet_routes
from sansan.api.command_endpoints import add_command_routes
from sansan.api.compliance_endpoints import add_compliance_routes
from sansan.api.import_endpoints import add_import_routes
from sansan.api.list_endpoints import add_list_routes
from sansan.api.notification_endpoints import add_notification_routes
from sansan.api.plan_endpoints import add_plan_routes
from sansan.api.search_endpoints import add_search_routes
from sansan.api.trend_endpoints import add_trend_routes
from sansan.api.unit_endpoints import add_unit_routes

RESOURCES = (
    "communities", "organizations", "members", "campaigns", "supervision-items", "notifications",
    "audit", "plans", "imports", "units",
)  # fmt: skip


def resource_routers() -> list[APIRouter]:
    routers = {name: APIRouter(tags=[name]) for name in RESOURCES}
    add_list_routes(routers)  # first: /organizations/tree must not be taken for an {id}
    add_audit_routes(routers)
    add_command_routes(routers)
    add_compliance_routes(routers)
    add_trend_routes(routers)
    add_plan_routes(routers)
    add_audit_spreadsheet_routes(routers)
    add_notification_routes(routers)
    add_unit_routes(routers)
    add_import_routes(routers)
    add_search_routes(routers)
    return list(routers.values())
