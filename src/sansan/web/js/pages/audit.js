// 审计查询: the audit log by actor, type, unit and time; chain verification; exports.
import { download, everyPage, get, offers } from "../api.js";
import { h, label, notice, scrollBox, section, select, table, when } from "../dom.js";
import { actorName, chineseDate, eventFields } from "../fields.js";
import { LABELS } from "../labels.js";

const FILTERS = ["actor", "aggregate_type", "event_type", "aggregate_id", "unit_id", "community_id", "street_id",
  "kind", "occurred_from", "occurred_to", "recorded_from", "recorded_to"];
// The filters that name a unit; one of them is set by the 单位 search box.
const UNIT_FILTERS = ["unit_id", "aggregate_id", "community_id", "street_id"];
// A community found by name covers everything inside it; a street, its communities; a member
// or an organization, its own records.
const FILTER_OF_KIND = { community: "unit_id", street: "street_id", organization: "aggregate_id", member: "aggregate_id" };
const SHOWN = [["", "全部"], ["changes", "仅数据变更"], ["reads", "仅个人信息查阅"]];
const PAGE_SIZE = 50;
const KINDS = ["Community", "PartyOrganization", "Member", "CreationCampaign", "SupervisionItem", "Firing"];
const KIND_OF_FAILURE = { changed: "记录被改动", missing: "记录缺失", reordered: "顺序被打乱", inserted: "插入了记录" };


// A long entry (a read naming many members) keeps its list in a box of its own, which a phone's
// card caps in height: focusable and named, so the keyboard can scroll it too.
function content(e) {
  const fields = eventFields(e.event_type, e.data, e.names || {});
  const long = fields && (fields.children.length > 8 || fields.textContent.length > 100);
  return long ? scrollBox("内容", fields) : fields;
}
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

// 单位 by name: type a part of it, pick a suggestion (streets, communities, organizations,
// members with their community); the choice travels as the hidden filter its kind calls for.
function unitSearch(chosenName, filters) {
  const chosenKey = UNIT_FILTERS.find((k) => filters[k]);
  const hidden = h("input", { type: "hidden", name: chosenKey || "unit_id", value: chosenKey ? filters[chosenKey] : "" });
  const list = h("ul", { class: "suggestions", role: "listbox", id: "unit-suggestions", hidden: true });
  const box = h("input", {
    type: "search", name: "unit_text", value: chosenName || "", placeholder: "输入名称，如“铁西”", autocomplete: "off",
    role: "combobox", "aria-controls": "unit-suggestions", "aria-expanded": "false", "aria-autocomplete": "list",
  });
  let asked = 0;
  const show = (found) => {
    list.replaceChildren(...found.map((u) => h("li", { role: "option" },
      h("button", {
        type: "button", "data-unit": u.id, "data-kind": u.kind,
        onclick: () => {
          hidden.name = FILTER_OF_KIND[u.kind];
          hidden.value = u.id;
          box.value = u.name;
          list.hidden = true;
          box.setAttribute("aria-expanded", "false");
        },
      }, u.label_zh))));
    if (!found.length) list.append(h("li", { class: "none", text: "没有名称含此文字的单位" }));
    list.hidden = false;
    box.setAttribute("aria-expanded", "true");
  };
  box.addEventListener("input", async () => {
    hidden.value = "";  // typed text is not a choice until a suggestion is picked
    const text = box.value.trim();
    if (!text) { list.hidden = true; return; }
    const mine = ++asked;
    const found = await get("/api/v1/units/search", { q: text, limit: 12 });
    if (mine === asked) show(found);  // an older answer arriving late is dropped
  });
  box.addEventListener("keydown", (e) => {
    if (e.key === "Escape") list.hidden = true;
    if (e.key === "ArrowDown" && !list.hidden) { e.preventDefault(); list.querySelector("button")?.focus(); }
  });
  return h("label", { class: "unit-search" }, "单位 ", h("span", { class: "combo" }, box, list), hidden);
}

