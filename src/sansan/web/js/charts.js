// Hand-drawn SVG charts: a line over time with the plan's bar, and plain bars.
import { h, s } from "./dom.js";

const W = 320, H = 170, PAD = { left: 40, right: 12, top: 14, bottom: 28 };

function frame(title, body, caption) {
  return h("figure", { class: "chart" },
    h("figcaption", {}, h("strong", { text: title }), caption ? h("span", { text: caption }) : null),
    s("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": title }, body));
}

export function lineChart({ title, points, goal, format = (v) => String(v) }) {
  const top = Math.max(goal || 0, ...points.map((p) => p.y), 1) * 1.1;
  const x = (i) => PAD.left + (points.length < 2 ? 0.5 : i / (points.length - 1)) * (W - PAD.left - PAD.right);
  const y = (v) => H - PAD.bottom - (v / top) * (H - PAD.top - PAD.bottom);
  const body = [
    s("line", { class: "axis", x1: PAD.left, y1: H - PAD.bottom, x2: W - PAD.right, y2: H - PAD.bottom }),
    s("line", { class: "axis", x1: PAD.left, y1: PAD.top, x2: PAD.left, y2: H - PAD.bottom }),
    s("text", { class: "tick", x: PAD.left - 4, y: H - PAD.bottom, "text-anchor": "end" }, format(0)),
    s("text", { class: "tick", x: PAD.left - 4, y: PAD.top + 8, "text-anchor": "end" }, format(top / 1.1)),
  ];
  if (goal) {
    body.push(
      s("line", { class: "goal", x1: PAD.left, y1: y(goal), x2: W - PAD.right, y2: y(goal) }),
      s("text", { class: "goal-text", x: W - PAD.right, y: y(goal) - 4, "text-anchor": "end" }, `目标 ${format(goal)}`),
    );
  }
  if (points.length) {
    body.push(s("polyline", { class: "series", points: points.map((p, i) => `${x(i)},${y(p.y)}`).join(" ") }));
    points.forEach((p, i) => body.push(
      s("circle", { class: "dot", cx: x(i), cy: y(p.y), r: 3 }, s("title", {}, `${p.x}:${format(p.y)}`))));
    const last = points.length - 1;
    body.push(
      s("text", { class: "tick", x: x(0), y: H - 8, "text-anchor": "start" }, points[0].x),
      s("text", { class: "tick", x: x(last), y: H - 8, "text-anchor": "end" }, points[last].x),
    );
  }
  const latest = points.length ? format(points[points.length - 1].y) : "—";
  return frame(title, body, `当前 ${latest}`);
}

export function barChart({ title, bars, format = (v) => String(v) }) {
  const top = Math.max(...bars.map((b) => b.y), 1) * 1.15;
  const step = (W - PAD.left - PAD.right) / Math.max(bars.length, 1);
  const body = [s("line", { class: "axis", x1: PAD.left, y1: H - PAD.bottom, x2: W - PAD.right, y2: H - PAD.bottom })];
  bars.forEach((b, i) => {
    const height = (b.y / top) * (H - PAD.top - PAD.bottom);
    const left = PAD.left + i * step + step * 0.2;
    body.push(
      s("rect", { class: "bar", x: left, y: H - PAD.bottom - height, width: step * 0.6, height }),
      s("text", { class: "tick", x: left + step * 0.3, y: H - PAD.bottom - height - 4, "text-anchor": "middle" }, format(b.y)),
      s("text", { class: "tick", x: left + step * 0.3, y: H - 10, "text-anchor": "middle" }, b.x),
    );
  });
  return frame(title, body, bars.length ? null : "暂无记录");
}
