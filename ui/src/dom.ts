/** A small element builder: text always goes in as text nodes, never as HTML, so API data cannot inject markup. */

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | ((ev: any) => void)>;

/** Creates an element with attributes (`on*` functions become listeners; false/null are left out) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === null || v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
    else if (k === 'class') el.className = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

/** Appends children (nested arrays flattened; null/undefined/false skipped). */
export function append(el: Element, children: (Child | Child[])[]): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'number' ? String(c) : c);
  }
}

/** A hash link to a route of the UI. */
export function link(href: string, ...children: (Child | Child[])[]): HTMLAnchorElement {
  return h('a', { href }, ...children);
}

/** A status badge: `kind` picks the colour (healthy, drifting, alerting, nodata, pending, firing, resolved, ok, drift, warn). */
export function badge(kind: string, text: string, title?: string): HTMLSpanElement {
  return h('span', { class: `badge badge-${kind}`, title: title ?? null }, text);
}

/** A titled card. */
export function card(title: string | null, ...children: (Child | Child[])[]): HTMLElement {
  return h('section', { class: 'card' }, title ? h('h2', { class: 'card-title' }, title) : null, ...children);
}

/** A small figure tile: label above, value below. */
export function tile(label: string, value: string, hint?: string): HTMLElement {
  return h('div', { class: 'tile' }, h('div', { class: 'tile-label' }, label), h('div', { class: 'tile-value' }, value), hint ? h('div', { class: 'tile-hint' }, hint) : null);
}

/** A message box for empty states and errors. */
export function note(kind: 'info' | 'error', ...children: (Child | Child[])[]): HTMLElement {
  return h('div', { class: `note note-${kind}`, role: kind === 'error' ? 'alert' : null }, ...children);
}
