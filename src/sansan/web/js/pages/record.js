// 记录: every command the role may run, as a form built from the command catalogue; and the
// common case in bulk: one training recorded for many members of a community at once.
import { ApiError, get, settle } from "../api.js";
import { h, notice, section } from "../dom.js";
import { knownNames } from "../fields.js";
import { commandForm, record, recorded, unitOptions } from "../forms.js";

const RESOURCE = { community: "communities", organization: "organizations", member: "members", campaign: "campaigns", item: "supervision-items" };
const NEEDS_STATE = ["team_member", "inspection"];

function commandPicker(catalogue, chosen, onchange) {
  const groups = {};
  for (const spec of catalogue) {
    const group = spec.creates ? "新建" : `${spec.target_zh}`;
    (groups[group] = groups[group] || []).push(spec);
  }
  return h("label", { class: "picker" }, "要记录的事项 ",
    h("select", { name: "command", onchange: (e) => onchange(e.target.value) },
      h("option", { value: "" }, "请选择…"),
      Object.entries(groups).map(([group, specs]) => h("optgroup", { label: group },
        specs.map((s) => h("option", { value: s.id, selected: s.id === chosen }, s.title_zh))))));
}

function picker(name, text, options, chosen, onchange, prompt = "请选择…") {
  return h("label", { class: "picker" }, `${text} `,
    h("select", { name, onchange: (e) => onchange(e.target.value) },
      h("option", { value: "" }, prompt),
      options.map(([v, t]) => h("option", { value: v, selected: v === chosen }, t))));
}

// The unit the command is about, by name; a member is chosen within its community.
async function targetPicker(spec, ctx, state, redraw) {
  if (!spec.target) return null;
  if (spec.target === "member") {
    const community = picker("community", "社区", await unitOptions("community", ctx), state.community,
      (v) => { state.community = v; state.unit = ""; redraw(); });
    const members = state.community ? await unitOptions("member", ctx, { communityId: state.community }) : [];
    state.names = Object.fromEntries(members);
    return h("div", { class: "filters" }, community,
      picker("unit", "党员", members, state.unit, (v) => { state.unit = v; }, state.community ? "请选择…" : "请先选择社区"));
  }
  const options = await unitOptions(spec.target, ctx);
  state.names = Object.fromEntries(options.map(([id, text]) => [id, text.trim()]));
  return h("div", { class: "filters" }, picker("unit", spec.target_zh, options, state.unit, (v) => {
    state.unit = v;
    if (spec.fields.some((f) => NEEDS_STATE.includes(f.unit))) redraw();
  }));
}

async function single(area, spec, ctx, state) {
  const redraw = () => single(area, spec, ctx, state);
  const target = await targetPicker(spec, ctx, state, redraw);
  const unitState = state.unit && spec.fields.some((f) => NEEDS_STATE.includes(f.unit))
    ? (await get(`/api/v1/${RESOURCE[spec.target]}/${state.unit}`)).state : null;
  const result = h("div", { class: "result" });
  const form = await commandForm(spec, ctx, {
    extra: { state: unitState },
    onSubmit: async (body, key) => {
      if (spec.target && !state.unit) throw new ApiError(422, { message_zh: `请先选择${spec.target_zh}` });
      const answer = await record(spec.path.replace("{id}", state.unit), body, key);
      await settle(answer.position);
      const names = { ...knownNames(ctx, ctx.tree || []), ...state.names };
      result.replaceChildren(recorded(answer, names));
      state.last = answer;
    },
  });
  area.replaceChildren(section(spec.title_zh, target, form, result));
}

