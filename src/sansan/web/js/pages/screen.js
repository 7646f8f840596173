// 大屏: the campaign on the county meeting room's screen (1920×1080): the lights in words, the
// monthly charts and what is most urgent, redrawn from the API every minute, without the header.
import { everyPage, get } from "../api.js";
import { asOf, asOfPicker } from "../asof.js";
import { h, light, notice, STATUS_ZH } from "../dom.js";
import { chineseDate } from "../fields.js";
import { standard, trendCharts } from "./overview.js";

export const REFRESH_MS = 60_000;
const SHOWN = 6;  // items per list: the screen never scrolls
const TILES = ["green", "yellow", "red", "not_due"];
const CLOSED = ["accepted", "closed"];
let timer = null;

function chinaTime() {
  return new Date(Date.now() + 8 * 3600_000).toISOString().slice(11, 16);
}

function summaryTiles(summary) {
  const total = Object.values(summary).reduce((a, b) => a + b, 0);
  const others = ["no_data", "not_applicable"].filter((s) => summary[s])
    .map((s) => `${STATUS_ZH[s]} ${summary[s]} 项`);
  const words = `共 ${total} 项目标：${TILES.map((s) => `${STATUS_ZH[s]} ${summary[s] ?? 0} 项`).join("，")}`
    + `${others.length ? `，${others.join("，")}` : ""}。`;
  return h("section", { class: "screen-summary", "aria-label": "目标状态汇总" },
    h("ul", {}, TILES.map((s) => h("li", { class: `status-${s}`, "data-screen-summary": s },
      light(s), h("span", { class: "word", text: STATUS_ZH[s] }),
      h("strong", { text: String(summary[s] ?? 0) }), h("span", { class: "unit", text: "项" })))),
    h("p", { class: "screen-words", "data-screen-words": "", text: words }));
}

function shortList(title, items, none, line) {
  const more = items.length > SHOWN ? h("li", { class: "more", text: `另有 ${items.length - SHOWN} 项，请在总览和待办中查看。` }) : null;
  return h("section", { class: "screen-list" }, h("h2", { text: title }),
    items.length ? h("ol", {}, items.slice(0, SHOWN).map(line), more) : h("p", { class: "none", text: none }));
}

// Red before yellow; within each, the earliest due first.
function urgentTargets(targets) {
  const rank = { red: 0, yellow: 1 };
  return targets.filter((t) => t.status in rank)
    .sort((a, b) => rank[a.status] - rank[b.status] || a.due_on.localeCompare(b.due_on));
}

function targetLine(t) {
  const units = t.failing.length ? `，未达标${t.failing_count_zh}` : "";  // counted as what they are: 人, 个社区
  return h("li", { "data-screen-target": t.id },
    light(t.status), h("span", { class: `status-word status-word-${t.status}`, text: t.status_zh }),
    h("strong", { text: t.title_zh }),
    h("span", { class: "detail", text: `实测 ${t.measured_text}，标准 ${standard(t)}${units}，截止 ${chineseDate(t.due_on)}` }));
}

// Days overdue as the API counts them (the list and the case file share one function).
function itemLine() {
  return (item) => h("li", { "data-screen-item": item.id },
    light("red"), h("span", { class: "status-word status-word-red", text: `逾期 ${item.days_overdue} 天` }),
    h("strong", { text: item.title }),
    h("span", { class: "detail", text: `承办：${item.assignee_name}，期限 ${chineseDate(item.due_on)}` }));
}

async function draw(root, ctx) {
  // 评估日期: a past day's board for a meeting that looks back (same bounds as 总览's); the
  // supervision items have no past state in the list, so theirs is today's, and says so.
  const day = asOf(ctx);
  const params = { street_id: ctx.street, as_of: day };
  const [progress, trend, items] = await Promise.all([
    get(`/api/v1/campaigns/${ctx.campaign.id}/progress`, params),
    get(`/api/v1/campaigns/${ctx.campaign.id}/trend`, params),
    everyPage("/api/v1/supervision-items"),
  ]);
  const overdue = items.filter((i) => i.light === "red" && !CLOSED.includes(i.status))
    .sort((a, b) => a.due_on.localeCompare(b.due_on));
  const where = ctx.street ? ctx.streetName(ctx.street) : "全县";
  root.replaceChildren(
    h("header", { class: "screen-head" },
      h("h1", { text: `${ctx.campaign.name}（${where}）` }),
      h("p", { class: "screen-time" }, `评估日期 ${chineseDate(progress.as_of)} · `,
        h("span", { "data-screen-updated": "", text: `更新于 ${chinaTime()}（北京时间）` }),
        `，每分钟自动更新`),
      asOfPicker(ctx, "screen"),
      h("a", { class: "button secondary", href: "#/overview", text: "退出大屏" })),
    summaryTiles(progress.summary),
    h("section", { class: "screen-charts", "aria-label": "进展趋势" }, trendCharts(trend)),
    h("div", { class: "screen-lists" },
      shortList("最紧急的未达标目标", urgentTargets(progress.targets), "目前没有逾期或临近期限的目标。", targetLine),
      shortList(day ? "逾期督办事项（截至今天）" : "逾期督办事项", overdue, "目前没有逾期的督办事项。", itemLine())),
  );
}

export async function render(root, ctx) {
  clearInterval(timer);
  if (!ctx.campaign) {
    root.append(notice("尚未启动创建工程，暂无可展示的内容。"));
    return;
  }
  const board = h("div", { class: "screen" });
  root.append(board);
  await draw(board, ctx);
  // Redrawn in place while the screen is shown; once the page is left the timer stops itself.
  timer = setInterval(async () => {
    if (!board.isConnected) { clearInterval(timer); return; }
    try {
      await draw(board, ctx);
    } catch (error) {  // keep what is shown, and say so; the next minute tries again
      const time = board.querySelector("[data-screen-updated]");
      if (time) time.textContent = `${time.textContent.split("；")[0]}；${chinaTime()} 更新失败，一分钟后重试`;
    }
  }, REFRESH_MS);
}
