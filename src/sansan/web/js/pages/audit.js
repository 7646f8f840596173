// 审计查询: the audit log by actor, type, unit and time; chain verification; exports.
import { download, everyPage, get, offers } from "../api.js";
import { h, label, notice, section, select, table, when } from "../dom.js";
import { actorName, chineseDate, eventFields } from "../fields.js";
import { unitOptions } from "../forms.js";
import { LABELS } from "../labels.js";

const FILTERS = ["actor", "aggregate_type", "event_type", "aggregate_id", "unit_id", "community_id",
  "occurred_from", "occurred_to", "recorded_from", "recorded_to"];
const KINDS = ["Community", "PartyOrganization", "Member", "CreationCampaign", "SupervisionItem", "Firing"];
const KIND_OF_FAILURE = { changed: "记录被改动", missing: "记录缺失", reordered: "顺序被打乱", inserted: "插入了记录" };

function filtersFrom(query) {
  const filters = {};
  for (const name of FILTERS) {
    const value = query.get(name);
    if (value) filters[name] = value;
  }
  return filters;
}

// A datetime-local input has no zone; the county's is UTC+8.
function withZone(filters) {
  const zoned = { ...filters };
  for (const key of ["recorded_from", "recorded_to"]) {
    if (zoned[key] && !/[+Z]/.test(zoned[key].slice(16))) zoned[key] = `${zoned[key]}:00+08:00`;
  }
  return zoned;
}

async function verification() {
  const box = h("div", { class: "verify", "data-verify": "" });
  if (!(await offers("/api/v1/audit/verify"))) {
    box.append(notice("校验服务不可用", "warn"));
    return box;
  }
  const result = await get("/api/v1/audit/verify");
  if (result.ok) {
    const pending = result.pending ? `，另有 ${result.pending} 条新记录尚待入链` : "";
    box.append(notice(`哈希链校验通过：已校验 ${result.count} 条记录${pending}，链头 ${(result.head || "—").slice(0, 16)}`, "ok"));
  } else {
    const f = result.failure || {};
    box.append(notice(`哈希链校验失败：日志位置 ${f.position}，${f.kind_zh || KIND_OF_FAILURE[f.kind] || f.kind}（${f.detail || ""}）`, "error"));
  }
  return box;
}

function eventTypes() {
  return Object.entries(LABELS.Event)
    .map(([type, text]) => [type, text])
    .sort((a, b) => a[1].localeCompare(b[1], "zh-Hans-CN"));
}

function form(ctx, filters, communities, units, items, known) {
  // units by name; a unit reached by a link (a member, an item) is named from the page's rows
  const withChosen = (value) => {
    if (!value || units.some(([id]) => id === value)) return units;
    const row = items.find((e) => e.aggregate_id === value);
    return [[value, (row && row.unit_name) || "所选单位"], ...units];
  };
  const actors = [...new Set([filters.actor, ...known.map((a) => a.actor), ...items.map((e) => e.actor)].filter(Boolean))];
  const input = (name, text, type = "text") =>
    h("label", {}, `${text} `, h("input", { name, type, value: filters[name] || "" }));
  return h("form", {
    class: "filters", "aria-label": "审计筛选",
    onsubmit: (e) => {
      e.preventDefault();
      const values = Object.fromEntries([...new FormData(e.target)].filter(([, v]) => v));
      ctx.go("audit", values);
    },
  },
  h("label", {}, "记录人 ", select({ name: "actor" },
    [["", "全部"], ...actors.map((a) => [a, actorName(a)])], filters.actor)),
  h("label", {}, "单位类型 ", select({ name: "aggregate_type" },
    [["", "全部"], ...KINDS.map((k) => [k, label("Aggregate", k)])], filters.aggregate_type)),
  h("label", {}, "事件类型 ", select({ name: "event_type" },
    [["", "全部"], ...eventTypes()], filters.event_type)),
  h("label", {}, "单位 ", select({ name: "aggregate_id" }, [["", "全部"], ...withChosen(filters.aggregate_id)], filters.aggregate_id)),
  h("label", {}, "单位及其下级 ", select({ name: "unit_id" }, [["", "全部"], ...withChosen(filters.unit_id)], filters.unit_id)),
  h("label", {}, "社区 ", select({ name: "community_id" },
    [["", "全部"], ...communities.map((c) => [c.id, c.name])], filters.community_id)),
  input("occurred_from", "发生自", "date"), input("occurred_to", "至", "date"),
  input("recorded_from", "记录自", "datetime-local"), input("recorded_to", "至", "datetime-local"),
  h("button", { type: "submit" }, "查询"),
  h("a", { href: "#/audit", class: "button secondary", text: "清除" }));
}

async function exports(filters) {
  const jsonl = await offers("/api/v1/audit/export");
  const button = (text, onclick, enabled = true) => h("button", {
    type: "button", class: "secondary", disabled: !enabled, "data-export": text,
    title: enabled ? null : "导出服务不可用", onclick,
  }, `导出 ${text}`);
  // the JSONL export narrows by unit and recording time only; it carries the chain proof
  const narrow = { aggregate_id: filters.aggregate_id, recorded_from: filters.recorded_from, recorded_to: filters.recorded_to };
  return h("div", { class: "actions" },
    ["csv", "xlsx"].map((format) => button(format.toUpperCase(),
      () => download("/api/v1/audit/spreadsheet", { ...filters, format }, `审计日志.${format}`))),
    button("JSONL", () => download("/api/v1/audit/export", narrow, "audit.jsonl"), jsonl));
}

export async function render(root, ctx) {
  const chosen = filtersFrom(ctx.query);
  const filters = withZone(chosen);
  const [communities, units, actors, page, verify, buttons] = await Promise.all([
    everyPage("/api/v1/communities"),
    unitOptions("unit", ctx),
    offers("/api/v1/audit/actors").then((yes) => (yes ? get("/api/v1/audit/actors") : [])),
    get("/api/v1/audit", { ...filters, limit: 100, cursor: ctx.query.get("cursor") }),
    verification(),
    exports(filters),
  ]);
  const rows = page.items.map((e) => h("tr", { "data-position": e.position },
    h("td", { text: String(e.position) }),
    h("td", { text: chineseDate(e.occurred_on) }),
    h("td", { text: when(e.recorded_at) }),
    h("td", { text: actorName(e.actor) }),
    h("td", { text: label("Aggregate", e.aggregate_type) }),
    h("td", { title: e.event_type, text: label("Event", e.event_type) }),
    h("td", {}, h("a", { href: `#/audit?aggregate_id=${encodeURIComponent(e.aggregate_id)}`, title: "只看这一单位的记录",
      text: e.unit_name || label("Aggregate", e.aggregate_type) })),
    h("td", { class: "data" }, eventFields(e.event_type, e.data, e.names || {}))));
  const more = page.next_cursor
    ? h("a", { class: "button secondary", href: "#", onclick: (ev) => { ev.preventDefault(); ctx.go("audit", { ...chosen, cursor: page.next_cursor }); } }, "下一页")
    : null;
  root.append(
    h("div", { class: "page-head" }, h("h1", { text: "审计查询" }), buttons),
    section("日志完整性", verify),
    section("筛选", form(ctx, chosen, communities, units, page.items, actors)),
    section(`审计记录（本页 ${page.items.length} 条）`,
      page.items.length
        ? h("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": "审计记录" }, table(["位置", "发生日期", "记录时间（北京时间）", "记录人", "单位类型", "事件", "单位", "内容"], rows, { class: "audit" }))
        : notice("没有符合条件的记录。"),
      more),
  );
}
