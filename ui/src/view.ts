/** What a page renders into, and helpers shared by the pages. */
import { h, link } from './dom.ts';
import { hrefOf, RANGES, type Route } from './router.ts';

/** A page render in progress. */
export interface View {
  main: HTMLElement;
  query: URLSearchParams;
  /** False once the user navigated elsewhere: the render stops. */
  current(): boolean;
}

/** Range buttons ("1h 6h 24h 7d") linking to the same route with another range. */
export function rangePicker(route: Route, query: URLSearchParams, active: string): HTMLElement {
  const keep = Object.fromEntries([...query.entries()].filter(([k]) => k !== 'range'));
  return h('nav', { class: 'ranges', 'aria-label': 'time range' },
    Object.keys(RANGES).map((r) => {
      const a = link(hrefOf(route, { ...keep, range: r }), r);
      if (r === active) {
        a.className = 'active';
        a.setAttribute('aria-current', 'true');
      }
      return a;
    }));
}

/** The page heading: breadcrumb, title, extra elements on the right. */
export function pageHead(crumbs: [string, string][], title: (Node | string)[], ...right: (Node | null)[]): HTMLElement {
  return h('header', { class: 'page-head' },
    h('div', null,
      crumbs.length ? h('div', { class: 'crumbs' }, crumbs.flatMap(([text, href], i) => [i ? ' / ' : '', link(href, text)])) : null,
      h('h1', null, ...title)),
    h('div', { class: 'page-head-right' }, ...right));
}

/**
 * The [from, to) of a range ending at the start of the current minute, as ISO strings: only whole
 * minutes are shown, so the last point is not a minute still filling up (a false dip in traffic).
 */
export function rangeTimes(ms: number, now = Date.now()): { from: string; to: string } {
  const to = Math.floor(now / 60_000) * 60_000;
  return { from: new Date(to - ms).toISOString(), to: new Date(to).toISOString() };
}
