// Hand-drawn SVG charts with real axes: a line per month against the plan's target, and bars
// (funding per year) against a threshold. Every month is labelled, the y axis has round steps with
// its unit, and every point says its value in words (<title>, and the chart's aria-label says the whole series), so nothing is colour only.
import { h, s } from "./dom.js";

// The top pad holds the unit above the y axis clear of the top tick's value: at 22 a phone's
// "（元）" overprinted "15,000" (the boxes of 11px text are about 13px tall).
const H = 196, PAD = { left: 46, right: 14, top: 28, bottom: 44 };
const MIN_W = 340, SLOT = 30;  // a month needs about 30 units for "10月" at the charts' type size
// Beyond a year of months a chart spans the whole row and writes a month as its number ("10"),
// with 月 at the axis' end, so every month keeps its label; a phone scrolls it inside its box.
export const CROWDED = 12, SLOT_CROWDED = 17;

// Round steps for an axis from 0 to at least `max`: 1, 2, 2.5 or 5 times a power of ten, about
// `count` steps; counts of whole things (sites, communities) never step by a fraction.
export function niceTicks(max, { count = 4, integer = false } = {}) {
  const top = max > 0 ? max : 1;
  const raw = top / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step0 = [1, 2, 2.5, 5, 10].map((m) => m * power).find((m) => m >= raw - 1e-12);
  const step = integer ? Math.max(1, Math.ceil(step0)) : step0;
  const n = Math.ceil(top / step - 1e-9);
  return Array.from({ length: n + 1 }, (_, i) => Number((i * step).toPrecision(12)));
}

// A share's axis is always 0–100% in quarters: a percentage reads against the whole.
const SHARE_TICKS = [0, 0.25, 0.5, 0.75, 1];

function monthText(iso) {
  return `${Number(iso.slice(5, 7))}月`;
}

function monthLong(iso) {
  return `${iso.slice(0, 4)}年${Number(iso.slice(5, 7))}月`;
}

// The chart's area when there is nothing to draw: what to record, and where.
export function emptyChart({ title, empty, note = null }) {
  return h("figure", { class: "chart chart-is-empty" },
    h("figcaption", {}, h("strong", { text: title })),
    h("div", { class: "chart-empty", role: "note" }, empty),
    note ? h("p", { class: "meta chart-note", "data-chart-note": "", text: note }) : null);
}

function frame(title, caption, width, label, body, wide = false, note = null) {
  const svg = s("svg", {
    viewBox: `0 0 ${width} ${H}`, role: "img", "aria-label": label, preserveAspectRatio: "xMidYMid meet",
  }, s("title", {}, label), body);
  // set through the CSSOM: the page's policy refuses style attributes
  if (wide) svg.style.minWidth = `${Math.round(width * 0.9)}px`;
  return h("figure", { class: wide ? "chart chart-wide" : "chart" },
    h("figcaption", {}, h("strong", { text: title }), caption ? h("span", { class: "chart-latest", text: caption }) : null),
    wide ? h("div", { class: "scroll chart-scroll" }, svg) : svg,
    note ? h("p", { class: "meta chart-note", "data-chart-note": "", text: note }) : null);
}

// The y axis: gridlines at every tick, the tick values, the unit at the top.
function yAxis(ticks, y, width, format, unit) {
  return [
    ticks.map((t) => [
      s("line", { class: t === 0 ? "axis" : "grid", x1: PAD.left, y1: y(t), x2: width - PAD.right, y2: y(t) }),
      s("text", { class: "tick y-tick", x: PAD.left - 5, y: y(t) + 3.5, "text-anchor": "end" }, format(t)),
    ]),
    s("line", { class: "axis", x1: PAD.left, y1: PAD.top, x2: PAD.left, y2: H - PAD.bottom }),
    s("text", { class: "unit", x: PAD.left - 5, y: PAD.top - 14, "text-anchor": "end" }, `（${unit}）`),
  ];
}

// The plan's line across the chart, labelled with its value in words.
function goalLine(goal, y, width, text) {
  return [
    s("line", { class: "goal", x1: PAD.left, y1: y(goal), x2: width - PAD.right, y2: y(goal) }),
    s("text", { class: "goal-text", x: width - PAD.right, y: y(goal) - 4, "text-anchor": "end" }, text),
  ];
}

