// Building DOM from data: text always goes in as text nodes, never as HTML.
import { LABELS } from "./labels.js";

function build(element, attrs, children) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) element.addEventListener(key.slice(2), value);
    else if (key === "text") element.textContent = value;
    else element.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

// Children added to an element already on the page, by the rules of h(): a null, undefined or
// false child is left out (Element.append would write it as the text "null").
export function put(element, ...children) {
  return build(element, {}, children);
}

export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

export function s(tag, attrs, ...children) {
  return build(document.createElementNS("http://www.w3.org/2000/svg", tag), attrs, children);
}

export function label(kind, value) {
  if (value === null || value === undefined) return "—";
  return (LABELS[kind] && LABELS[kind][value]) || value;
}

export const STATUS_ZH = {
  green: "已达标", yellow: "临近期限", red: "逾期未达标", not_due: "未到期", no_data: "无数据", not_applicable: "不适用",
};
export const STATUSES = Object.keys(STATUS_ZH);

// A yearly target's period in words: "2026年（已结束）：逾期未达标 1/2"; an ended year missed in
// the service's own line, the figure at the verdict and the one on record now
// ("2026年度到位0元（年末未达标）；2027年1月5日补足，现累计到位50,000元").
export function periodText(p) {
  if (p.now_text !== null && p.now_text !== undefined && p.line_zh) return p.line_zh;
  const when = p.kind === "ended" ? "已结束" : "本年度";
  return `${p.label_zh}（${when}）：${p.status_zh} ${p.measured_text}`;
}

// A failing unit, with its own due date when it has one (set up, appointed or registered late).
// An ended year missed: the reason is the verdict's, then how the unit stands now.
export function failingText(f) {
  const now = f.now_zh ? `（年末）；${f.now_zh}` : "";
  return `${f.unit_name}：${f.reason_zh}${f.due_on ? `（自身期限 ${f.due_on}）` : ""}${now}`;
}

export function light(status, title, attrs = {}) {
  return h("span", { class: `light light-${status}`, title: title || STATUS_ZH[status] || status, ...attrs });
}

export function section(title, ...children) {
  return h("section", { class: "card" }, h("h2", { text: title }), ...children);
}

// A box a wide table scrolls sideways in (a phone): focusable and named, so that a keyboard
// can scroll it too and a screen reader says what it holds.
export function scrollBox(name, ...children) {
  return h("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": name }, ...children);
}


// Each cell carries its column's header (data-label), so that on a phone a row can read as a
// card of "header: value" lines (app.css) instead of a squeezed row.
export function table(headers, rows, attrs = {}) {
  const body = h("tbody", {}, rows);
  for (const row of body.rows) {
    [...row.cells].forEach((cell, i) => {
      if (!cell.hasAttribute("data-label") && headers[i]) cell.setAttribute("data-label", headers[i]);
    });
  }
  return h("table", attrs,
    h("thead", {}, h("tr", {}, headers.map((t) => h("th", { text: t })))),
    body);
}

export function percent(value) {
  return `${Math.round(value * 100)}%`;
}

export function when(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return new Date(d.getTime() + 8 * 3600_000).toISOString().slice(0, 16).replace("T", " ");
}

export function notice(text, kind = "info") {
  return h("p", { class: `notice notice-${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}

export function select(attrs, options, chosen) {
  return h("select", attrs, options.map(([value, text]) =>
    h("option", { value, selected: value === (chosen || "") }, text)));
}
