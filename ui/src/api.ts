/**
 * The only way the UI talks to the server: same-origin requests to the read API. When the server
 * answers 401 the user is asked once for an API key, kept in sessionStorage for this tab and sent
 * as a Bearer header from then on.
 */
import { h } from './dom.ts';

const KEY_NAME = 'modelwatch.apiKey';

/** An error answer of the API: HTTP status and the MW_ERR_* code when the body names one. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** The stored API key, if any. */
export function apiKey(): string | null {
  try {
    return sessionStorage.getItem(KEY_NAME);
  } catch {
    return null;
  }
}

/** Forgets the stored key (the next 401 asks again). */
export function forgetApiKey(): void {
  sessionStorage.removeItem(KEY_NAME);
}

let asking: Promise<string> | null = null;

/** Shows the key dialog; concurrent callers share one dialog. */
function askForKey(refused: boolean): Promise<string> {
  if (asking) return asking;
  asking = new Promise<string>((resolve) => {
    const input = h('input', { type: 'password', id: 'api-key', name: 'api-key', autocomplete: 'off', required: true, placeholder: 'API key' });
    const form = h('form', { class: 'dialog', 'aria-labelledby': 'key-title' },
      h('h2', { id: 'key-title' }, 'API key required'),
      h('p', null, refused ? 'The server refused that key. Enter a valid key.' : 'This modelwatch server needs an API key. It is kept for this browser tab only.'),
      h('label', { for: 'api-key' }, 'Key'),
      input,
      h('div', { class: 'dialog-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Continue')),
    );
    const overlay = h('div', { class: 'overlay' }, form);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const key = input.value.trim();
      if (!key) return;
      sessionStorage.setItem(KEY_NAME, key);
      overlay.remove();
      asking = null;
      resolve(key);
    });
    document.body.append(overlay);
    input.focus();
  });
  return asking;
}

/** Fetches `path` ("/api/v1/...") from the API as JSON; throws ApiError on an error answer. */
export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  for (;;) {
    const headers: Record<string, string> = { accept: 'application/json' };
    const key = apiKey();
    if (key) headers.authorization = `Bearer ${key}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    // Relative to the page, so the UI also works behind a proxy that mounts it under a prefix.
    const res = await fetch(path.replace(/^\//, ''), {
      method: init.method ?? 'GET',
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
    if (res.status === 401) {
      // A stored key that is refused was wrong or revoked: ask again.
      if (key) forgetApiKey();
      await askForKey(key !== null);
      continue;
    }
    const text = await res.text();
    let body: any;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // Not JSON (a proxy's error page): only the status is known.
      body = null;
    }
    if (!res.ok) throw new ApiError(res.status, body?.error ?? String(res.status), body?.message ?? (res.statusText || `HTTP ${res.status}`));
    return body as T;
  }
}

/** Like api(), but a 404 (a part not enabled on this server, such as alerting) yields null. */
export async function apiOptional<T>(path: string): Promise<T | null> {
  try {
    return await api<T>(path);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404 && err.code !== 'MW_ERR_NOT_FOUND') return null;
    throw err;
  }
}
