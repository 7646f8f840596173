// The shell: sign-in, the header with scope switchers, and a hash router over the pages.
import { ApiError, everyPage, get, session } from "./api.js";
import { h, label, notice, select } from "./dom.js";
import { actorName } from "./fields.js";
import { unsigned } from "./supervision.js";
import * as audit from "./pages/audit.js";
import * as community from "./pages/community.js";
import * as importPage from "./pages/import.js";
import * as inbox from "./pages/inbox.js";
import * as item from "./pages/item.js";
import * as matrix from "./pages/matrix.js";
import * as overview from "./pages/overview.js";
import * as record from "./pages/record.js";
import * as screenPage from "./pages/screen.js";
import * as signin from "./pages/signin.js";

const header = document.getElementById("top");
const main = document.getElementById("main");
const ctx = { me: null, campaign: null, streets: [], communities: [] };

const PAGES = {
  overview: { zh: "总览", render: overview.render },
  matrix: { zh: "社区矩阵", render: matrix.render },
  inbox: { zh: "待办", render: inbox.render },
  record: { zh: "记录", render: record.render, roles: ["county", "street", "community", "client"] },
  audit: { zh: "审计", render: audit.render, roles: ["county", "auditor"] },
  screen: { zh: "大屏", render: screenPage.render, roles: ["county", "street"], nav: false },  // linked from 总览
  import: { zh: "导入", render: importPage.render, roles: ["county", "street", "community", "client"] },
};

ctx.go = (page, params = {}) => {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v)).toString();
  const hash = `#/${page}${query ? `?${query}` : ""}`;
  if (location.hash === hash) route();  // the same address again: refresh what it shows
  else location.hash = hash;
};
ctx.streetName = (id) => (ctx.streets.find((s) => s.id === id) || {}).name || "";

// A demo server prints a sign-in link with the token in the fragment, which never reaches a server.
// Whatever the token is, it leaves the address bar at once; one that cannot be a token is
// refused here (the words returned), one the API refuses by start() in the API's words.
function tokenFromLink() {
  if (!location.hash.startsWith("#token=")) return null;
  const match = /^#token=([\w-]+)$/.exec(location.hash);
  history.replaceState(null, "", `${location.pathname}#/${match ? "overview" : "signin"}`);
  if (!match) return "链接中的令牌不完整或有误，请核对链接或直接输入令牌。";
  session.signIn(match[1]);
  return null;
}

async function loadContext() {
  const [me, campaigns, tree, communities] = await Promise.all([
    get("/api/v1/me"), get("/api/v1/campaigns"), get("/api/v1/organizations/tree"),
    everyPage("/api/v1/communities"),
  ]);
  ctx.me = me;
  ctx.campaign = campaigns.items[campaigns.items.length - 1] || null;
  ctx.streets = tree.filter((n) => n.level === "street_committee").map((n) => ({ id: n.id, name: n.name }));
  ctx.communities = communities;
  if (me.role === "street") ctx.street = me.scope_org_id;
}

function scopeSwitcher() {
  if (ctx.me.scope_org_id !== null) {
    const where = ctx.me.role === "street" ? ctx.streetName(ctx.me.scope_org_id)
      : (ctx.communities[0] || {}).name || "";
    return h("span", { class: "scope", "data-scope": "fixed", text: `范围：${where}` });
  }
  const inStreet = ctx.communities.filter((c) => !ctx.street || c.street_committee_id === ctx.street);
  return h("span", { class: "scope" },
    select({
      "aria-label": "切换街道", name: "street",
      onchange: (e) => { session.set("street", e.target.value); route(); },
    }, [["", "全县"], ...ctx.streets.map((s) => [s.id, s.name])], ctx.street),
    select({
      "aria-label": "切换社区", name: "community",
      onchange: (e) => e.target.value && ctx.go(`community/${e.target.value}`),
    }, [["", "选择社区…"], ...inStreet.map((c) => [c.id, c.name])], ctx.communityId));
}

// New supervision items waiting for this principal's 签收, counted beside 待办.
async function countUnsigned() {
  try {
    ctx.unsigned = unsigned(await everyPage("/api/v1/supervision-items", { status: "assigned" }), ctx.me).length;
  } catch (error) {
    ctx.unsigned = 0;
  }
}

