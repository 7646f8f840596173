// Failing units come a page at a time (a province has a hundred thousand members): the first
// page with the report, the next ones on asking. Used by the overview's target cards and the
// community's scorecard, for a target's list and for the other year of a yearly target.
import { failingText, h } from "./dom.js";

// A list that says how many there are and how many it shows, with "显示更多" while some are not
// shown; more(offset) answers the next page ({ failing: [...] }).
export function failingList({ summary, first, total, unit, more, open = false, period = null }) {
  if (!total) return null;
  const list = h("ul", {}, first.map((f) => h("li", {}, failingText(f))));
  const shown = h("p", { class: "meta", "data-failing-shown": "" });
  const button = h("button", { type: "button", class: "secondary", "data-failing-more": "" }, "显示更多");
  const update = () => {
    // counted as the list counts (人, 个社区, 个街道), and "显示前" only when some are not shown
    const n = list.children.length;
    shown.textContent = n >= total ? `共 ${total}${unit}` : `共 ${total}${unit}，显示前 ${n}${unit}`;
    // not the hidden attribute: the stylesheet's display for buttons would override it
    button.style.display = n >= total ? "none" : "";
  };
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const page = await more(list.children.length);
      list.append(...page.failing.map((f) => h("li", {}, failingText(f))));
    } finally {
      button.disabled = false;
      update();
    }
  });
  update();
  return h("details", { open, "data-failing-period": period },
    h("summary", { text: summary }), shown, list, button);
}

// The target's own list: the year its light is about, for a yearly target.
// more(target, offset, period) answers a page of the target's list, or of one year's.
export function targetFailing(target, more, open = false) {
  const total = target.failing_total ?? target.failing.length;
  return failingList({
    summary: `未达标 ${target.failing_count_zh || `${total} 个`}`, first: target.failing, total,
    unit: target.failing_zh || "个", more: (offset) => more(target, offset, null), open,
  });
}

// A yearly target's other year (the running year's while the ended year's missed verdict is the
// light; the ended year's while the running one is): its list, named by its year, beside it.
export function otherYearsFailing(target, more, open = false) {
  const unit = target.failing_zh || "个";
  return target.periods.filter((p) => p.end !== target.period_end).map((p) => failingList({
    summary: `${p.label_zh}（${p.kind === "ended" ? "已结束" : "本年度"}）未达标 ${p.failing_total}${unit}`,
    first: p.failing, total: p.failing_total, unit, more: (offset) => more(target, offset, p.kind),
    open, period: p.kind,
  }));
}
