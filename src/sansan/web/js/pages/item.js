// 督办事项卷宗: one supervision item as a case file — what was asked, the whole course (who did
// what when), the community's report before it is reviewed, and the actions that fit now.
import { get, settle } from "../api.js";
import { h, label, light, notice, section, when } from "../dom.js";
import { actorName, chineseDate, eventFields, knownNames } from "../fields.js";
import { commandForm, record } from "../forms.js";
import { LABELS } from "../labels.js";
import { actionsFor, ACTIONS, OPEN, reviewerLine } from "../supervision.js";

const SKIP_IN_COURSE = new Set(["title", "description", "assignee_org_id", "campaign_id", "community_id", "status"]);

function course(history, names) {
  return h("ol", { class: "course" }, history.map((e) => {
    const data = Object.fromEntries(Object.entries(e.data).filter(([k]) => !SKIP_IN_COURSE.has(k) || (e.type === "SupervisionItemAssigned" && k === "due_on")));
    return h("li", { "data-event": e.type },
      h("div", { class: "when" },
        h("strong", { text: chineseDate(e.occurred_on) }),
        h("span", { text: `记录于 ${when(e.recorded_at)}（北京时间）` })),
      h("div", { class: "what" },
        h("strong", { class: "event", text: LABELS.Event[e.type] || "办理记录" }),
        h("span", { class: "actor", text: actorName(e.actor) }),
        eventFields(e.type, data, names),
        e.note ? h("p", { class: "meta", text: `备注：${e.note}` }) : null));
  }));
}

function latestReport(history) {
  const reports = history.filter((e) => e.type === "HandlingReported");
  return reports.length ? reports[reports.length - 1] : null;
}

export async function render(root, ctx, id) {
  const [unit, history, catalogue, tree] = await Promise.all([
    get(`/api/v1/supervision-items/${id}`),
    get(`/api/v1/supervision-items/${id}/history`),
    get("/api/v1/commands"),
    ctx.tree ? ctx.tree : get("/api/v1/organizations/tree"),
  ]);
  ctx.tree = tree;
  const item = unit.state;
  const standing = unit.standing;  // its light and days overdue, as the 待办 list shows them
  const names = knownNames(ctx, tree, history);
  const status = item.status;
  const closed = status === "closed";
  const pending = Boolean(item.pending_extension);
  const report = latestReport(history);
  const refresh = async (answer) => {
    await settle(answer.position);
    ctx.go(`item/${id}`);
  };
  const actions = await Promise.all(actionsFor(catalogue, ctx.me, { ...item, id }, pending).map((spec) =>
    commandForm(spec, ctx, {
      submitText: spec.title_zh, confirmText: ACTIONS[spec.command].confirm,
      onSubmit: async (body, key) => {
        await refresh(await record(spec.path.replace("{id}", id), body, key));
      },
    })));
  root.classList.add(closed ? "item-closed" : "item-open");
  root.append(...[
    h("div", { class: "page-head" },
      h("h1", { text: item.title }),
      h("span", { class: `status-badge status-${status}`, "data-status": status, text: label("SupervisionStatus", status) + (pending ? "（延期待批）" : "") }),
      h("a", { class: "button secondary", href: "#/inbox", text: "返回待办" })),
    closed ? notice("本事项已办结，办理过程存档备查，不能再办理。", "ok") : null,
    status === "accepted" ? notice("办理结果已审核通过，待办结。", "info") : null,
    section("事项", h("dl", { class: "facts" },
      h("dt", { text: "承办组织" }), h("dd", { text: names[item.assignee_org_id] || "（范围外的组织）" }),
      h("dt", { text: "办理期限" }), h("dd", { "data-due": "", text: chineseDate(item.due_on) }),
      h("dt", { text: "督办灯" }), h("dd", { class: "light-cell", "data-light": standing.light },
        light(standing.light === "none" ? "green" : standing.light, standing.light_zh, { "aria-hidden": "true" }),
        h("span", { "data-standing": "", text: standing.standing_zh })),
      h("dt", { text: "状态" }), h("dd", { text: label("SupervisionStatus", status) }),
      h("dt", { text: "审核" }), h("dd", { "data-reviewer": item.assigned_by_role || "county", text: reviewerLine(item, history.length ? actorName(history[0].actor) : null) }),
      h("dt", { text: "催办次数" }), h("dd", { text: String(item.urge_count) }),
      h("dt", { text: "事项说明" }), h("dd", { class: "description", text: item.description || "（未填写）" }),
      pending ? [h("dt", { text: "延期申请" }), h("dd", { text: `申请延期至 ${chineseDate(item.pending_extension.requested_due_on)}；理由：${item.pending_extension.reason}` })] : null)),
    section("办理结果", report
      ? h("div", { class: "report", "data-report": "" },
        h("p", { class: "report-text", text: report.data.summary }),
        h("p", { class: "meta", text: `${actorName(report.actor)} 于 ${chineseDate(report.occurred_on)} 反馈` }))
      : notice("承办组织尚未反馈办理结果。")),
    actions.length
      ? section("办理", h("div", { class: "item-actions" }, actions))
      : section("办理", notice(closed ? "已办结，无需办理。"
        : OPEN.includes(status) || status === "accepted" ? "目前没有需要您办理的操作。" : "无可办理的操作。")),
    section(`办理经过（${history.length} 条）`, course(history, names)),
  ].filter(Boolean));
}
