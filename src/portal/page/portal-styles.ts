import { createHash } from 'node:crypto';

/**
 * The page's only stylesheet, inline: the page makes no request for it, and the CSP allows exactly
 * this text (by its hash) rather than 'unsafe-inline'. Bar and chart sizes are SVG attributes, not
 * style attributes, so no inline style is needed anywhere else.
 */
export const PORTAL_CSS = `
:root { color-scheme: light dark; --bg: #ffffff; --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --card: #f6f8fa;
  --track: #d8dee4; --ok: #1a7f37; --warn: #9a6700; --full: #cf222e; --chart: #0969da; --link: #0969da; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --line: #30363d; --card: #161b22;
    --track: #30363d; --ok: #3fb950; --warn: #d29922; --full: #f85149; --chart: #4493f8; --link: #4493f8; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
header, main { max-width: 64rem; margin: 0 auto; padding: 1rem; }
header { border-bottom: 1px solid var(--line); }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h2 { font-size: 1.25rem; margin: 0 0 .5rem; }
h3 { font-size: 1rem; margin: 1.25rem 0 .5rem; }
a { color: var(--link); }
.muted, .key { color: var(--muted); }
.key { display: block; font-size: .8rem; font-weight: normal; overflow-wrap: anywhere; }
section.subscription, section.invoices { background: var(--card); border: 1px solid var(--line); border-radius: .5rem; padding: 1rem; margin: 1rem 0; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { font-size: .85rem; color: var(--muted); font-weight: 600; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tfoot th, tfoot td { font-weight: 700; border-bottom: 0; }
svg.bar { display: block; width: 100%; min-width: 6rem; height: .75rem; }
svg.bar .track { fill: var(--track); }
svg.bar .fill { fill: var(--ok); }
.state-warn svg.bar .fill { fill: var(--warn); }
.state-full svg.bar .fill { fill: var(--full); }
.state-warn svg.bar .track, .state-full svg.bar .track { stroke: currentColor; stroke-width: 1; vector-effect: non-scaling-stroke; }
.state { display: block; font-size: .8rem; }
.state-warn .state { color: var(--warn); font-weight: 600; }
.state-full .state { color: var(--full); font-weight: 700; }
figure { margin: .5rem 0 1rem; }
figcaption { font-size: .9rem; }
svg.chart { display: block; width: 100%; height: 7rem; margin: .25rem 0; border-bottom: 1px solid var(--line); }
svg.chart rect { fill: var(--chart); }
.axis { display: flex; justify-content: space-between; font-size: .8rem; color: var(--muted); }
details { font-size: .9rem; }
summary { cursor: pointer; }
@media (max-width: 30rem) {
  body { font-size: 15px; }
  header, main { padding: .75rem; }
  section.subscription, section.invoices { padding: .75rem; }
  th, td { padding: .35rem .3rem; }
  table.usage thead { display: none; }
  table.usage tr { display: grid; grid-template-columns: 1fr auto auto; gap: 0 .75rem; border-bottom: 1px solid var(--line); padding: .4rem 0; }
  table.usage th, table.usage td { border: 0; padding: .1rem 0; }
  table.usage td.share { grid-column: 1 / -1; }
  table.usage td.num::before { content: attr(data-label) " "; color: var(--muted); font-size: .8rem; }
}
`;

/** The CSP source that allows the stylesheet above and nothing else inline. */
export const PORTAL_CSS_SOURCE = `'sha256-${createHash('sha256').update(PORTAL_CSS, 'utf8').digest('base64')}'`;
