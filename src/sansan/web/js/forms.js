// Forms generated from the command catalogue (GET /api/v1/commands): one builder for every
// command, Chinese labels and help, vocabularies as Chinese choices, units by name, errors
// field by field from the problem details, an Idempotency-Key per submission.
import { ApiError, everyPage, get, session, today } from "./api.js";
import { h } from "./dom.js";
import { chineseDate, eventFields } from "./fields.js";
import { LABELS } from "./labels.js";

// Ids a command creates for a new sub-record (the browser chooses them), not a pick.
const NEW_IDS = { addTeamMember: "team_member_id", scheduleInspection: "inspection_id" };

function newKey() {
  return crypto.randomUUID ? crypto.randomUUID()
    : `${Date.now().toString(16)}-${Math.random().toString(16).slice(2)}`;
}

// POST with an Idempotency-Key; answers the response or throws ApiError with the problem.
export async function record(path, body, key) {
  const response = await fetch(path, {
    method: "POST",
    headers: {
      Accept: "application/json", "Content-Type": "application/json",
      Authorization: `Bearer ${session.token()}`, "Idempotency-Key": key,
    },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => ({})));
  return response.json();
}

function flatten(nodes, out = [], depth = 0) {
  for (const n of nodes) {
    out.push({ ...n, depth });
    flatten(n.children || [], out, depth + 1);
  }
  return out;
}

// The units a picker offers, by name: [[id, text], ...].
export async function unitOptions(kind, ctx, extra = {}) {
  if (kind === "community") return ctx.communities.map((c) => [c.id, c.name]);
  if (kind === "organization" || kind === "street" || kind === "unit") {
    const tree = ctx.tree || (ctx.tree = await get("/api/v1/organizations/tree"));
    const orgs = flatten(tree).filter((n) => kind !== "street" || n.level === "street_committee");
    const named = orgs.map((n) => [n.id, n.name]);
    return kind === "unit" ? [...ctx.communities.map((c) => [c.id, c.name]), ...named] : named;
  }
  if (kind === "campaign") return (await get("/api/v1/campaigns")).items.map((c) => [c.id, c.name]);
  if (kind === "item") return (await everyPage("/api/v1/supervision-items")).map((i) => [i.id, i.title]);
  if (kind === "member" && extra.communityId) {
    const members = await everyPage("/api/v1/members", { community_id: extra.communityId });
    return members.filter((m) => !m.transferred_out_on).map((m) => [m.id, m.name]);
  }
  if (kind === "team_member" && extra.state) {
    return Object.entries(extra.state.team || {}).map(([id, p]) => [id, p.person_name || "班子成员"]);
  }
  if (kind === "inspection" && extra.state) {
    return Object.entries(extra.state.inspections || {})
      .map(([id, i]) => [id, `${i.subject || "督查"}${i.scheduled_for ? `(${chineseDate(i.scheduled_for)})` : ""}`]);
  }
  return [];
}

function optionList(options, chosen, prompt) {
  return [
    prompt ? h("option", { value: "" }, prompt) : null,
    options.map(([value, text]) => h("option", { value, selected: value === chosen }, text)),
  ];
}

// One input for one field of the catalogue; answers [element, read()] where read() gives the
// JSON value (undefined to leave the field out).
async function input(spec, field, ctx, extra) {
  const name = field.name;
  const common = { name, id: `f-${spec.id}-${name}`, required: field.required, "aria-describedby": `e-${spec.id}-${name}` };
  const initial = field.default ?? (field.type === "date" && name === "occurred_on" ? today() : null);
  const value = (el) => el.value.trim();
  switch (field.type) {
    case "textarea": {
      const el = h("textarea", { ...common, rows: 3, maxlength: field.max_length, placeholder: field.example ? `例如：${field.example}` : null });
      return [el, () => value(el) || undefined];
    }
    case "integer": case "number": case "money": {
      const el = h("input", {
        ...common, type: field.type === "money" ? "text" : "number", inputmode: "decimal",
        step: field.type === "integer" ? "1" : "any", value: initial ?? "",
        placeholder: field.example !== null ? `例如：${field.example}` : null,
      });
      return [el, () => (value(el) === "" ? undefined : field.type === "money" ? value(el) : Number(value(el)))];
    }
    case "date": {
      const shown = h("small", { class: "date-zh" }, initial ? chineseDate(initial) : "");
      const el = h("input", { ...common, type: "date", value: initial || "", oninput: () => { shown.textContent = chineseDate(el.value); } });
      return [h("span", { class: "date" }, el, shown), () => el.value || undefined];
    }
    case "boolean": {
      const el = h("input", { ...common, type: "checkbox", required: false, checked: Boolean(initial) });
      return [el, () => el.checked];
    }
    case "choice": {
      const el = h("select", common, optionList(field.choices, initial, field.required && !initial ? "请选择…" : initial ? null : "（不填）"));
      return [el, () => el.value || undefined];
    }
    case "choices": case "checklist": case "units": {
      const choices = field.type === "units" ? await unitOptions(field.unit, ctx, extra) : field.choices;
      const boxes = choices.map(([v, text]) => h("label", { class: "check" }, h("input", { type: "checkbox", value: v, "data-field": name }), text));
      const read = () => {
        if (field.type === "checklist") return Object.fromEntries(boxes.map((b) => [b.firstChild.value, b.firstChild.checked]));
        const chosen = boxes.filter((b) => b.firstChild.checked).map((b) => b.firstChild.value);
        return chosen.length || field.required ? chosen : undefined;
      };
      return [h("span", { class: "checks", id: common.id, role: "group" }, boxes), read];
    }
    case "scores": {
      const cells = field.choices.map(([v, text]) => h("label", { class: "check" }, text,
        h("input", { type: "number", step: "any", min: 0, "data-key": v, class: "score" })));
      const read = () => {
        const filled = cells.map((c) => c.lastChild).filter((i) => i.value !== "");
        return filled.length ? Object.fromEntries(filled.map((i) => [i.dataset.key, Number(i.value)])) : undefined;
      };
      return [h("span", { class: "checks", id: common.id }, cells), read];
    }
    case "unit": {
      if (NEW_IDS[spec.id] === name) {
        const fresh = newKey();
        return [h("span", { class: "meta", text: "保存时自动编号" }), () => fresh];
      }
      const options = await unitOptions(field.unit, ctx, extra);
      if (!options.length && field.unit === "member") return [h("span", { class: "meta", text: "请先选择社区" }), () => undefined];
      const el = h("select", common, optionList(options, extra[name] || null, field.required ? "请选择…" : "（不填）"));
      return [el, () => el.value || undefined];
    }
    default: {
      const el = h("input", {
        ...common, type: "text", maxlength: field.max_length, value: initial ?? "",
        placeholder: field.example !== null && field.example !== undefined ? `例如：${field.example}` : null,
      });
      return [el, () => value(el) || undefined];
    }
  }
}

