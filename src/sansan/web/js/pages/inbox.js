// 待办: reminders and alerts for the signed-in scope, and the supervision items with their actions.
import { everyPage, get, post, settle, today } from "../api.js";
import { h, label, light, notice, section, select, table, when } from "../dom.js";

const SUPERVISORS = ["county", "street"];
const WRITERS = ["county", "street", "community", "client"];
const OPEN = ["assigned", "acknowledged", "in_progress", "reported", "returned"];
const HANDLING = ["acknowledged", "in_progress", "returned"];
// What the service allows from each status (SupervisionItem.TRANSITIONS); a button per action.
const ACTIONS = [
  { path: "acknowledgement", zh: "签收", from: ["assigned"], roles: WRITERS },
  { path: "start", zh: "开始办理", from: ["acknowledged", "returned"], roles: WRITERS },
  { path: "reports", zh: "反馈办理结果", from: ["in_progress", "returned"], roles: WRITERS, fields: [["summary", "text", "办理结果"]] },
  { path: "extension-requests", zh: "申请延期", from: HANDLING, roles: WRITERS, pending: false, fields: [["requested_due_on", "date", "延期至"], ["reason", "text", "理由"]] },
  { path: "extension-approvals", zh: "批准延期", from: HANDLING, roles: SUPERVISORS, pending: true },
  { path: "extension-refusals", zh: "不予延期", from: HANDLING, roles: SUPERVISORS, pending: true, fields: [["reason", "text", "理由"]] },
  { path: "acceptance", zh: "审核通过", from: ["reported"], roles: SUPERVISORS },
  { path: "returns", zh: "退回", from: ["reported"], roles: SUPERVISORS, fields: [["reason", "text", "退回理由"]] },
  { path: "closure", zh: "办结", from: ["accepted"], roles: SUPERVISORS },
  { path: "urgings", zh: "催办", from: OPEN, roles: SUPERVISORS, fields: [["message", "text", "催办内容"]] },
];
const LIGHT_ZH = { red: "红灯:已逾期", yellow: "黄灯:临近期限", green: "正常", none: "已完成" };

function actionsFor(item, role, pending) {
  return ACTIONS.filter((a) => a.roles.includes(role) && a.from.includes(item.status)
    && (a.pending === undefined || a.pending === pending));
}

// An action with inputs opens a small form under its item; one without records at once.
function actionButton(item, action, refresh) {
  const record = async (fields) => {
    const result = await post(`/api/v1/supervision-items/${item.id}/${action.path}`, { occurred_on: today(), ...fields });
    await refresh(result.position);
  };
  return h("button", {
    type: "button", "data-action": action.path,
    onclick: (event) => {
      if (!action.fields) return record({});
      const row = event.target.closest("tr");
      const existing = row.nextElementSibling;
      if (existing && existing.classList.contains("action-form")) existing.remove();
      const inputs = action.fields.map(([name, type, text]) =>
        h("label", {}, text, h("input", { name, type, required: true })));
      const form = h("form", {
        onsubmit: (e) => {
          e.preventDefault();
          record(Object.fromEntries(new FormData(e.target)));
        },
      }, inputs, h("button", { type: "submit", text: `确认${action.zh}` }));
      row.after(h("tr", { class: "action-form" }, h("td", { colspan: 7 }, form)));
    },
  }, action.zh);
}

function notifications(items, role, refresh) {
  if (!items.length) return notice("没有待签收的提醒与预警。");
  return h("ul", { class: "notifications" }, items.map((n) => h("li", { "data-notification": n.id, class: n.acknowledged_at ? "done" : "" },
    h("div", {},
      h("span", { class: `kind kind-${n.kind}`, text: label("FiringKind", n.kind) }),
      h("strong", { text: n.message_zh })),
    h("p", { class: "meta", text: `${n.community_name || n.unit_name || "全县"} · 期限 ${n.due_on || "—"} · 发出 ${when(n.recorded_at)}` }),
    n.acknowledged_at
      ? h("p", { class: "meta ack", text: `已签收:${n.acknowledged_by} ${when(n.acknowledged_at)}` })
      : role === "auditor" ? null : h("button", {
        type: "button", "data-ack": n.id,
        onclick: async () => refresh((await post(`/api/v1/notifications/${n.id}/acknowledgement`)).position),
      }, "签收"))));
}

function assignForm(ctx, branches, refresh) {
  return h("form", {
    class: "filters", "aria-label": "交办督办事项",
    onsubmit: async (e) => {
      e.preventDefault();
      const body = Object.fromEntries(new FormData(e.target));
      const result = await post("/api/v1/supervision-items", {
        ...body, occurred_on: today(), campaign_id: ctx.campaign ? ctx.campaign.id : undefined,
      });
      await refresh(result.position);
    },
  },
  h("label", {}, "事项 ", h("input", { name: "title", required: true, maxlength: 200 })),
  h("label", {}, "承办组织 ", select({ name: "assignee_org_id", required: true }, branches.map((b) => [b.id, b.name]))),
  h("label", {}, "期限 ", h("input", { name: "due_on", type: "date", required: true, min: today() })),
  h("button", { type: "submit" }, "交办"));
}

function generalBranches(nodes, found = []) {
  for (const n of nodes) {
    if (n.level === "general_branch") found.push(n);
    generalBranches(n.children, found);
  }
  return found;
}

export async function render(root, ctx) {
  const role = ctx.me.role;
  const showAll = ctx.query.get("all") === "1";
  const refresh = async (position) => {
    await settle(position);
    ctx.go("inbox", { all: showAll ? "1" : "" });
  };
  const [notes, items, tree] = await Promise.all([
    everyPage("/api/v1/notifications", { unacknowledged: !showAll }),
    everyPage("/api/v1/supervision-items"),
    SUPERVISORS.includes(role) ? get("/api/v1/organizations/tree") : [],
  ]);
  const states = await Promise.all(items.map((i) => (HANDLING.includes(i.status)
    ? get(`/api/v1/supervision-items/${i.id}`) : null)));
  const rows = items.map((item, index) => {
    const pending = Boolean(states[index] && states[index].state.pending_extension);
    return h("tr", { "data-item": item.id },
      h("td", {}, light(item.light === "none" ? "green" : item.light, LIGHT_ZH[item.light])),
      h("td", { text: item.title }),
      h("td", { text: item.assignee_name }),
      h("td", { text: item.due_on }),
      h("td", { class: "status", text: label("SupervisionStatus", item.status) + (pending ? "(延期待批)" : "") }),
      h("td", { class: "urges", text: String(item.urge_count) }),
      h("td", { class: "actions" }, actionsFor(item, role, pending).map((a) => actionButton(item, a, refresh))));
  });
  root.append(
    h("div", { class: "page-head" }, h("h1", { text: "待办与督办" })),
    section(showAll ? "全部提醒与预警" : "待签收的提醒与预警",
      h("p", {}, h("a", { href: showAll ? "#/inbox" : "#/inbox?all=1", text: showAll ? "只看待签收" : "显示全部(含已签收)" })),
      notifications([...notes].reverse(), role, refresh)),
    section("督办事项",
      SUPERVISORS.includes(role) ? assignForm(ctx, generalBranches(tree), refresh) : null,
      items.length
        ? table(["灯", "事项", "承办组织", "期限", "状态", "催办次数", "办理"], rows, { class: "items" })
        : notice("没有督办事项。")),
  );
}
