// 评估日期: a past day's board, for the county's review of where things stood on a given day
// (on 5 January, "where were we on 31 December"). The day travels in the address (?as_of=).
import { today } from "./api.js";
import { h } from "./dom.js";

const DAY = /^\d{4}-\d{2}-\d{2}$/;

// The first day with a board: the campaign's launch, or a later day the page gives (a
// community's scorecard starts on the day it was registered).
function first(ctx, since) {
  const launch = ctx.campaign ? ctx.campaign.launch_date : "";
  return since && since > launch ? since : launch;
}

// A day with a board of its own: from that first day to yesterday (China date); the service
// refuses a day before the launch or the community's registration, or after today (422 on
// as_of).
function past(ctx, day, now, since) {
  return DAY.test(day) && day >= first(ctx, since) && day < now;
}

// The day asked for, if it is such a day; otherwise undefined: the server's today (an address
// carrying a day before the launch, or one to come, shows today's board).
export function asOf(ctx, since) {
  const asked = ctx.query.get("as_of") || "";
  return past(ctx, asked, today(), since) ? asked : undefined;
}

// Choosing a day shows the page again for it, keeping the page's other filters; today, a day
// after it or one before the first (typed past the field's min and max) is simply today.
export function asOfPicker(ctx, page, params = {}, since = undefined) {
  const now = today();
  return h("label", { class: "as-of" }, "评估日期 ",
    h("input", {
      type: "date", name: "as_of", value: asOf(ctx, since) || now, max: now,
      min: first(ctx, since) || null,
      onchange: (e) => {
        const day = e.target.value;
        ctx.go(page, { ...params, as_of: past(ctx, day, now, since) ? day : "" });
      },
    }));
}
