import type { Store } from '../storage/client.ts';
import type { GroupState } from './routing.ts';
import type { Silence } from './silences.ts';
import type { Matcher, RuleState, SeriesState, Transition } from './types.ts';

let lastVer = 0;
/** A strictly increasing write version (microseconds since the epoch, bumped on ties). */
export function nextVersion(): number {
  const v = Date.now() * 1000;
  lastVer = v > lastVer ? v : lastVer + 1;
  return lastVer;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** One delivery attempt, as logged. */
export interface DeliveryRecord {
  ts: number;
  receiver: string;
  receiverType: string;
  groupKey: string;
  notificationId: string;
  status: 'ok' | 'retryable' | 'failed';
  httpStatus: number;
  error: string;
  attempt: number;
  durationMs: number;
  alerts: number;
  firing: number;
  resolved: number;
}

/** A state change with whether the alert was muted at the time. */
export interface HistoryRecord extends Transition {
  silenced: boolean;
  inhibited: boolean;
}

/** Persistence of the alerting state in ClickHouse. */
export class AlertStateStore {
  constructor(private readonly store: Store) {}

  /** Loads every live series, grouped by rule. */
  async loadSeries(): Promise<Map<string, RuleState>> {
    const rows = await this.store.query<{ rule: string; data: string }>(
      `SELECT rule, argMax(data, ver) AS data, argMax(deleted, ver) AS del
       FROM ${this.store.t('alert_series')} GROUP BY rule, fingerprint HAVING del = 0`,
    );
    const out = new Map<string, RuleState>();
    for (const r of rows) {
      const s = JSON.parse(r.data) as SeriesState;
      let rs = out.get(r.rule);
      if (!rs) out.set(r.rule, (rs = { series: {} }));
      rs.series[s.fingerprint] = s;
    }
    return out;
  }

  /** Writes changed series and tombstones for forgotten ones. */
  async saveSeries(changes: { rule: string; series: SeriesState }[], deleted: { rule: string; fingerprint: string }[]): Promise<void> {
    const rows = [
      ...changes.map(({ rule, series: s }) => ({
        rule, fingerprint: s.fingerprint, labels: s.labels, state: s.state, since: iso(s.since), value: s.value,
        data: JSON.stringify(s), deleted: 0, ver: nextVersion(),
      })),
      ...deleted.map(({ rule, fingerprint }) => ({
        rule, fingerprint, labels: {}, state: 'inactive', since: iso(0), value: null, data: '{}', deleted: 1, ver: nextVersion(),
      })),
    ];
    await this.store.insert('alert_series', rows);
  }

  /** Loads every live notification group. */
  async loadGroups(): Promise<Map<string, GroupState>> {
    const rows = await this.store.query<{ group_key: string; data: string }>(
      `SELECT group_key, argMax(data, ver) AS data, argMax(deleted, ver) AS del
       FROM ${this.store.t('alert_groups')} GROUP BY group_key HAVING del = 0`,
    );
    return new Map(rows.map((r) => [r.group_key, JSON.parse(r.data) as GroupState]));
  }

  /** Writes a group's state, or deletes it when `state` is null. */
  async saveGroups(groups: { groupKey: string; receiver: string; state: GroupState | null }[]): Promise<void> {
    await this.store.insert('alert_groups', groups.map(({ groupKey, receiver, state }) => ({
      group_key: groupKey,
      receiver,
      first_seen_at: iso(state?.firstSeenAt ?? 0),
      last_sent_at: state?.lastSentAt != null ? iso(state.lastSentAt) : null,
      data: state ? JSON.stringify(state) : '{}',
      deleted: state ? 0 : 1,
      ver: nextVersion(),
    })));
  }

  /** Appends delivery attempts to the log. */
  async logDeliveries(records: readonly DeliveryRecord[]): Promise<void> {
    await this.store.insert('alert_deliveries', records.map((r) => ({
      ts: iso(r.ts), receiver: r.receiver, receiver_type: r.receiverType, group_key: r.groupKey, notification_id: r.notificationId,
      status: r.status, http_status: r.httpStatus, error: r.error, attempt: r.attempt, duration_ms: r.durationMs,
      alerts: r.alerts, firing: r.firing, resolved: r.resolved,
    })));
  }

  /** Appends state changes to the history. */
  async logHistory(records: readonly HistoryRecord[]): Promise<void> {
    await this.store.insert('alert_history', records.map((r) => ({
      ts: iso(r.at), rule: r.rule, fingerprint: r.fingerprint, labels: r.labels, from_state: r.from, to_state: r.to,
      value: r.value, silenced: r.silenced ? 1 : 0, inhibited: r.inhibited ? 1 : 0,
    })));
  }

  /** Reads the history, newest first. */
  async history(opts: { rule?: string; since?: number; limit?: number } = {}): Promise<Record<string, unknown>[]> {
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: Math.min(Math.max(opts.limit ?? 100, 1), 10_000) };
    if (opts.rule) {
      where.push('rule = {rule:String}');
      params.rule = opts.rule;
    }
    if (opts.since !== undefined) {
      where.push('ts >= fromUnixTimestamp64Milli({since:Int64})');
      params.since = opts.since;
    }
    const rows = await this.store.query<Record<string, unknown>>(
      `SELECT toUnixTimestamp64Milli(ts) AS ts_ms, rule, fingerprint, labels, from_state, to_state, value, silenced, inhibited
       FROM ${this.store.t('alert_history')} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY ts DESC LIMIT {limit:UInt32}`,
      params,
    );
    return rows.map((r) => ({
      at: new Date(Number(r.ts_ms)).toISOString(), rule: r.rule, fingerprint: r.fingerprint, labels: r.labels,
      from: r.from_state, to: r.to_state, value: r.value, silenced: Number(r.silenced) === 1, inhibited: Number(r.inhibited) === 1,
    }));
  }

  /** Reads the delivery log, newest first. */
  async deliveries(opts: { receiver?: string; limit?: number } = {}): Promise<DeliveryRecord[]> {
    const params: Record<string, unknown> = { limit: Math.min(Math.max(opts.limit ?? 100, 1), 10_000) };
    let where = '';
    if (opts.receiver) {
      where = 'WHERE receiver = {receiver:String}';
      params.receiver = opts.receiver;
    }
    const rows = await this.store.query<Record<string, unknown>>(
      `SELECT toUnixTimestamp64Milli(ts) AS ts_ms, receiver, receiver_type, group_key, notification_id, status, http_status, error,
              attempt, duration_ms, alerts, firing, resolved
       FROM ${this.store.t('alert_deliveries')} ${where} ORDER BY ts DESC, attempt DESC LIMIT {limit:UInt32}`,
      params,
    );
    return rows.map((r) => ({
      ts: Number(r.ts_ms), receiver: String(r.receiver), receiverType: String(r.receiver_type), groupKey: String(r.group_key),
      notificationId: String(r.notification_id), status: r.status as DeliveryRecord['status'], httpStatus: Number(r.http_status),
      error: String(r.error), attempt: Number(r.attempt), durationMs: Number(r.duration_ms), alerts: Number(r.alerts),
      firing: Number(r.firing), resolved: Number(r.resolved),
    }));
  }

  /** Reads every silence (latest version of each). */
  async loadSilences(): Promise<Silence[]> {
    const rows = await this.store.query<Record<string, unknown>>(
      `SELECT id, argMax(matchers, ver) AS m, toUnixTimestamp64Milli(argMax(starts_at, ver)) AS s, toUnixTimestamp64Milli(argMax(ends_at, ver)) AS e,
              argMax(created_by, ver) AS by, argMax(comment, ver) AS c, toUnixTimestamp64Milli(argMax(created_at, ver)) AS ca
       FROM ${this.store.t('alert_silences')} GROUP BY id ORDER BY ca`,
    );
    return rows.map((r) => ({
      id: String(r.id), matchers: JSON.parse(String(r.m)) as Matcher[], startsAt: Number(r.s), endsAt: Number(r.e),
      createdBy: String(r.by), comment: String(r.c), createdAt: Number(r.ca),
    }));
  }

  /** Writes a silence (new or a new version of one). */
  async saveSilence(s: Silence): Promise<void> {
    await this.store.insert('alert_silences', [{
      id: s.id, matchers: JSON.stringify(s.matchers), starts_at: iso(s.startsAt), ends_at: iso(s.endsAt),
      created_by: s.createdBy, comment: s.comment, created_at: iso(s.createdAt), ver: nextVersion(),
    }]);
  }
}
