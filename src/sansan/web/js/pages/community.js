// 社区详情: scorecard, organization tree, facilities, funding, members and the full history.
import { everyPage, get, settle, today } from "../api.js";
import { asOf, asOfPicker } from "../asof.js";
import { fundingChart, fundingMinimum } from "../charts.js";
import { h, label, light, notice, periodText, scrollBox, section, table, when } from "../dom.js";
import { otherYearsFailing, targetFailing } from "../failing.js";
import { actorName, chineseDate, eventFields, knownNames } from "../fields.js";
import { commandForm, record } from "../forms.js";

function findNode(nodes, test) {
  for (const node of nodes) {
    if (test(node)) return node;
    const found = findNode(node.children, test);
    if (found) return found;
  }
  return null;
}

function treeList(nodes, top = true) {
  return h("ul", { class: top ? "tree" : null }, nodes.map((n) => h("li", { "data-org": n.level },
    h("span", { class: "org" }, h("strong", { text: n.name }), h("small", { text: label("OrgLevel", n.level) })),
    n.children.length ? treeList(n.children, false) : null)));
}

// The scorecard lists the first few failing units of each target (and of a yearly target's other
// year), says how many there are, and pages on through them on asking.
const FIRST_FAILING = 5;
const FAILING_PAGE = 50;

function scorecard(card, more) {
  if (!card) return notice("尚未启动创建工程。");
  const rows = card.targets.map((t) => h("tr", { "data-target": t.id },
    h("td", { class: "status" }, light(t.status, t.status_zh),
      h("span", { class: `status-word status-word-${t.status}`, text: t.status_zh })),
    h("td", { text: t.title_zh }), h("td", { text: t.measured_text }), h("td", { text: t.threshold_text || "" }),
    h("td", { text: t.due_on }),
    h("td", { class: "periods", text: t.periods.map(periodText).join("；") }),
    h("td", { class: "failing" }, targetFailing(t, more, true), otherYearsFailing(t, more, true))));
  return scrollBox("达标情况", table(["状态", "目标", "实测", "标准", "截止", "年度", "未达标原因"], rows, { class: "scorecard cards" }));
}

function facilities(state) {
  const items = [
    ["办公用房", state.office_area_m2 ? `${state.office_area_m2} ㎡` : "未记录"],
    ["活动场所", state.venue_area_m2 ? `${state.venue_area_m2} ㎡` : "未记录"],
    ["社区服务站", state.service_station || "未建立"],
    ["文化阵地", state.culture_facilities.length ? state.culture_facilities.map((f) => label("CultureFacilityKind", f.kind || f)).join("、") : "无"],
    ["工作制度", state.working_systems.map((w) => label("WorkingSystemKind", w)).join("、") || "无"],
    ["协调机构", Object.keys(state.coordination_bodies).map((k) => label("CoordinationBodyKind", k)).join("、") || "无"],
    ["特色品牌", state.brand || "无"],
  ];
  return h("dl", { class: "facts" }, items.map(([k, v]) => [h("dt", { text: k }), h("dd", { text: v })]));
}

// The demo's history is loaded at once, long after it "happened": such entries say 演示数据,
// quietly; any other entry recorded more than a day after it happened is flagged 补录.
const DEMO_NOTE = "演示数据";

function lateness(e) {
  const lagDays = Math.floor((Date.parse(e.recorded_at) - Date.parse(e.occurred_on)) / 86_400_000);
  if (lagDays <= 1) return null;
  if (e.note === DEMO_NOTE) return h("span", { class: "seeded", text: "演示数据（载入时补录）" });
  return h("span", { class: "lag", text: `补录，晚 ${lagDays} 天` });
}

// The facts a mistyped figure may be corrected on, and the command that corrects each: offered
// (更正) on the community's own entries to the roles the catalogue gives that command.
const CORRECTED_BY = { FacilityUpgraded: "CorrectFacilityArea", FundingAllocated: "CorrectFundingAmount" };

// A small form under the entry, built when opened: the entry's version and today are sent as
// given; the new figure and the reason (原因) are asked.
// A figure is corrected by the level that recorded it or a higher one (a community and its
// client token are one level), and once corrected, by the level that corrected it or a higher
// one (an upgrade's two areas each on its own): the service refuses the rest, so an entry is
// offered 更正 only when the role may correct one of its figures.
const LEVEL = { county: 2, street: 1 };
const levelOf = (role) => LEVEL[role] ?? 0;
const CORRECTIONS = ["FacilityAreaCorrected", "FundingAmountCorrected"];
const AREAS = ["office_area_m2", "venue_area_m2"];

// The highest level that corrected each figure of each fact of the community's own history.
function correctorLevels(history) {
  const levels = {};
  for (const e of history.filter((e) => CORRECTIONS.includes(e.type))) {
    const figures = (levels[e.data.corrected_version] ??= {});
    const figure = e.data.corrected_field ?? "amount_yuan";
    figures[figure] = Math.max(figures[figure] ?? 0, levelOf(e.actor.split(":")[0]));
  }
  return levels;
}

// The lowest level that may still correct one of the entry's figures.
function levelNeeded(e, correctors) {
  const figures = e.type === "FacilityUpgraded" ? AREAS.filter((f) => e.data[f] != null) : ["amount_yuan"];
  const recorded = levelOf(e.actor.split(":")[0]);
  const corrected = correctors[e.version] ?? {};
  return Math.min(...figures.map((f) => Math.max(recorded, corrected[f] ?? 0)));
}

