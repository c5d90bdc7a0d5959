// Time against N, one panel per phase, one line per workload: an SVG drawn here from the
// measurements (no plotting library), for docs/benchmark.md to embed.
import type { Measurement } from "./measurement";

const W = 320;
const H = 220;
const M = { left: 46, right: 10, top: 24, bottom: 34 };
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf"];

const esc = (t: string) => t.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Round upper bound for an axis: 1, 2, 5 × 10^k. */
function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((f) => f * p).find((x) => x >= v)!;
}

function panel(ms: Measurement[], phase: string, workloads: string[], x0: number): string {
  const rows = ms.filter((m) => m.phase === phase);
  const xs = [...new Set(rows.map((m) => m.n))].sort((a, b) => a - b);
  const maxN = niceMax(Math.max(1, ...xs));
  const maxS = niceMax(Math.max(0.1, ...rows.map((m) => m.ms / 1000)));
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const px = (n: number) => x0 + M.left + (n / maxN) * pw;
  const py = (sec: number) => M.top + ph - (sec / maxS) * ph;
  const out: string[] = [`<text x="${x0 + W / 2}" y="14" text-anchor="middle" font-weight="bold">${esc(phase)}</text>`];
  out.push(`<line x1="${px(0)}" y1="${py(0)}" x2="${px(maxN)}" y2="${py(0)}" stroke="#000"/>`, `<line x1="${px(0)}" y1="${py(0)}" x2="${px(0)}" y2="${py(maxS)}" stroke="#000"/>`);
  for (let k = 0; k <= 4; k++) {
    const sec = (maxS * k) / 4;
    const n = (maxN * k) / 4;
    out.push(`<text x="${px(0) - 4}" y="${py(sec) + 4}" text-anchor="end">${+sec.toFixed(2)}</text>`);
    out.push(`<line x1="${px(0)}" y1="${py(sec)}" x2="${px(maxN)}" y2="${py(sec)}" stroke="#ddd"/>`);
    out.push(`<text x="${px(n)}" y="${py(0) + 14}" text-anchor="middle">${+n.toFixed(0)}</text>`);
  }
  out.push(`<text x="${x0 + M.left + pw / 2}" y="${H - 4}" text-anchor="middle">N (pairs)</text>`);
  out.push(`<text x="${x0 + 10}" y="${M.top + ph / 2}" text-anchor="middle" transform="rotate(-90 ${x0 + 10} ${M.top + ph / 2})">s</text>`);
  workloads.forEach((w, i) => {
    const pts = rows
      .filter((m) => m.workload === w)
      .sort((a, b) => a.n - b.n)
      .map((m) => [px(m.n), py(m.ms / 1000)] as const);
    if (!pts.length) return;
    const color = COLORS[i % COLORS.length]!;
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(" ")}"/>`);
    for (const [x, y] of pts) out.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="3" fill="${color}"/>`);
  });
  return out.join("\n");
}

/** The SVG: a panel per phase (in the order given) and a legend naming each workload by its label. */
export function plotSvg(ms: Measurement[], phases: string[], labels: Record<string, string>): string {
  const workloads = [...new Set(ms.map((m) => m.workload))].filter((w) => ms.some((m) => m.workload === w && phases.includes(m.phase)));
  const legendH = 16 * workloads.length + 10;
  const width = W * phases.length;
  const height = H + legendH;
  const legend = workloads.map(
    (w, i) => `<rect x="10" y="${H + 6 + 16 * i}" width="12" height="4" fill="${COLORS[i % COLORS.length]}"/><text x="28" y="${H + 12 + 16 * i}">${esc(labels[w] ?? w)}</text>`,
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    ...phases.map((p, i) => panel(ms, p, workloads, i * W)),
    ...legend,
    "</svg>",
    "",
  ].join("\n");
}

/** Least-squares slope and intercept of seconds against N. */
export function slope(points: Array<{ n: number; ms: number }>): { perPair: number; fixed: number } | undefined {
  if (new Set(points.map((p) => p.n)).size < 2) return undefined;
  const k = points.length;
  const mx = points.reduce((a, p) => a + p.n, 0) / k;
  const my = points.reduce((a, p) => a + p.ms / 1000, 0) / k;
  const sxy = points.reduce((a, p) => a + (p.n - mx) * (p.ms / 1000 - my), 0);
  const sxx = points.reduce((a, p) => a + (p.n - mx) ** 2, 0);
  const perPair = sxy / sxx;
  return { perPair, fixed: my - perPair * mx };
}
