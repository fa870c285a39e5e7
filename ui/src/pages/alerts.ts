/** Alerts page: firing, pending and recently resolved alerts, silences, and a silence button per alert. */
import { api, apiOptional, ApiError } from '../api.ts';
import { badge, card, h, link, note } from '../dom.ts';
import { fmtAgo, fmtDateTime, fmtNum } from '../format.ts';
import { hrefOf } from '../router.ts';
import { coveringSilence, FIRING_STATES, type ActiveAlert, type SilenceView } from '../status.ts';
import { pageHead, type View } from '../view.ts';

interface HistoryEntry {
  at: string;
  rule: string;
  fingerprint: string;
  labels: Record<string, string>;
  from: string;
  to: string;
  value: number | null;
}

const HIDDEN_LABELS = new Set(['alertname', 'severity']);
const DURATIONS = [['1h', '1 hour'], ['4h', '4 hours'], ['24h', '1 day'], ['168h', '1 week']] as const;

function labelChips(labels: Record<string, string>): HTMLElement {
  return h('div', { class: 'chips' }, Object.entries(labels).filter(([k]) => !HIDDEN_LABELS.has(k)).sort(([a], [b]) => a.localeCompare(b))
    .map(([k, val]) => k === 'model' ? link(hrefOf({ page: 'model', model: val }), h('span', { class: 'chip' }, `${k}=${val}`)) : h('span', { class: 'chip' }, `${k}=${val}`)));
}

function severityBadge(sev: string | undefined): HTMLElement | null {
  if (!sev) return null;
  return badge(sev === 'critical' ? 'alerting' : sev === 'warning' ? 'drifting' : 'nodata', sev);
}

