// Event data as people read it: labelled Chinese fields, units by name, vocabularies in
// Chinese, actors by display name. One table (labels.js, from domain/event_labels.py) for
// every page that shows events.
import { h, when } from "./dom.js";
import { FIELDS, LABELS } from "./labels.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SYSTEM_ACTORS = {
  "cli:admin": "系统管理员（命令行）",
  "system:scheduler": "系统（定时提醒）",
  "system:audit-chain": "系统（审计链）",
};

// "community:铁西社区党总支（演示）" → "铁西社区党总支（演示）（社区党组织）": the label and the
// role it acts in (a label alone may name another role's office); as readable.actor_zh.
export function actorName(actor) {
  if (!actor) return "—";
  if (SYSTEM_ACTORS[actor]) return SYSTEM_ACTORS[actor];
  const at = actor.indexOf(":");
  if (at < 0) return actor;
  const role = actor.slice(0, at);
  const name = actor.slice(at + 1);
  const roleZh = (LABELS.Role || {})[role];
  if (!roleZh) return name || actor;
  if (!name || UUID.test(name)) return roleZh;
  // a label that begins with its own role's name says it already (the phone's audit cards stay one line)
  return name.startsWith(roleZh) ? name : `${name}（${roleZh}）`;
}

export function chineseDate(iso) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || "");
  return match ? `${match[1]}年${Number(match[2])}月${Number(match[3])}日` : iso || "—";
}

function vocabularyOf(type, field) {
  const kind = (FIELDS.byEvent[type] || {})[field] || FIELDS.vocabulary[field];
  return kind ? LABELS[kind] || {} : null;
}

function unitName(id, names) {
  return names[id] || names[String(id).toLowerCase()] || "（范围外或已不存在的单位）";
}

const PURPOSES = { list: "查看党员列表", state: "查看党员详情", history: "查看党员变更记录" };
const ANY_UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

// Why personal data was read: a page of the dashboard, or a query of the API by the units it named.
function purposeText(value, names) {
  if (PURPOSES[value]) return PURPOSES[value];
  const units = [...new Set((String(value).match(ANY_UUID) || []).map((id) => unitName(id, names)))];
  const what = /\/audit\b/.test(value) ? "查询审计日志" : "通过接口查询";
  return units.length ? `${what}（涉及：${units.join("、")}）` : what;
}

// One value in words: a vocabulary in Chinese, an id by its name, a yes/no, a date, a list.
export function valueText(type, field, value, names = {}) {
  if (value === null || value === undefined || value === "") return "—";
  const vocabulary = vocabularyOf(type, field);
  if (Array.isArray(value)) return value.map((v) => valueText(type, field, v, names)).join("、") || "—";
  if (typeof value === "object") {
    return Object.entries(value).map(([k, v]) => {
      const key = vocabulary ? vocabulary[k] || k : LABELS.Field[k] || k;
      return `${key}：${typeof v === "boolean" ? (v ? "是" : "否") : valueText(type, k, v, names)}`;
    }).join("；");
  }
  if (typeof value === "boolean") return value ? "是" : "否";
  if (vocabulary && vocabulary[value]) return vocabulary[value];
  if (typeof value === "string" && UUID.test(value)) return unitName(value, names);
  if (field === "purpose") return purposeText(value, names);
  if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value)) return chineseDate(value);
  // an instant, as the API writes it ("…T…Z") or as Python prints it ("… 01:38:59.726422+00:00")
  if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(value)) {
    return `${when(value.replace(" ", "T").replace(/(\.\d{3})\d+/, "$1"))}（北京时间）`;
  }
  if (field === "amount_yuan") return `${Number(value).toLocaleString("zh-CN")} 元`;
  return String(value);
}

// The readable fields of one event, in the order the event holds them.
export function fieldPairs(type, data, names = {}) {
  const hidden = new Set(FIELDS.internal);
  return Object.entries(data || {})
    .filter(([k, v]) => !hidden.has(k) && v !== null && v !== undefined && v !== "")
    .map(([k, v]) => [LABELS.Field[k] || k, valueText(type, k, v, names)]);
}

export function eventFields(type, data, names = {}) {
  const pairs = fieldPairs(type, data, names);
  if (!pairs.length) return null;
  return h("dl", { class: "fields" }, pairs.map(([k, v]) => [h("dt", { text: k }), h("dd", { text: v })]));
}

// The events that give a person inside a unit an id, and the field that names them: a team
// member or a community worker is named by its own joining event, in the same history.
const NAMED_BY = { team_member_id: "person_name", worker_id: "worker_name" };

// Names the page already knows: communities, organizations (the tree), streets, the campaign,
// and the team members and workers the shown events name.
export function knownNames(ctx, tree = [], events = []) {
  const names = {};
  for (const c of ctx.communities || []) names[c.id] = c.name;
  for (const s of ctx.streets || []) names[s.id] = s.name;
  if (ctx.campaign) names[ctx.campaign.id] = ctx.campaign.name;
  const walk = (nodes) => nodes.forEach((n) => { names[n.id] = n.name; walk(n.children || []); });
  walk(tree);
  for (const e of events) {
    for (const [idField, nameField] of Object.entries(NAMED_BY)) {
      const data = e.data || {};
      if (data[idField] && data[nameField]) names[data[idField]] = data[nameField];
    }
  }
  return names;
}