function correction(e, catalogue, ctx, id, correctors) {
  const spec = e.own && catalogue.find((c) => c.command === CORRECTED_BY[e.type]);
  if (!spec) return null;
  if (levelOf(ctx.me.role) < levelNeeded(e, correctors)) return null;
  const box = h("details", { class: "correct", "data-correct": e.version }, h("summary", { text: "更正" }));
  box.addEventListener("toggle", async () => {
    if (!box.open || box.querySelector("form")) return;
    box.append(await commandForm(spec, ctx, {
      fixed: { corrected_version: e.version, occurred_on: today() },
      submitText: `记录更正（第${e.version}版）`,
      onSubmit: async (body, key) => {
        const answer = await record(spec.path.replace("{id}", id), body, key);
        await settle(answer.position);
        ctx.go(`community/${id}`);
      },
    }));
  });
  return box;
}

function timeline(events, names, corrector = () => null) {
  const sorted = [...events].sort((a, b) => (b.occurred_on.localeCompare(a.occurred_on)) || b.recorded_at.localeCompare(a.recorded_at));
  return h("ol", { class: "timeline" }, sorted.map((e) => {
    return h("li", { "data-event": e.type },
      h("div", { class: "when" },
        h("strong", { text: `发生 ${chineseDate(e.occurred_on)}` }),
        h("span", { text: `记录 ${when(e.recorded_at)}` }),
        lateness(e)),
      h("div", { class: "what" },
        h("strong", { class: "event", title: e.type, text: label("Event", e.type) }),
        h("span", { class: "unit", text: e.unit }),
        h("span", { class: "actor", text: `记录人：${actorName(e.actor)}` }),
        eventFields(e.type, e.data, names),
        corrector(e)));
  }));
}

export async function render(root, ctx, id) {
  const community = await get(`/api/v1/communities/${id}`);
  const state = community.state;
  const branchId = state.general_branch_id;
  const [card, tree, history, branchHistory, members, pinned, catalogue] = await Promise.all([
    ctx.campaign ? get(`/api/v1/communities/${id}/scorecard`, { campaign_id: ctx.campaign.id, as_of: asOf(ctx, state.began_on), failing_limit: FIRST_FAILING }) : null,
    get("/api/v1/organizations/tree"),
    get(`/api/v1/communities/${id}/history`),
    branchId ? get(`/api/v1/organizations/${branchId}/history`) : [],
    everyPage("/api/v1/members", { community_id: id }),
    ctx.campaign ? get(`/api/v1/campaigns/${ctx.campaign.id}/plan`) : null,
    get("/api/v1/commands"),
  ]);
  // The next page of a target's failing units (or of one of its years'), for the scorecard's day.
  const more = (target, offset, period) => get(`/api/v1/communities/${id}/scorecard/${target.id}/failing`,
    { campaign_id: ctx.campaign.id, as_of: card.as_of, period, offset, limit: FAILING_PAGE });
  const branch = findNode(tree, (n) => n.id === branchId);
  const byCategory = {};
  for (const m of members.filter((m) => !m.transferred_out_on)) byCategory[m.category] = (byCategory[m.category] || 0) + 1;
  const funding = fundingChart({
    byYear: state.funding_by_year, minimum: fundingMinimum(pinned && pinned.plan),
    fromYear: ctx.campaign && Number(ctx.campaign.launch_date.slice(0, 4)), toYear: Number(today().slice(0, 4)),
  });
  const correctors = correctorLevels(history);
  const events = [
    ...history.map((e) => ({ ...e, unit: state.name, own: true })),
    ...branchHistory.map((e) => ({ ...e, unit: branch ? branch.name : "社区党总支" })),
  ];
  root.append(
    h("div", { class: "page-head" },
      h("h1", { text: state.name }),
      h("p", { class: "meta", text: `${label("ModelType", state.model_type)} · 建立于 ${state.began_on} · 共记录 ${community.version} 次变更` }),
      ["county", "auditor"].includes(ctx.me.role)
        ? h("a", { class: "button secondary", href: `#/audit?unit_id=${encodeURIComponent(id)}`, text: "审计记录（含党组织与党员）" })
        : null),
    section(card ? `记分卡（评估日期 ${card.as_of}）` : "记分卡", card ? asOfPicker(ctx, `community/${id}`, {}, state.began_on) : null, scorecard(card, more)),
    h("div", { class: "columns" },
      section("组织架构", branch ? treeList([branch]) : notice("尚未建立社区党总支", "error")),
      section("阵地与制度", facilities(state))),
    h("div", { class: "columns" },
      section("社区办公经费（元）", funding),
      section("党员概况", h("dl", { class: "facts members" },
        h("dt", { text: "党员总数" }), h("dd", { "data-members": "total", text: String(members.length) }),
        Object.entries({ direct: "直管", dual: "双管", participating: "参管" }).map(([k, v]) =>
          [h("dt", { text: v }), h("dd", { text: String(byCategory[k] || 0) })])))),
    section(`变更时间线（${events.length} 条，含党总支）`, timeline(events, knownNames(ctx, tree, events), (e) => correction(e, catalogue, ctx, id, correctors))),
  );
}
