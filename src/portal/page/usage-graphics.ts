import { Html, html } from './html';
import { count, shortDay } from './format';
import type { FeatureView } from './portal-view.service';

/** From this share of the limit on, a bar looks (and says) that the limit is near. */
export const WARN_FRACTION = 0.8;

export type LimitState = 'ok' | 'warn' | 'full' | 'unlimited';

export function limitState(used: number, limit: number | null): LimitState {
  if (limit === null) return 'unlimited';
  if (used >= limit) return 'full';
  return used >= WARN_FRACTION * limit ? 'warn' : 'ok';
}

/** The share of the limit used, 0 to 1 (a limit of 0 is full from the start). */
export function usedFraction(used: number, limit: number): number {
  return limit === 0 ? 1 : Math.min(1, Math.max(0, used / limit));
}

const STATE_TEXT: Record<Exclude<LimitState, 'unlimited'>, string> = {
  ok: '',
  warn: 'Nearing the limit',
  full: 'Limit reached',
};

/**
 * A bar of used / limit as SVG: its widths are attributes, so the CSP needs no inline styles. The
 * state is said in words too, never by colour alone; the SVG carries its own text alternative.
 */
export function usageBar(used: number, limit: number): Html {
  const fraction = usedFraction(used, limit);
  const percent = Math.round(fraction * 1000) / 10;
  const state = limitState(used, limit) as Exclude<LimitState, 'unlimited'>;
  const label = `${percent}% of the limit used${STATE_TEXT[state] ? `: ${STATE_TEXT[state].toLowerCase()}` : ''}`;
  return html`<svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" aria-label="${label}" data-fraction="${fraction}">
<rect class="track" x="0" y="0" width="100" height="10"/><rect class="fill" x="0" y="0" width="${fraction * 100}" height="10"/></svg>
<span class="percent">${percent}%</span>${STATE_TEXT[state] ? html` <span class="state">${STATE_TEXT[state]}</span>` : ''}`;
}

const CHART_HEIGHT = 100;
const SLOT = 10;
const GAP = 2;

/**
 * The feature's usage per UTC day of the period so far, as SVG bars drawn here on the server. The
 * caption sums it up for screen readers (the SVG is labelled by it), and a table under a disclosure
 * gives every figure, which works without JavaScript too.
 */
export function dailyChart(feature: FeatureView, id: string): Html {
  const days = feature.daily;
  const peak = days.reduce((max, d) => (d.quantity > max.quantity ? d : max), days[0] ?? { day: '', quantity: 0 });
  const total = days.reduce((sum, d) => sum + d.quantity, 0);
  const first = days[0]?.day;
  const last = days[days.length - 1]?.day;
  const summary =
    days.length === 0
      ? `No days in this period yet.`
      : `Daily usage of ${feature.name}, ${shortDay(first!)} to ${shortDay(last!)} (UTC): ${count(total)} in total` +
        (peak.quantity > 0 ? `, highest ${count(peak.quantity)} on ${shortDay(peak.day)}.` : ', none so far.');
  const width = Math.max(1, days.length) * SLOT;
  const bars = days.map((d, i) => {
    const height = peak.quantity > 0 ? (d.quantity / peak.quantity) * CHART_HEIGHT : 0;
    return html`<rect x="${i * SLOT + GAP / 2}" y="${CHART_HEIGHT - height}" width="${SLOT - GAP}" height="${height}"><title>${shortDay(d.day)}: ${count(d.quantity)}</title></rect>`;
  });
  return html`<figure class="daily" data-feature="${feature.key}">
<figcaption id="${id}">${summary}</figcaption>
<svg class="chart" viewBox="0 0 ${width} ${CHART_HEIGHT}" preserveAspectRatio="none" role="img" aria-labelledby="${id}">${bars}</svg>
${days.length ? html`<div class="axis" aria-hidden="true"><span>${shortDay(first!)}</span><span>peak ${count(peak.quantity)}</span><span>${shortDay(last!)}</span></div>` : ''}
<details><summary>Daily figures for ${feature.name}</summary><div class="scroll"><table class="daily-figures">
<thead><tr><th scope="col">Day (UTC)</th><th scope="col" class="num">Used</th></tr></thead>
<tbody>${days.map((d) => html`<tr><th scope="row"><time datetime="${d.day}">${d.day}</time></th><td class="num">${count(d.quantity)}</td></tr>`)}</tbody>
</table></div></details>
</figure>`;
}
