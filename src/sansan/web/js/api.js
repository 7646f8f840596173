// The JSON API, with the signed-in token; nothing else leaves the page.
const TOKEN_KEY = "sansan.token";

export const session = {
  token: () => sessionStorage.getItem(TOKEN_KEY),
  signIn: (token) => sessionStorage.setItem(TOKEN_KEY, token),
  signOut: () => sessionStorage.clear(),
  get: (key) => sessionStorage.getItem(`sansan.${key}`),
  set: (key, value) => (value ? sessionStorage.setItem(`sansan.${key}`, value)
    : sessionStorage.removeItem(`sansan.${key}`)),
};

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.message_zh || problem.title || `请求失败（${status}）`);
    this.status = status;
    this.problem = problem;
  }
}

function url(path, params = {}) {
  const u = new URL(path, location.origin);
  for (const [k, v] of Object.entries(params)) {
    if (v !== null && v !== undefined && v !== "") u.searchParams.set(k, v);
  }
  return u;
}

async function request(path, { method = "GET", params, body, accept = "application/json" } = {}) {
  const headers = { Accept: accept, Authorization: `Bearer ${session.token()}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(url(path, params), {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    throw new ApiError(response.status, problem);
  }
  return response;
}

export async function get(path, params) {
  return (await request(path, { params })).json();
}

export async function post(path, body) {
  return (await request(path, { method: "POST", body })).json();
}

export async function everyPage(path, params = {}) {
  const items = [];
  let cursor = null;
  do {
    const page = await get(path, { ...params, limit: 200, cursor });
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

// Downloads need the token too, so they are fetched and handed to the browser as a blob.
export async function download(path, params, fallbackName) {
  const response = await request(path, { params, accept: "*/*" });
  const disposition = response.headers.get("Content-Disposition") || "";
  const match = /filename\*=UTF-8''([^;]+)/.exec(disposition);
  const name = match ? decodeURIComponent(match[1]) : fallbackName;
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await response.blob());
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

// After a write, wait until the read models include it (its log position), so that the lists
// read next show it; asking a list to wait (`after=`) would answer 503 on a slow server.
export async function settle(position, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ready = await fetch("/readyz", { headers: { Accept: "application/json" } });
    if (ready.ok && (await ready.json()).projections.position >= position) return;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

let paths = null;
// Whether this server offers an endpoint; asked before calling one that may not be deployed.
export async function offers(path) {
  if (paths === null) {
    const schema = await (await fetch("/openapi.json")).json();
    paths = new Set(Object.keys(schema.paths || {}));
  }
  return paths.has(path);
}

// Today where the county is (UTC+8), as the server's clock sees it.
export function today() {
  return new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
}
