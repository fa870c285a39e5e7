/** Models page: every model with its status (healthy, drifting, alerting, no data) and recent figures. */
import { api, apiOptional } from '../api.ts';
import { badge, card, h, link, note, tile } from '../dom.ts';
import { fmtAgo, fmtCount, fmtMs, fmtPct } from '../format.ts';
import { hrefOf } from '../router.ts';
import { modelStatus, STATUS_LABEL, type ActiveAlert, type ModelStatus, type OverviewModel } from '../status.ts';
import { pageHead, type View } from '../view.ts';

interface Overview {
  window_minutes: number;
  models: OverviewModel[];
}

/** Renders the models page. */
export async function modelsPage(v: View): Promise<void> {
  const [ov, alerts] = await Promise.all([
    api<Overview>('/api/v1/overview'),
    apiOptional<{ alerts: ActiveAlert[] }>('/api/v1/alerts'),
  ]);
  if (!v.current()) return;
  const rows = ov.models.map((m) => ({ m, ...modelStatus(m, alerts?.alerts ?? null) }));
  const count = (s: ModelStatus) => rows.filter((r) => r.status === s).length;

  v.main.append(pageHead([], ['Models'], h('span', { class: 'muted' }, `status over the last ${ov.window_minutes} min`)));
  v.main.append(h('div', { class: 'tiles' },
    tile('Models', fmtCount(rows.length)),
    tile('Healthy', fmtCount(count('healthy'))),
    tile('Drifting', fmtCount(count('drifting'))),
    tile('Alerting', fmtCount(count('alerting')), alerts === null ? 'alerting is off' : undefined),
    tile('No data', fmtCount(count('nodata'))),
  ));

  if (rows.length === 0) {
    v.main.append(note('info',
      h('strong', null, 'No predictions yet. '),
      'Send one with ', h('code', null, 'curl -s localhost:4318/v1/predictions -H "content-type: application/x-ndjson" --data-binary \'{"model":"fraud","prediction":0.9,"features":{"amount":12.5}}\''),
      ' or instrument a model server with the SDK.'));
    return;
  }
  if (alerts === null) {
    v.main.append(note('info', 'Alerting is not configured on this server (start ', h('code', null, 'serve --alerts alerts.yaml'), '): statuses leave alerts out.'));
  }

  const table = h('table', { class: 'table', id: 'models-table' },
    h('thead', null, h('tr', null,
      h('th', null, 'Model'), h('th', null, 'Status'), h('th', null, 'Versions'),
      h('th', { class: 'num' }, `Predictions (${ov.window_minutes} min)`), h('th', { class: 'num' }, 'Error rate'),
      h('th', { class: 'num' }, 'p95 latency'), h('th', { class: 'num' }, 'Dataset drift'), h('th', null, 'Last prediction'), h('th', null, ''))),
    h('tbody', null, rows.map(({ m, status, reason }) => h('tr', { 'data-model': m.model, 'data-status': status },
      h('td', null, link(hrefOf({ page: 'model', model: m.model }), h('strong', null, m.model))),
      h('td', null, badge(status, STATUS_LABEL[status], reason), h('div', { class: 'small muted' }, reason)),
      h('td', null, m.versions.join(', ')),
      h('td', { class: 'num' }, fmtCount(m.predictions)),
      h('td', { class: 'num' }, fmtPct(m.error_rate)),
      h('td', { class: 'num' }, fmtMs(m.latency_p95)),
      h('td', { class: 'num' }, m.drift ? fmtPct(m.drift.share, 2) : '–'),
      h('td', { title: m.last_seen }, fmtAgo(m.last_seen)),
      h('td', { class: 'links' }, link(hrefOf({ page: 'model', model: m.model }), 'Metrics'), ' · ', link(hrefOf({ page: 'drift', model: m.model }), 'Drift')),
    ))),
  );
  v.main.append(card(null, h('div', { class: 'table-wrap' }, table)));
}
