/** Hash routes of the UI (pure): #/, #/models/NAME, #/models/NAME/drift, #/alerts, each with an optional ?query. */

export type Route =
  | { page: 'models' }
  | { page: 'model'; model: string }
  | { page: 'drift'; model: string }
  | { page: 'alerts' }
  | { page: 'notfound'; path: string };

/** Parses a location hash ("#/models/fraud/drift?range=24h"). */
export function parseHash(hash: string): { route: Route; query: URLSearchParams } {
  const raw = hash.replace(/^#/, '');
  const q = raw.indexOf('?');
  const path = (q >= 0 ? raw.slice(0, q) : raw) || '/';
  const query = new URLSearchParams(q >= 0 ? raw.slice(q + 1) : '');
  const parts = path.split('/').filter((p) => p !== '');
  let route: Route = { page: 'notfound', path };
  try {
    if (parts.length === 0) route = { page: 'models' };
    else if (parts.length === 1 && parts[0] === 'alerts') route = { page: 'alerts' };
    else if (parts[0] === 'models' && parts.length === 2) route = { page: 'model', model: decodeURIComponent(parts[1]) };
    else if (parts[0] === 'models' && parts.length === 3 && parts[2] === 'drift') route = { page: 'drift', model: decodeURIComponent(parts[1]) };
  } catch {
    // A malformed %-escape: not a route of ours.
  }
  return { route, query };
}

/** The hash of a route, with query parameters (empty values left out). */
export function hrefOf(route: Route, query: Record<string, string | undefined> = {}): string {
  let path = '/';
  if (route.page === 'alerts') path = '/alerts';
  else if (route.page === 'model') path = `/models/${encodeURIComponent(route.model)}`;
  else if (route.page === 'drift') path = `/models/${encodeURIComponent(route.model)}/drift`;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, v);
  const qs = q.toString();
  return `#${path}${qs ? `?${qs}` : ''}`;
}

/** Time ranges offered on the model and drift pages. */
export const RANGES: Record<string, number> = { '1h': 3600_000, '6h': 6 * 3600_000, '24h': 24 * 3600_000, '7d': 7 * 24 * 3600_000 };

/** The range named in the query, or `dflt`. */
export function rangeOf(query: URLSearchParams, dflt: string): { name: string; ms: number } {
  const name = query.get('range') ?? dflt;
  return RANGES[name] ? { name, ms: RANGES[name] } : { name: dflt, ms: RANGES[dflt] };
}

/** The reference query value the drift API takes for a stored row's reference text ('' = the default, previous window). */
export function referenceParam(stored: string): string {
  if (stored === '' || stored.startsWith('previous:')) return '';
  return stored;
}
