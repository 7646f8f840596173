// 社区矩阵: communities × the targets each answers for, coloured; filter and click through
// (each cell a link to its community, so the keyboard opens it as the mouse does).
import { everyPage, get } from "../api.js";
import { asOf, asOfPicker } from "../asof.js";
import { h, label, light, notice, periodText, scrollBox, section, select } from "../dom.js";

export async function render(root, ctx) {
  const modelType = ctx.query.get("model_type") || "";
  const day = asOf(ctx);
  const listed = await everyPage("/api/v1/communities", { street_id: ctx.street, model_type: modelType });
  // A community registered after the day asked has no scorecard for it (422): not a row then.
  const communities = day ? listed.filter((c) => c.began_on <= day) : listed;
  const later = listed.length - communities.length;
  const filters = h("form", { class: "filters", "aria-label": "筛选" },
    h("label", {}, "示范类型 ",
      select({ name: "model_type", onchange: (e) => ctx.go("matrix", { model_type: e.target.value, as_of: day }) },
        [["", "全部"], ...Object.entries({ service: "服务型", management: "管理型", culture: "文化型" })], modelType)),
    asOfPicker(ctx, "matrix", { model_type: modelType }),
    h("span", { class: "meta", text: ctx.street ? `街道：${ctx.streetName(ctx.street)}` : "全部街道" }));
  root.append(h("div", { class: "page-head" }, h("h1", { text: "社区达标矩阵" })), filters);
  if (!communities.length) {
    root.append(notice("没有符合条件的社区。"));
    return;
  }
  const cards = ctx.campaign
    ? await Promise.all(communities.map((c) =>
      get(`/api/v1/communities/${c.id}/scorecard`, { campaign_id: ctx.campaign.id, as_of: day })))
    : [];
  // A scorecard leaves out what does not apply to its community: columns are every target
  // any community answers for, and a cell it does not answer for says so.
  const targets = [...new Map(cards.flatMap((card) => card.targets).map((t) => [t.id, t])).values()];
  // The whole cell answers a click; its link is what Tab reaches, and opens on Enter or Space
  // (Space too, as on a button: people press either on a cell of a grid).
  const open = (c) => ctx.go(`community/${c.id}`, { as_of: day });
  const href = (c) => `#/community/${c.id}${day ? `?as_of=${day}` : ""}`;
  const cell = (c, t) => t
    ? h("td", {
      class: `cell status-${t.status}`, "data-target": t.id,
      title: [`${t.title_zh}：${t.status_zh}（${t.measured_text}）`, ...t.periods.map(periodText)].join("\n"),
      onclick: (e) => { if (!e.target.closest("a")) open(c); },
    }, h("a", {
      href: href(c), class: "cell-link",
      onkeydown: (e) => { if (e.key === " ") { e.preventDefault(); open(c); } },
    }, h("span", { class: "visually-hidden", text: `${c.name} ${t.title_zh}：` }),
    light(t.status, t.status_zh, { "aria-hidden": "true" }), h("span", { text: t.measured_text }),
    h("small", { class: `status-text status-word-${t.status}`, text: t.status_zh })))
    : h("td", { class: "cell status-not_applicable", text: "不适用" });
  const rows = communities.map((c, i) => {
    const mine = new Map((cards[i] ? cards[i].targets : []).map((t) => [t.id, t]));
    return h("tr", { "data-community": c.id },
      h("th", { scope: "row" }, h("a", { href: href(c), text: c.name })),
      h("td", { text: c.street_name || "—" }),
      h("td", { text: label("ModelType", c.model_type) }),
      targets.map((t) => cell(c, mine.get(t.id))));
  });
  const head = h("thead", {}, h("tr", {},
    h("th", { text: "社区" }), h("th", { text: "街道" }), h("th", { text: "示范类型" }),
    targets.map((t) => h("th", { class: "target-head", title: t.clause, text: t.title_zh }))));
  root.append(section(`共 ${communities.length} 个社区`,
    later ? h("p", { class: "meta", "data-registered-later": String(later), text: `另有 ${later} 个社区于评估日期之后登记，未列入。` }) : null,
    scrollBox("社区达标矩阵", h("table", { class: "matrix" }, head, h("tbody", {}, rows)))));
}