// Shows the problem's messages beside their fields, and the whole message above the button.
export function showProblem(form, error) {
  for (const old of form.querySelectorAll(".field-error")) old.textContent = "";
  for (const old of form.querySelectorAll(".invalid")) old.classList.remove("invalid");
  const problem = (error && error.problem) || {};
  const placed = [];
  for (const e of problem.errors || []) {
    const field = String(e.field || "").split(".").filter((p) => p !== "body")[0];
    const slot = form.querySelector(`[data-error-for="${field}"]`);
    if (slot) {
      slot.textContent = e.message_zh;
      slot.closest(".field").classList.add("invalid");
      placed.push(field);
    }
  }
  const general = form.querySelector(".form-error");
  if (!error) {
    general.textContent = "";
    return;
  }
  // a field the form does not show is named by its Chinese label, never by its key
  const text = (problem.message_zh || error.message || "请求失败")
    .replace(/[a-z]+(?:_[a-z]+)+/g, (key) => LABELS.Field[key] || "某一项");
  general.textContent = placed.length ? "未记录：请更正标出的内容。" : `未记录：${text}`;
}

// What a recorded command did, in Chinese: each event with its labelled fields.
export function recorded(result, names = {}) {
  return h("div", { class: "recorded", role: "status" },
    h("p", { class: "notice notice-ok", text: `已记录（${result.events.length} 条事件）` }),
    result.events.map((e) => h("div", { class: "recorded-event", "data-event": e.type },
      h("strong", { text: LABELS.Event[e.type] || "已记录" }),
      h("span", { class: "meta", text: ` 发生 ${chineseDate(e.occurred_on)}` }),
      eventFields(e.type, e.data, names))));
}

// The fields of a command as a form; `fixed` values are sent as given (the unit picked
// elsewhere), `skip` fields are not shown. onSubmit(body, key) does the write.
export async function commandForm(spec, ctx, { fixed = {}, skip = [], extra = {}, submitText, onSubmit, confirmText }) {
  const readers = {};
  const rows = [];
  for (const field of spec.fields) {
    if (skip.includes(field.name) || field.name in fixed) continue;
    const [element, read] = await input(spec, field, ctx, extra);
    readers[field.name] = read;
    rows.push(h("div", { class: `field field-${field.type}`, "data-field": field.name },
      h("label", { for: `f-${spec.id}-${field.name}` }, field.label_zh, field.required ? h("span", { class: "required", title: "必填", "aria-hidden": "true" }, "*") : null),
      element,
      field.help_zh && !field.help_zh.startsWith(field.label_zh) ? h("small", { class: "help", text: field.help_zh }) : null,
      h("small", { class: "field-error", id: `e-${spec.id}-${field.name}`, "data-error-for": field.name })));
  }
  let key = newKey();
  const button = h("button", { type: "submit" }, submitText || `记录：${spec.title_zh}`);
  const form = h("form", {
    class: "command-form", "aria-label": spec.title_zh, "data-command": spec.id, novalidate: true,
    onsubmit: async (e) => {
      e.preventDefault();
      if (button.disabled) return;  // a second click while the first is on its way
      if (confirmText && !window.confirm(confirmText)) return;
      const body = { ...fixed };
      for (const [name, read] of Object.entries(readers)) {
        const v = read();
        if (v !== undefined) body[name] = v;
      }
      button.disabled = true;
      try {
        await onSubmit(body, key, form);
        key = newKey();  // the next submission is another record
        showProblem(form, null);
        form.reset();
      } catch (error) {
        // refused (4xx): nothing was recorded, so the corrected form is a new request; a lost
        // answer or a server error keeps the key, so that sending again cannot record twice
        if (error instanceof ApiError && error.status < 500) key = newKey();
        showProblem(form, error);
      } finally {
        button.disabled = false;
      }
    },
  }, rows, h("p", { class: "form-error", role: "alert" }), h("div", { class: "actions" }, button));
  return form;
}