function drawHeader(active) {
  const links = Object.entries(PAGES)
    .filter(([, p]) => p.nav !== false && (!p.roles || p.roles.includes(ctx.me.role)))
    .map(([key, p]) => h("a", { href: `#/${key}`, class: key === active ? "active" : null, "data-nav": key },
      p.zh, key === "inbox" && ctx.unsigned
        ? h("span", { class: "badge", "data-unsigned": String(ctx.unsigned), title: `${ctx.unsigned} 项新督办事项待签收`, text: String(ctx.unsigned) })
        : null));
  header.replaceChildren(
    h("div", { class: "brand" }, h("strong", { text: "三三创建工程督导平台" })),
    h("nav", { "aria-label": "主导航" }, links),
    scopeSwitcher(),
    h("span", { class: "who", "data-role": ctx.me.role, text: `${label("Role", ctx.me.role)} · ${ctx.me.name || actorName(ctx.me.actor)}` }),
    h("button", { type: "button", class: "secondary", onclick: () => { session.signOut(); location.hash = "#/signin"; start(); } }, "退出"));
}

// A refusal said in words: what the role may not do, or a unit outside the token's scope.
function problemNotice(error) {
  if (error instanceof ApiError && error.status === 403) {
    return notice(`您的角色（${label("Role", ctx.me.role)}）无权进行此项查阅或操作。${error.message}`, "warn");
  }
  if (error instanceof ApiError && error.status === 404) {
    return notice("该单位不在您的管辖范围内，或已不存在；请从导航和列表中选择您管辖的单位。", "warn");
  }
  return notice(`出错了：${error.message}`, "error");
}

let latest = 0;

async function route() {
  const ticket = ++latest;  // a slower earlier page must not replace a later one
  const [path, query] = (location.hash.replace(/^#\/?/, "") || "overview").split("?");
  const [page, id] = path.split("/");
  if (ctx.me.scope_org_id === null) ctx.street = session.get("street") || null;
  ctx.query = new URLSearchParams(query || "");
  ctx.communityId = page === "community" ? id : null;
  ctx.tree = null;  // the organization tree is read afresh by the page that needs it
  await countUnsigned();
  if (ticket !== latest) return;
  drawHeader(page === "item" ? "inbox" : page);
  main.replaceChildren(h("p", { class: "loading", text: "加载中…" }));
  const content = h("div", { class: "page", "data-page": page });
  try {
    if (page === "community" && id) await community.render(content, ctx, id);
    else if (page === "item" && id) await item.render(content, ctx, id);
    else if (PAGES[page] && (!PAGES[page].roles || PAGES[page].roles.includes(ctx.me.role))) await PAGES[page].render(content, ctx);
    else if (PAGES[page]) {
      content.append(h("h1", { text: PAGES[page].zh }), notice(`您的角色（${label("Role", ctx.me.role)}）无权查看“${PAGES[page].zh}”页面；如需查阅，请联系县委组织部。`, "warn"));
    } else content.append(h("h1", { text: "页面不存在" }), notice("没有这个页面。请从上方导航进入。"));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return start();
    content.replaceChildren(h("h1", { text: "无法显示" }), problemNotice(error));
  }
  if (ticket === latest) main.replaceChildren(content);
}

// A demo server lets a browser on its own machine in as the county, unless the user asked
// for the sign-in form (#/signin, where signing out leads). Any other server answers null.
async function demoSignIn() {
  if (session.token() || location.hash.startsWith("#/signin")) return;
  const response = await fetch("/demo/sign-in", { headers: { Accept: "application/json" } });
  const { token } = response.ok ? await response.json() : { token: null };
  if (token) session.signIn(token);
}

async function start(reason = null) {
  reason = tokenFromLink() || reason;
  await demoSignIn();
  window.removeEventListener("hashchange", route);
  if (!session.token()) {
    header.replaceChildren();
    main.replaceChildren();
    signin.render(main, () => { history.replaceState(null, "", "#/overview"); start(); }, reason);
    return;
  }
  try {
    await loadContext();
  } catch (error) {
    session.signOut();
    location.hash = "#/signin";  // the form, not the demo's sign-in again (its token may be gone)
    return start(signin.refusal(error));
  }
  window.addEventListener("hashchange", route);
  await route();
}

// The skip link goes to the page's content by focus, not by address: the router owns the hash.
document.querySelector(".skip-link").addEventListener("click", (e) => {
  e.preventDefault();
  main.focus();
});

start();