/** Renders the alerts page. */
export async function alertsPage(v: View, rerender: () => void): Promise<void> {
  const [active, hist, sil] = await Promise.all([
    apiOptional<{ alerts: ActiveAlert[] }>('/api/v1/alerts'),
    apiOptional<{ history: HistoryEntry[] }>(`/api/v1/alerts/history?limit=500&since=${Date.now() - 24 * 3600_000}`),
    apiOptional<{ silences: SilenceView[] }>('/api/v1/silences'),
  ]);
  if (!v.current()) return;
  v.main.append(pageHead([], ['Alerts']));
  if (active === null) {
    v.main.append(note('info', 'Alerting is not configured on this server. Start it with ', h('code', null, 'modelwatch serve --alerts alerts.yaml'),
      ' (see alerts.example.yaml).'));
    return;
  }
  const silences = (sil?.silences ?? []).filter((s) => s.status.state !== 'expired');
  const firing = active.alerts.filter((a) => FIRING_STATES.has(a.state));
  const pending = active.alerts.filter((a) => a.state === 'pending');
  const resolved = (hist?.history ?? []).filter((e) => e.to === 'resolved');
  const message = h('div', { class: 'messages', 'aria-live': 'polite' });
  v.main.append(message);

  async function silence(a: ActiveAlert, duration: string, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    try {
      // Every label of the alert as an equality matcher: this alert only, as Alertmanager's UI does.
      const matchers = Object.entries(a.labels).map(([name, value]) => ({ name, value, isRegex: false, isEqual: true }));
      const res = await api<{ silenceID: string; silence: SilenceView }>('/api/v1/silences', {
        method: 'POST',
        body: { matchers, duration, createdBy: 'web UI', comment: `silenced from the web UI: ${a.rule}` },
      });
      message.replaceChildren(note('info', `Silenced ${a.rule} until ${fmtDateTime(res.silence.endsAt)}.`));
      rerender();
    } catch (err) {
      button.disabled = false;
      message.replaceChildren(note('error', `Could not create the silence: ${err instanceof ApiError ? `${err.code}: ${err.message}` : String(err)}`));
    }
  }

  async function expire(s: SilenceView, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    try {
      await api(`/api/v1/silences/${encodeURIComponent(s.id)}`, { method: 'DELETE' });
      rerender();
    } catch (err) {
      button.disabled = false;
      message.replaceChildren(note('error', `Could not expire the silence: ${err instanceof ApiError ? `${err.code}: ${err.message}` : String(err)}`));
    }
  }

  const alertTable = (list: ActiveAlert[], id: string) => h('div', { class: 'table-wrap' }, h('table', { class: 'table', id },
    h('thead', null, h('tr', null, h('th', null, 'Alert'), h('th', null, 'Labels'), h('th', null, 'Summary'), h('th', { class: 'num' }, 'Value'),
      h('th', null, 'Since'), h('th', null, 'Silence'))),
    h('tbody', null, list.map((a) => {
      const covered = coveringSilence(a.labels, silences);
      const select = h('select', { 'aria-label': 'silence for' }, DURATIONS.map(([d, text]) => h('option', { value: d }, text)));
      const button = h('button', { type: 'button', class: 'btn btn-small', 'data-action': 'silence' }, 'Silence');
      button.addEventListener('click', () => void silence(a, select.value, button));
      const state = FIRING_STATES.has(a.state) ? 'firing' : a.state;
      return h('tr', { 'data-rule': a.rule, 'data-state': a.state, 'data-fingerprint': a.fingerprint },
        h('td', null, badge(state, a.state), ' ', h('strong', null, a.rule), ' ', severityBadge(a.labels.severity)),
        h('td', null, labelChips(a.labels)),
        h('td', null, a.annotations.summary ?? a.annotations.description ?? ''),
        h('td', { class: 'num' }, a.value === null ? '–' : fmtNum(a.value), a.threshold !== null ? h('div', { class: 'small muted' }, `threshold ${fmtNum(a.threshold)}`) : null),
        h('td', { title: a.since }, fmtAgo(a.firedAt ?? a.activeAt ?? a.since)),
        h('td', { class: 'silence-cell' }, covered
          ? h('span', { class: 'muted', 'data-silenced': 'true' }, `silenced until ${fmtDateTime(covered.endsAt)}`)
          : a.silenced ? h('span', { class: 'muted', 'data-silenced': 'true' }, 'silenced') : h('div', { class: 'inline' }, select, button)),
      );
    })),
  ));

  v.main.append(card(`Firing (${firing.length})`, firing.length ? alertTable(firing, 'firing-table') : h('p', { class: 'muted' }, 'Nothing is firing.')));
  v.main.append(card(`Pending (${pending.length})`, h('div', { class: 'card-sub' }, 'the condition holds but not yet for the rule’s for: duration'),
    pending.length ? alertTable(pending, 'pending-table') : h('p', { class: 'muted' }, 'Nothing is pending.')));
  v.main.append(card(`Resolved in the last 24 h (${resolved.length})`, resolved.length
    ? h('div', { class: 'table-wrap' }, h('table', { class: 'table', id: 'resolved-table' },
      h('thead', null, h('tr', null, h('th', null, 'Alert'), h('th', null, 'Labels'), h('th', null, 'Resolved'), h('th', { class: 'num' }, 'Last value'))),
      h('tbody', null, resolved.map((e) => h('tr', { 'data-rule': e.rule, 'data-state': 'resolved' },
        h('td', null, badge('resolved', 'resolved'), ' ', h('strong', null, e.rule), ' ', severityBadge(e.labels.severity)),
        h('td', null, labelChips(e.labels)),
        h('td', { title: e.at }, `${fmtDateTime(e.at)} (${fmtAgo(e.at)})`),
        h('td', { class: 'num' }, e.value === null ? '–' : fmtNum(e.value)),
      )))))
    : h('p', { class: 'muted' }, 'Nothing resolved in the last 24 hours.')));
  v.main.append(card(`Silences (${silences.length})`, silences.length
    ? h('div', { class: 'table-wrap' }, h('table', { class: 'table', id: 'silences-table' },
      h('thead', null, h('tr', null, h('th', null, 'Matchers'), h('th', null, 'State'), h('th', null, 'Ends'), h('th', null, 'Comment'), h('th', null, ''))),
      h('tbody', null, silences.map((s) => {
        const button = h('button', { type: 'button', class: 'btn btn-small', 'data-action': 'expire' }, 'Expire');
        button.addEventListener('click', () => void expire(s, button));
        return h('tr', { 'data-silence': s.id },
          h('td', null, h('div', { class: 'chips' }, s.matchers.map((m) => h('span', { class: 'chip' }, m)))),
          h('td', null, badge(s.status.state === 'active' ? 'ok' : 'pending', s.status.state)),
          h('td', null, fmtDateTime(s.endsAt)),
          h('td', null, s.comment, s.createdBy ? h('div', { class: 'small muted' }, `by ${s.createdBy}`) : null),
          h('td', null, button),
        );
      }))))
    : h('p', { class: 'muted' }, 'No active silences.')));
}
