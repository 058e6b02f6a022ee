import { InvoiceLineView } from '../../billing/billing.responses';
import { Html, html } from './html';
import { count, money, utcDate, utcDateTime } from './format';
import { PORTAL_CSS } from './portal-styles';
import { PAST_INVOICES_SHOWN } from './portal-view.repository';
import { FeatureView, PortalView, SubscriptionView } from './portal-view.service';
import { dailyChart, limitState, usageBar } from './usage-graphics';

function page(title: string, body: Html): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>${title}</title>
<style>${new Html(PORTAL_CSS)}</style>
</head>
<body>
${body}
</body>
</html>
`.text;
}

const time = (date: Date, text = utcDateTime(date)) => html`<time datetime="${date.toISOString()}">${text}</time>`;

function featureRow(f: FeatureView): Html {
  const state = limitState(f.used, f.limit);
  return html`<tr class="state-${state}" data-feature="${f.key}">
<th scope="row">${f.name}${f.name === f.key ? '' : html`<span class="key">${f.key}</span>`}</th>
<td class="num used" data-label="Used">${count(f.used)}</td>
<td class="num limit" data-label="Limit">${f.limit === null ? 'Unlimited' : count(f.limit)}</td>
<td class="share">${f.limit === null ? html`<span class="muted">No limit</span>` : usageBar(f.used, f.limit)}</td>
</tr>`;
}

function lineRow(line: InvoiceLineView, currency: string, names: Map<string, string>): Html {
  if (line.type === 'base_fee') {
    return html`<tr data-line="base_fee"><th scope="row">Base fee</th><td class="num"></td><td class="num amount">${money(line.amount, currency)}</td></tr>`;
  }
  return html`<tr data-line="usage" data-feature="${line.feature}"><th scope="row">${names.get(line.feature) ?? line.feature}</th><td class="num quantity">${count(line.quantity)}</td><td class="num amount">${money(line.amount, currency)}</td></tr>`;
}

function subscriptionSection(s: SubscriptionView, index: number): Html {
  const heading = `subscription-${index}`;
  const names = new Map(s.features.map((f) => [f.key, f.name]));
  const invoice = s.upcoming;
  return html`<section class="subscription" aria-labelledby="${heading}" data-subscription="${s.id}">
<h2 id="${heading}">${s.planName}</h2>
<p class="period">Current period: ${time(s.periodStart)} to ${time(s.periodEnd)}</p>
<h3>Usage this period</h3>
${
  s.features.length === 0
    ? html`<p class="muted">This plan meters no features.</p>`
    : html`<div class="scroll"><table class="usage">
<thead><tr><th scope="col">Feature</th><th scope="col" class="num">Used</th><th scope="col" class="num">Limit</th><th scope="col">Share of limit</th></tr></thead>
<tbody>${s.features.map(featureRow)}</tbody>
</table></div>
<h3>Daily usage</h3>
${s.features.map((f, i) => dailyChart(f, `chart-${index}-${i}`))}`
}
<h3>Upcoming invoice</h3>
<p class="muted">What this period would be billed if it ended now, for ${time(new Date(invoice.periodStart))} to ${time(new Date(invoice.periodEnd))}.</p>
<div class="scroll"><table class="upcoming" data-currency="${invoice.currency}">
<thead><tr><th scope="col">Item</th><th scope="col" class="num">Quantity</th><th scope="col" class="num">Amount</th></tr></thead>
<tbody>${invoice.lines.map((line) => lineRow(line, invoice.currency, names))}</tbody>
<tfoot><tr><th scope="row" colspan="2">Total</th><td class="num total">${money(invoice.total, invoice.currency)}</td></tr></tfoot>
</table></div>
</section>`;
}

function invoicesSection(view: PortalView): Html {
  return html`<section class="invoices" aria-labelledby="past-invoices">
<h2 id="past-invoices">Past invoices</h2>
${
  view.invoices.length === 0
    ? html`<p class="muted">No invoices yet.</p>`
    : html`<div class="scroll"><table class="past">
<caption class="muted">The latest ${PAST_INVOICES_SHOWN} at most, newest first.</caption>
<thead><tr><th scope="col">Period (UTC)</th><th scope="col">Status</th><th scope="col" class="num">Total</th></tr></thead>
<tbody>${view.invoices.map(
        (i) => html`<tr><th scope="row">${time(i.periodStart, utcDate(i.periodStart))} to ${time(i.periodEnd, utcDate(i.periodEnd))}</th>
<td class="status">${i.status === 'void' ? 'Void' : 'Finalized'}</td><td class="num total">${money(i.total, i.currency)}</td></tr>`,
      )}</tbody>
</table></div>`
}
</section>`;
}

/** The customer's usage page: server-rendered, complete without JavaScript. */
export function portalPage(view: PortalView): string {
  return page(
    `Usage and billing: ${view.customer.name}`,
    html`<header>
<h1>Usage and billing</h1>
<p class="customer">${view.customer.name}</p>
<p class="muted">All dates and times are in UTC. Figures as of ${time(view.asOf)}.</p>
${view.returnUrl ? html`<p><a href="${view.returnUrl}" rel="noreferrer">Back to the app</a></p>` : ''}
</header>
<main>
${view.subscriptions.length === 0 ? html`<p>There are no active subscriptions.</p>` : view.subscriptions.map(subscriptionSection)}
${invoicesSection(view)}
</main>`,
  );
}

/** The one answer for an unknown, expired or revoked link: which of them it was is not said. */
export function expiredPage(): string {
  return page(
    'Link expired',
    html`<main>
<h1>This link has expired</h1>
<p>Links to this page work for a limited time. Open the page again from the app that sent you here to get a new one.</p>
</main>`,
  );
}
