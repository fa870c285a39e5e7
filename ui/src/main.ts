/** Entry point of the web UI: layout, hash routing, page rendering. */
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { apiKey, ApiError, forgetApiKey } from './api.ts';
import { destroyCharts } from './charts.ts';
import { h, link, note } from './dom.ts';
import { alertsPage } from './pages/alerts.ts';
import { driftPage } from './pages/drift.ts';
import { modelPage } from './pages/model.ts';
import { modelsPage } from './pages/models.ts';
import { hrefOf, parseHash, type Route } from './router.ts';
import type { View } from './view.ts';

const main = h('main', { id: 'main' });
const updated = h('span', { class: 'updated muted' });
const navModels = link(hrefOf({ page: 'models' }), 'Models');
const navAlerts = link(hrefOf({ page: 'alerts' }), 'Alerts');
const keyButton = h('button', { type: 'button', class: 'btn btn-small btn-quiet', title: 'forget the API key kept for this tab' }, 'Forget API key');
keyButton.addEventListener('click', () => {
  forgetApiKey();
  render();
});
const refresh = h('button', { type: 'button', class: 'btn btn-small', id: 'refresh' }, 'Refresh');
refresh.addEventListener('click', () => render());

document.body.append(
  h('div', { class: 'topbar' },
    h('div', { class: 'topbar-inner' },
      link(hrefOf({ page: 'models' }), h('span', { class: 'brand' }, 'modelwatch')),
      h('nav', { class: 'nav', 'aria-label': 'main' }, navModels, navAlerts),
      h('div', { class: 'topbar-right' }, updated, keyButton, refresh))),
  main,
);

let renderId = 0;

function titleOf(route: Route): string {
  if (route.page === 'model') return route.model;
  if (route.page === 'drift') return `Drift of ${route.model}`;
  if (route.page === 'alerts') return 'Alerts';
  if (route.page === 'models') return 'Models';
  return 'Not found';
}

/** Renders the page the hash names; a newer render makes older ones stop. */
async function render(): Promise<void> {
  const id = ++renderId;
  const { route, query } = parseHash(location.hash);
  document.body.dataset.ready = 'false';
  document.title = `${titleOf(route)} · modelwatch`;
  navModels.classList.toggle('active', route.page === 'models' || route.page === 'model' || route.page === 'drift');
  navAlerts.classList.toggle('active', route.page === 'alerts');
  keyButton.hidden = apiKey() === null;
  destroyCharts();
  const fresh = h('div', { class: 'page', 'data-page': route.page });
  const view: View = { main: fresh, query, current: () => id === renderId };
  // The page is attached at once (charts measure their container); the loading line goes when it is done.
  const loading = h('div', { class: 'loading muted' }, 'Loading…');
  main.replaceChildren(loading, fresh);
  try {
    if (route.page === 'models') await modelsPage(view);
    else if (route.page === 'model') await modelPage(view, route.model);
    else if (route.page === 'drift') await driftPage(view, route.model);
    else if (route.page === 'alerts') await alertsPage(view, () => void render());
    else fresh.append(note('info', `No page at ${route.path}. `, link(hrefOf({ page: 'models' }), 'Back to the models.')));
  } catch (err) {
    if (id !== renderId) return;
    const msg = err instanceof ApiError ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
    fresh.replaceChildren(note('error', 'Could not load this page: ', msg));
  }
  if (id !== renderId) return;
  loading.remove();
  updated.textContent = `Updated ${new Date().toLocaleTimeString('en-GB')}`;
  document.body.dataset.ready = 'true';
}

window.addEventListener('hashchange', () => void render());
void render();
