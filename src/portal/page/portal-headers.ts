import { PORTAL_CSS_SOURCE } from './portal-styles';

/**
 * The portal page's headers. The CSP allows nothing from another origin and nothing inline but
 * the page's own stylesheet (by hash); frame-ancestors names who may embed the page
 * (PORTAL_FRAME_ANCESTORS). The page is one customer's figures behind a credential in its URL: no
 * cache may keep it and no Referer may carry the URL elsewhere.
 */
export function portalHeaders(frameAncestors: string): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy':
      `default-src 'self'; style-src ${PORTAL_CSS_SOURCE}; base-uri 'none'; form-action 'none'; ` +
      `frame-ancestors ${frameAncestors}`,
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
  };
}
