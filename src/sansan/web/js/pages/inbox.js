// 待办: reminders and alerts for the signed-in scope, and the supervision items with their actions.
import { everyPage, get, post, settle } from "../api.js";
import { h, label, light, notice, scrollBox, section, table, when } from "../dom.js";
import { actorName, chineseDate } from "../fields.js";
import { commandForm, record } from "../forms.js";
import { actionsFor, unsigned } from "../supervision.js";

const SUPERVISORS = ["county", "street"];
const LIGHT_CLASS = { red: "red", yellow: "yellow", green: "green", none: "green" };

// The auditor reads each addressee's own 签收: who, and when (China time); and who has not yet.
function acknowledgements(n) {
  if (!n.acknowledgements) return null;  // an addressee reads its own 签收 in the line above
  const done = new Set(n.acknowledgements.map((k) => k.addressee));
  return h("ul", { class: "meta acks", "data-acks": "" },
    n.acknowledgements.map((k) => h("li", {
      "data-ack-by": k.addressee,
      text: `${label("Addressee", k.addressee)}：${actorName(k.acknowledged_by)} 于 ${when(k.acknowledged_at)}（北京时间）签收`,
    })),
    n.addressees.filter((a) => !done.has(a)).map((a) => h("li", {
      "data-ack-waiting": a, text: `${label("Addressee", a)}：尚未签收`,
    })));
}

function notifications(items, refresh) {
  if (!items.length) return notice("没有待签收的提醒与预警。");
  return h("ul", { class: "notifications" }, items.map((n) => h("li", { "data-notification": n.id, class: n.acknowledged_at ? "done" : "" },
    h("div", {},
      h("span", { class: `kind kind-${n.kind}`, text: label("FiringKind", n.kind) }),
      h("strong", { text: n.message_zh })),
    h("p", { class: "meta", text: `${n.community_name || n.unit_name || "全县"} · 期限 ${n.due_on || "—"} · 发出 ${when(n.recorded_at)}` }),
    acknowledgements(n),
    n.acknowledgements ? null  // the auditor's: each addressee's, above
      : n.acknowledged_at
        ? h("p", { class: "meta ack", text: `已签收：${actorName(n.acknowledged_by)} ${when(n.acknowledged_at)}（北京时间）` })
        // a street reads every notice about its communities but signs only its own (the API
        // answers 403 not_addressed to the others)
        : !n.for_you ? h("p", {
          class: "meta", "data-not-for-you": "",
          text: `仅供知悉：本提醒发给${n.addressees.map((a) => label("Addressee", a)).join("、")}，由收件方签收。`,
        })
          : h("button", {
        type: "button", "data-ack": n.id,
        onclick: async () => refresh((await post(`/api/v1/notifications/${n.id}/acknowledgement`)).position),
      }, "签收"))));
}

// 交办: the catalogue's form for AssignSupervisionItem, in the campaign shown.
async function assignForm(ctx, catalogue, refresh) {
  const spec = catalogue.find((c) => c.command === "AssignSupervisionItem");
  if (!spec) return null;
  return commandForm(spec, ctx, {
    fixed: ctx.campaign ? { campaign_id: ctx.campaign.id } : {},
    submitText: "交办",
    onSubmit: async (body, key) => refresh((await record(spec.path, body, key)).position),
  });
}

export async function render(root, ctx) {
  const role = ctx.me.role;
  const showAll = ctx.query.get("all") === "1";
  const refresh = async (position) => {
    await settle(position);
    ctx.go("inbox", { all: showAll ? "1" : "" });
  };
  const [notes, items, catalogue] = await Promise.all([
    everyPage("/api/v1/notifications", { unacknowledged: !showAll }),
    everyPage("/api/v1/supervision-items"),
    get("/api/v1/commands"),
  ]);
  const waiting = new Set(unsigned(items, ctx.me).map((i) => i.id));
  const rows = items.map((item) => {
    const closed = item.status === "closed";
    return h("tr", { "data-item": item.id, class: closed ? "closed" : waiting.has(item.id) ? "new" : null },
      h("td", { class: "light-cell" }, light(LIGHT_CLASS[item.light], item.standing_zh),
        h("span", { class: `status-word status-word-${LIGHT_CLASS[item.light]}`, "data-standing": "", text: item.standing_zh })),
      h("td", {}, h("a", { href: `#/item/${item.id}`, class: "item-title", text: item.title }),
        waiting.has(item.id) ? h("span", { class: "tag new", text: "新交办，待签收" }) : null),
      h("td", { text: item.assignee_name }),
      h("td", { text: chineseDate(item.due_on) }),
      h("td", { class: "status", text: label("SupervisionStatus", item.status) + (closed ? "（已归档）" : "") }),
      h("td", { class: "urges", text: String(item.urge_count) }),
      h("td", { class: "actions" }, h("a", {
        class: `button${closed ? " secondary" : ""}`, href: `#/item/${item.id}`, "data-open": item.id,
        text: closed ? "查看卷宗" : actionsFor(catalogue, ctx.me, item, false).length ? "办理" : "查看",
      })));
  });
  const assign = SUPERVISORS.includes(role) ? await assignForm(ctx, catalogue, refresh) : null;
  root.append(...[
    h("div", { class: "page-head" }, h("h1", { text: "待办与督办" }),
      waiting.size ? h("p", { class: "meta", "data-waiting": String(waiting.size), text: `${waiting.size} 项新督办事项待签收` }) : null),
    section(showAll ? "全部提醒与预警" : "待签收的提醒与预警",
      h("p", {}, h("a", { href: showAll ? "#/inbox" : "#/inbox?all=1", text: showAll ? "只看待签收" : "显示全部（含已签收）" })),
      notifications([...notes].reverse(), refresh)),
    section("督办事项",
      items.length
        ? scrollBox("督办事项", table(["灯", "事项", "承办组织", "期限", "状态", "催办次数", "办理"], rows, { class: "items cards" }))
        : notice("没有督办事项。")),
    assign ? section("交办督办事项", assign) : null,
  ].filter(Boolean));
}