function form(ctx, filters, chosenName, items, known) {
  const actors = [...new Set([filters.actor, ...known.map((a) => a.actor), ...items.map((e) => e.actor)].filter(Boolean))];
  const input = (name, text, type = "text") =>
    h("label", {}, `${text} `, h("input", { name, type, value: filters[name] || "" }));
  const submit = (formElement) => {
    const values = Object.fromEntries([...new FormData(formElement)].filter(([k, v]) => v && k !== "unit_text"));
    ctx.go("audit", values);
  };
  return h("form", {
    class: "filters", "aria-label": "审计筛选",
    onsubmit: (e) => { e.preventDefault(); submit(e.target); },
  },
  h("fieldset", { class: "shown" }, h("legend", { text: "显示" }),
    SHOWN.map(([value, text]) => h("label", { class: "check" },
      h("input", { type: "radio", name: "kind", value, checked: (filters.kind || "") === value,
        onchange: (e) => submit(e.target.form) }), text))),
  unitSearch(chosenName, filters),
  h("label", {}, "记录人 ", select({ name: "actor" },
    [["", "全部"], ...actors.map((a) => [a, actorName(a)])], filters.actor)),
  h("label", {}, "单位类型 ", select({ name: "aggregate_type" },
    [["", "全部"], ...KINDS.map((k) => [k, label("Aggregate", k)])], filters.aggregate_type)),
  h("label", {}, "事件类型 ", select({ name: "event_type" },
    [["", "全部"], ...eventTypes()], filters.event_type)),
  input("occurred_from", "发生自", "date"), input("occurred_to", "至", "date"),
  input("recorded_from", "记录自", "datetime-local"), input("recorded_to", "至", "datetime-local"),
  h("button", { type: "submit" }, "查询"),
  h("a", { href: "#/audit", class: "button secondary", text: "清除" }));
}

// The chosen unit's name, for a unit reached by a link: a community or a street from the
// list of communities, anything else from the rows about it.
function nameOf(filters, communities, items) {
  const key = UNIT_FILTERS.find((k) => filters[k]);
  if (!key) return "";
  const id = filters[key];
  const community = communities.find((c) => c.id === id);
  if (community) return community.name;
  const street = communities.find((c) => c.street_committee_id === id);
  if (street && street.street_name) return street.street_name;
  const row = items.find((e) => e.aggregate_id === id);
  return (row && row.unit_name) || "所选单位";
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
  const [communities, actors, page, verify, buttons] = await Promise.all([
    everyPage("/api/v1/communities"),
    offers("/api/v1/audit/actors").then((yes) => (yes ? get("/api/v1/audit/actors") : [])),
    // newest first (the API's default order), a page short enough to read on a phone
    get("/api/v1/audit", { ...filters, limit: PAGE_SIZE, cursor: ctx.query.get("cursor") }),
    verification(),
    exports(filters),
  ]);
  const rows = page.items.map((e) => h("tr", {
    "data-position": e.position, "data-aggregate": e.aggregate_id, "data-community": e.community_id || "",
    "data-event-type": e.event_type,
  },
  h("td", { class: "position", text: String(e.position) }),
  h("td", { class: "when", text: chineseDate(e.occurred_on) }),
  h("td", { class: "when", "data-label": "记录时间", text: when(e.recorded_at) }),
  h("td", { text: actorName(e.actor) }),
  h("td", { text: label("Aggregate", e.aggregate_type) }),
  h("td", { title: e.event_type, text: label("Event", e.event_type) }),
  h("td", {}, h("a", { href: `#/audit?aggregate_id=${encodeURIComponent(e.aggregate_id)}`, title: "只看这一单位的记录",
    text: e.unit_name || label("Aggregate", e.aggregate_type) })),
  h("td", { class: "data" }, content(e))));
  const link = (text, cursor) => h("a", { class: "button secondary", href: "#",
    onclick: (ev) => { ev.preventDefault(); ctx.go("audit", cursor ? { ...chosen, cursor } : chosen); } }, text);
  const paging = h("div", { class: "actions paging" },
    ctx.query.get("cursor") ? link("回到最新", null) : null,
    page.next_cursor ? link("更早的记录", page.next_cursor) : null);
  root.append(
    h("div", { class: "page-head" }, h("h1", { text: "审计查询" }), buttons),
    section("日志完整性", verify),
    section("筛选", form(ctx, chosen, nameOf(chosen, communities, page.items), page.items, actors)),
    section(`审计记录（最新在前，本页 ${page.items.length} 条）`,
      page.items.length
        ? scrollBox("审计记录", table(["位置", "发生日期", "记录时间（北京时间）", "记录人", "单位类型", "事件", "单位", "内容"], rows, { class: "audit cards" }))
        : notice("没有符合条件的记录。"),
      paging),
  );
}