// Month by month. `points` are {on: "YYYY-MM-DD", y: number|null}; `unit` names the y axis (%, 个, 天);
// `empty` is what the chart area says, in words, when no point has a value (or, with `zeroIsEmpty`,
// when every value is 0: nothing has been recorded yet, as with training days). `note` says under
// the chart what its target line stands for, or why it has none (a county-wide target in a
// community's view).
export function lineChart({
  title, points, goal, format = (v) => String(v), unit, share = false, integer = false, empty = "暂无记录。", zeroIsEmpty = false,
  note = null,
}) {
  const known = points.filter((p) => p.y !== null && p.y !== undefined);
  if (!known.length || (zeroIsEmpty && known.every((p) => p.y === 0))) return emptyChart({ title, empty, note });
  const crowded = points.length > CROWDED;
  const width = Math.max(MIN_W, PAD.left + PAD.right + points.length * (crowded ? SLOT_CROWDED : SLOT));
  const ticks = share ? SHARE_TICKS : niceTicks(Math.max(goal || 0, ...known.map((p) => p.y)), { integer });
  const top = ticks[ticks.length - 1];
  const inner = width - PAD.left - PAD.right;
  const x = (i) => PAD.left + (i + 0.5) * (inner / points.length);
  const y = (v) => H - PAD.bottom - (v / top) * (H - PAD.top - PAD.bottom);
  const goalText = goal ? `目标：${format(goal)}` : null;
  const body = [yAxis(ticks, y, width, format, unit)];
  // Every month is labelled; the year under its first month and under every January.
  const firstJanuary = points.findIndex((p) => p.on.slice(5, 7) === "01");
  points.forEach((p, i) => {
    const month = crowded ? String(Number(p.on.slice(5, 7))) : monthText(p.on);
    body.push(s("text", { class: "tick x-tick", "data-month": p.on.slice(0, 7), x: x(i), y: H - PAD.bottom + 15, "text-anchor": "middle" }, month));
    // crowded, the first month's year would overprint the January just after it
    const roomy = !crowded || i > 0 || firstJanuary < 0 || firstJanuary > 2;
    if ((i === 0 && roomy) || p.on.slice(5, 7) === "01") {
      body.push(s("text", { class: "tick year", x: x(i), y: H - PAD.bottom + 31, "text-anchor": "middle" }, `${p.on.slice(0, 4)}年`));
    }
  });
  if (crowded) body.push(s("text", { class: "unit", x: width - 2, y: H - PAD.bottom + 15, "text-anchor": "end" }, "月"));
  if (goal) body.push(goalLine(goal, y, width, goalText));
  const drawn = points.map((p, i) => ({ ...p, i })).filter((p) => p.y !== null && p.y !== undefined);
  body.push(s("polyline", { class: "series", points: drawn.map((p) => `${x(p.i)},${y(p.y)}`).join(" ") }));
  drawn.forEach((p) => {
    const said = `${monthLong(p.on)}：${format(p.y)}`;
    body.push(s("circle", { class: "dot", cx: x(p.i), cy: y(p.y), r: 3.5 }, s("title", {}, said)));
  });
  const latest = drawn[drawn.length - 1];
  const label = `${title}，按月（${unit}）：${drawn.map((p) => `${monthLong(p.on)} ${format(p.y)}`).join("，")}${goalText ? `；${goalText}` : ""}。`;
  return frame(title, `最新 ${format(latest.y)}${goalText ? `，${goalText}` : ""}`, width, label, body, crowded, note);
}

// Bars, one per category (a year), against a threshold every bar should reach (`goal`, `goalText`).
export function barChart({ title, bars, goal, goalText, format = (v) => String(v), unit, empty = "暂无记录。" }) {
  if (!bars.length) return emptyChart({ title, empty });
  const width = Math.max(MIN_W, PAD.left + PAD.right + bars.length * 60);
  const ticks = niceTicks(Math.max(goal || 0, ...bars.map((b) => b.y)));
  const top = ticks[ticks.length - 1];
  const step = (width - PAD.left - PAD.right) / bars.length;
  const y = (v) => H - PAD.bottom - (v / top) * (H - PAD.top - PAD.bottom);
  const body = [yAxis(ticks, y, width, format, unit)];
  const said = (b) => `${b.x}：${format(b.y)} ${unit}${goal ? (b.y >= goal ? "，已达到" : "，未达到") : ""}`;
  bars.forEach((b, i) => {
    const left = PAD.left + i * step + step * 0.25;
    const below = goal && b.y < goal;
    body.push(
      s("rect", { class: below ? "bar bar-below" : "bar", x: left, y: y(b.y), width: step * 0.5, height: y(0) - y(b.y) },
        s("title", {}, said(b))),
      s("text", { class: "tick bar-value", x: left + step * 0.25, y: y(b.y) - 4, "text-anchor": "middle" }, format(b.y)),
      s("text", { class: "tick x-tick", x: left + step * 0.25, y: H - PAD.bottom + 15, "text-anchor": "middle" }, b.x),
    );
    if (goal) body.push(s("text", { class: `tick bar-verdict${below ? " below" : ""}`, x: left + step * 0.25, y: H - PAD.bottom + 31, "text-anchor": "middle" }, below ? "未达到" : "已达到"));
  });
  if (goal) body.push(goalLine(goal, y, width, goalText || `目标：${format(goal)}`));
  const label = `${title}（${unit}）：${bars.map(said).join("；")}${goalText ? `；${goalText}` : ""}。`;
  return frame(title, goalText || null, width, label, body);
}

const yuan = (v) => Number(v).toLocaleString("zh-CN");

// The plan's yearly minimum per community (its funding_each target), or null when it has none.
export function fundingMinimum(plan) {
  const target = plan ? plan.targets.find((t) => t.rule === "funding_each") : null;
  return target ? Number(target.params.min_yuan) : null;
}

// A community's funding, one bar per year from the campaign's launch to this year (a year with
// nothing allocated shows as 0), against the plan's yearly minimum.
export function fundingChart({ byYear, minimum, fromYear, toYear }) {
  const recorded = Object.keys(byYear).map(Number);
  const first = Math.min(fromYear || Infinity, ...recorded), last = Math.max(toYear || 0, ...recorded);
  const bars = recorded.length
    ? Array.from({ length: last - first + 1 }, (_, i) => first + i)
      .map((year) => ({ x: `${year}年`, y: Number(byYear[String(year)] || 0) }))
    : [];
  return barChart({
    title: "各年度划拨经费", unit: "元", bars, format: yuan, goal: minimum,
    goalText: minimum ? `目标：每年不少于${yuan(minimum)}元` : null,
    empty: "暂无经费划拨记录。县委组织部或街道党工委在“记录”页记录向本社区划拨的社区办公经费后，图表将按年度显示。",
  });
}
