// 创建工程总览: every target as a light, and the progress charts.
import { download, get } from "../api.js";
import { asOf, asOfPicker } from "../asof.js";
import { lineChart } from "../charts.js";
import { h, label, light, notice, percent, periodText, put, section, STATUS_ZH, STATUSES } from "../dom.js";
import { otherYearsFailing, targetFailing } from "../failing.js";

// The standard as the service words it ("100%", "10,000元"); older answers had only the number.
export function standard(target) {
  if (target.threshold_text) return target.threshold_text;
  const share = target.threshold < 1 || target.measured_text.includes("/");
  return share ? percent(target.threshold) : String(target.threshold);
}

// The first page of each failing list comes with the report; the next ones on asking.
const FAILING_PAGE = 50;

function targetCard(target, more) {
  const failing = [targetFailing(target, more), otherYearsFailing(target, more)];
  const periods = target.periods.length
    ? h("ul", { class: "periods" }, target.periods.map((p) =>
      h("li", { "data-period": p.kind }, light(p.status, p.status_zh), h("span", { text: periodText(p) }))))
    : null;
  return h("article", { class: `target status-${target.status}`, "data-target": target.id },
    h("header", {}, light(target.status, target.status_zh), h("h3", { text: target.title_zh }),
      h("span", { class: `status-word status-word-${target.status}`, text: target.status_zh })),
    h("p", { class: "figures" },
      h("span", { class: "measured", text: target.measured_text }),
      h("span", { class: "threshold", text: `标准 ${standard(target)}` })),
    h("p", { class: "meta" },
      `${target.clause} · 截止 ${target.due_on} · 责任：${label("Role", target.responsible_role)}`),
    periods,
    failing);
}

const RECORD = "请在“记录”页";

// The campaign's three monthly charts (also on the 大屏), each against the plan's own target.
export function trendCharts(trend) {
  const points = (key) => trend.points.map((p) => ({ on: p.on, y: p[key] }));
  return [
    lineChart({
      title: "标准化社区", unit: "个", integer: true, points: points("standard_sites"), goal: trend.standard_sites_needed, zeroIsEmpty: true,
      note: trend.standard_sites_goal_zh,
      empty: `尚无标准化社区。${RECORD}记录社区办公用房和活动场所的面积，达到标准的社区将按月计入本图。`,
    }),
    lineChart({
      title: "“五个好”社区占比", unit: "%", share: true, points: points("five_goods_share"), goal: trend.five_goods_needed, format: percent,
      note: trend.five_goods_goal_zh,
      empty: `尚无“五个好”考评结果。${RECORD}记录社区的“五个好”考评，图表将按月显示。`,
    }),
    lineChart({
      title: "本年人均培训天数", unit: "天", points: points("training_days_per_member"), goal: trend.training_days_needed, zeroIsEmpty: true,
      format: (v) => `${Number(v.toFixed(1))}`,
      empty: `暂无培训记录。${RECORD}记录党员培训，图表将按月显示。`,
    }),
  ];
}

export async function render(root, ctx) {
  if (!ctx.campaign) {
    root.append(notice("尚未启动创建工程；若刚刚启动服务，读模型可能仍在更新，请稍后刷新。"));
    return;
  }
  const params = { street_id: ctx.street, as_of: asOf(ctx) };
  const [progress, trend] = await Promise.all([
    get(`/api/v1/campaigns/${ctx.campaign.id}/progress`, { ...params, failing_limit: FAILING_PAGE }),
    get(`/api/v1/campaigns/${ctx.campaign.id}/trend`, params),
  ]);
  const summary = h("ul", { class: "summary" }, STATUSES.map((s) =>
    h("li", { class: `status-${s}` }, light(s), h("span", { text: STATUS_ZH[s] }),
      h("strong", { "data-summary": s, text: String(progress.summary[s] ?? 0) }))));
  const exportButtons = h("div", { class: "actions" },
    ["csv", "xlsx"].map((format) => h("button", {
      type: "button", class: "secondary",
      onclick: () => download(`/api/v1/campaigns/${ctx.campaign.id}/progress`, { ...params, format }, `进度.${format}`),
    }, `导出 ${format.toUpperCase()}`)));
  // The next page of a target's failing units (or of one of its years'), for the day the report was asked.
  const more = (target, offset, period) => get(`/api/v1/campaigns/${ctx.campaign.id}/progress/${target.id}/failing`,
    { ...params, as_of: progress.as_of, period, offset, limit: FAILING_PAGE });
  const card = (target) => targetCard(target, more);
  // A county-wide target in a community's or street's view is the county's, not its own light.
  const countyWide = progress.targets.filter((t) => t.county_wide);
  const streetWide = progress.targets.filter((t) => t.street_wide);  // a community's street's
  put(root,
    h("div", { class: "page-head" },
      h("h1", { text: ctx.campaign.name }),
      h("p", { class: "meta", text: `启动于 ${progress.launch_date} · 评估日期 ${progress.as_of}` }),
      ["county", "street"].includes(ctx.me.role)
        ? h("a", { class: "button secondary", href: "#/screen", "data-screen-link": "", text: "大屏展示" })
        : null,
      exportButtons,
      asOfPicker(ctx, "overview")),
    summary,
    section("进展趋势", h("div", { class: "charts" }, trendCharts(trend))),
    section("各项目标", h("div", { class: "targets" }, progress.targets.filter((t) => !t.county_wide && !t.street_wide).map(card))),
    streetWide.length
      ? section("所在街道目标（按街道计算，非本社区自己的目标）", h("div", { class: "targets street-wide" }, streetWide.map(card)))
      : null,
    countyWide.length
      ? section("全县目标（按全县计算，非本单位自己的目标）", h("div", { class: "targets county-wide" }, countyWide.map(card)))
      : null,
  );
}