// One training (a 党课) for many members: pick them by name, one submission, each member's
// command with its own Idempotency-Key, and a summary of what was recorded and refused.
async function bulkTraining(area, catalogue, ctx, state) {
  const spec = catalogue.find((s) => s.command === "RecordTraining");
  if (!spec) {
    area.replaceChildren(notice("您的角色不能记录党员培训。", "warn"));
    return;
  }
  const redraw = () => bulkTraining(area, catalogue, ctx, state);
  const communities = await unitOptions("community", ctx);
  if (!state.community && communities.length === 1) state.community = communities[0][0];
  const members = state.community ? await unitOptions("member", ctx, { communityId: state.community }) : [];
  const boxes = members.map(([id, name]) => h("label", { class: "check" },
    h("input", { type: "checkbox", name: "member", value: id, "data-name": name }), name));
  const all = h("label", { class: "check all" }, h("input", {
    type: "checkbox", onchange: (e) => boxes.forEach((b) => { b.firstChild.checked = e.target.checked; }),
  }), "全选");
  const summary = h("div", { class: "summary-box", "data-bulk-summary": "" });
  const form = await commandForm(spec, ctx, {
    submitText: "为所选党员记录培训",
    onSubmit: async (body, key) => {
      const chosen = boxes.map((b) => b.firstChild).filter((i) => i.checked);
      if (!chosen.length) throw new ApiError(422, { message_zh: "请至少选择一名党员" });
      const done = [];
      const refused = [];
      let last = 0;
      let firstError = null;
      for (const box of chosen) {
        try {
          const answer = await record(spec.path.replace("{id}", box.value), body, `${key}:${box.value}`);
          done.push(box.dataset.name);
          last = Math.max(last, answer.position);
        } catch (error) {
          if (!(error instanceof ApiError)) throw error;
          firstError = firstError || error;
          refused.push(`${box.dataset.name}（${error.message}）`);
        }
      }
      if (last) await settle(last);
      summary.replaceChildren(...[
        done.length ? notice(`已记录 ${done.length} 人：${done.join("、")}`, "ok") : null,
        refused.length ? notice(`未记录 ${refused.length} 人：${refused.join("；")}`, "error") : null,
      ].filter(Boolean));
      if (!done.length && firstError) throw firstError;  // the fields' messages go beside them
    },
  });
  area.replaceChildren(section("批量记录党员培训（如党课）",
    h("p", { class: "meta", text: "选择社区和参加培训的党员，填写一次培训内容，一次提交；每名党员各记一条。" }),
    h("div", { class: "filters" }, picker("community", "社区", communities, state.community,
      (v) => { state.community = v; redraw(); })),
    members.length
      ? h("fieldset", { class: "members" }, h("legend", { text: `党员（${members.length} 人）` }), all, boxes)
      : notice(state.community ? "该社区没有在册党员。" : "请先选择社区。"),
    form, summary));
}

export async function render(root, ctx) {
  const catalogue = await get("/api/v1/commands");
  root.append(h("div", { class: "page-head" }, h("h1", { text: "记录" })));
  if (!catalogue.length) {
    root.append(notice(`您的角色（${ctx.me.role_zh || ctx.me.role}）只能查阅，不能记录。`, "warn"));
    return;
  }
  const area = h("div", { class: "record-area" });
  const state = { community: ctx.query.get("community") || "", unit: ctx.query.get("unit") || "" };
  const bulk = ctx.query.get("bulk") === "training";
  const chosen = ctx.query.get("command") || "";
  root.append(section("选择",
    h("div", { class: "filters" },
      commandPicker(catalogue, chosen, (id) => ctx.go("record", { command: id })),
      catalogue.some((s) => s.command === "RecordTraining")
        ? h("a", { class: `button${bulk ? "" : " secondary"}`, href: "#/record?bulk=training", text: "批量记录党员培训" }) : null)),
  area);
  if (bulk) await bulkTraining(area, catalogue, ctx, state);
  else if (chosen) {
    const spec = catalogue.find((s) => s.id === chosen);
    if (spec) await single(area, spec, ctx, state);
    else area.append(notice("您的角色不能记录这一事项。", "warn"));
  } else area.append(notice("请选择要记录的事项；常用的党员培训可批量记录。"));
}

