// 社区矩阵: communities × the targets each answers for, coloured; filter and click through.
import { everyPage, get } from "../api.js";
import { h, label, light, notice, periodText, section, select } from "../dom.js";

export async function render(root, ctx) {
  const modelType = ctx.query.get("model_type") || "";
  const communities = await everyPage("/api/v1/communities", { street_id: ctx.street, model_type: modelType });
  const filters = h("form", { class: "filters", "aria-label": "筛选" },
    h("label", {}, "示范类型 ",
      select({ name: "model_type", onchange: (e) => ctx.go("matrix", { model_type: e.target.value }) },
        [["", "全部"], ...Object.entries({ service: "服务型", management: "管理型", culture: "文化型" })], modelType)),
    h("span", { class: "meta", text: ctx.street ? `街道:${ctx.streetName(ctx.street)}` : "全部街道" }));
  root.append(h("div", { class: "page-head" }, h("h1", { text: "社区达标矩阵" })), filters);
  if (!communities.length) {
    root.append(notice("没有符合条件的社区。"));
    return;
  }
  const cards = ctx.campaign
    ? await Promise.all(communities.map((c) =>
      get(`/api/v1/communities/${c.id}/scorecard`, { campaign_id: ctx.campaign.id })))
    : [];
  // A scorecard leaves out what does not apply to its community: columns are every target
  // any community answers for, and a cell it does not answer for says so.
  const targets = [...new Map(cards.flatMap((card) => card.targets).map((t) => [t.id, t])).values()];
  const cell = (c, t) => t
    ? h("td", {
      class: `cell status-${t.status}`, "data-target": t.id,
      title: [`${t.title_zh}:${t.status_zh}(${t.measured_text})`, ...t.periods.map(periodText)].join("\n"),
      onclick: () => ctx.go(`community/${c.id}`),
    }, light(t.status, t.status_zh), h("span", { text: t.measured_text }),
    h("small", { class: `status-text status-word-${t.status}`, text: t.status_zh }))
    : h("td", { class: "cell status-not_applicable", text: "不适用" });
  const rows = communities.map((c, i) => {
    const mine = new Map((cards[i] ? cards[i].targets : []).map((t) => [t.id, t]));
    return h("tr", { "data-community": c.id },
      h("th", { scope: "row" }, h("a", { href: `#/community/${c.id}`, text: c.name })),
      h("td", { text: c.street_name || "—" }),
      h("td", { text: label("ModelType", c.model_type) }),
      targets.map((t) => cell(c, mine.get(t.id))));
  });
  const head = h("thead", {}, h("tr", {},
    h("th", { text: "社区" }), h("th", { text: "街道" }), h("th", { text: "示范类型" }),
    targets.map((t) => h("th", { class: "target-head", title: t.clause, text: t.title_zh }))));
  root.append(section(`共 ${communities.length} 个社区`,
    h("div", { class: "scroll" }, h("table", { class: "matrix" }, head, h("tbody", {}, rows)))));
}
