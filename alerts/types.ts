/** Shared types of the alerting part: rules, series state, alerts, notifications, receivers. */

/** A label set: names to string values. */
export type Labels = Record<string, string>;

/** Comparison operators a condition may use. */
export type Op = '>' | '>=' | '<' | '<=' | '==' | '!=';

/** What an analysis-result kind reads and how it labels its series. */
export type ConditionKind =
  | 'latency_quantile'
  | 'error_rate'
  | 'drift_share'
  | 'feature_drift'
  | 'data_quality'
  | 'gpu_idle'
  | 'gpu_memory'
  | 'no_data';

/** A parsed rule condition: a kind with parameters, or a SQL query. */
export interface Condition {
  kind: ConditionKind | 'query';
  /** Filters (kinds over analysis_results and rollups). */
  model?: string;
  version?: string;
  segment?: string;
  feature?: string;
  /** latency_quantile: quantile in (0,1]. */
  quantile?: number;
  /** data_quality: analysis metric name (null_rate, ...). */
  metric?: string;
  /** Comparison; when absent the analyzer's own status decides (status other than ok/nodata). */
  op?: Op;
  /** Threshold, in the unit of the kind (ms for latency, ratio for rates and shares). */
  value?: number;
  /** error_rate: window over the latency rollup (minutes, and whole hours and days of a long window from their levels), ms. */
  windowMs?: number;
  /** error_rate: minimum predictions in the window for a series to count. */
  minCount?: number;
  /** no_data: how long without predictions before the condition holds, ms. */
  silenceMs?: number;
  /** How far back a result may lie and still count as current, ms. */
  lookbackMs: number;
  /** query: the SQL text. */
  sql?: string;
}

/** What the rule's series becomes when a query returns nothing at all (Grafana noDataState). */
export type NoDataState = 'OK' | 'Alerting' | 'NoData' | 'KeepLast';
/** What the rule's series becomes when the query fails (Grafana execErrState). */
export type ExecErrState = 'Alerting' | 'Error' | 'OK' | 'KeepLast';

/** One validated alert rule. */
export interface Rule {
  name: string;
  condition: Condition;
  forMs: number;
  keepFiringForMs: number;
  severity: string;
  labels: Labels;
  annotations: Record<string, string>;
  noDataState: NoDataState;
  execErrState: ExecErrState;
  /** Unit of the value, for display: ms, s, ratio or empty. */
  unit: string;
}

/** A label matcher as in Alertmanager: =, !=, =~, !~. */
export interface Matcher {
  name: string;
  type: '=' | '!=' | '=~' | '!~';
  value: string;
}

/** One route: which alerts go to which receivers, and how they are grouped and timed. */
export interface Route {
  matchers: Matcher[];
  receivers: string[];
  groupBy: string[] | '...';
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
  continue: boolean;
}

/** An inhibition rule: a firing source mutes targets with equal values of the `equal` labels. */
export interface InhibitRule {
  sourceMatchers: Matcher[];
  targetMatchers: Matcher[];
  equal: string[];
}

/** A receiver definition. */
export type ReceiverConfig =
  | { name: string; type: 'slack'; webhookUrl: string; minIntervalMs: number }
  | { name: string; type: 'webhook'; url: string; secret: string; maxAlerts: number; timeoutMs: number }
  | { name: string; type: 'alertmanager'; url: string; resendIntervalMs: number; timeoutMs: number };

/** Retry policy for deliveries. */
export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  maxElapsedMs: number;
  /** Fraction of the delay drawn at random (0..1). */
  jitter: number;
}

/** The whole validated alerts.yaml. */
export interface AlertsFile {
  file: string;
  rules: Rule[];
  routes: Route[];
  inhibitRules: InhibitRule[];
  receivers: ReceiverConfig[];
  retry: RetryPolicy;
}

/** Alert series states. */
export type SeriesStateName = 'inactive' | 'pending' | 'firing' | 'resolved' | 'nodata' | 'error';

/** State of one series (one label set) of one rule. */
export interface SeriesState {
  fingerprint: string;
  /** Full alert labels: series labels, rule labels, alertname, severity. */
  labels: Labels;
  annotations: Record<string, string>;
  state: SeriesStateName;
  value: number | null;
  threshold: number | null;
  /** When the condition started holding without interruption (pending/firing). */
  activeAt: number | null;
  /** When the series entered an alerting state (firing, nodata, error). */
  firedAt: number | null;
  /** Last evaluation at which the condition held (keep_firing_for counts from here). */
  lastActiveAt: number | null;
  resolvedAt: number | null;
  lastEvalAt: number;
  /** When the state last changed. */
  since: number;
  error: string | null;
}

/** Evaluation state of one rule: its series by fingerprint. */
export interface RuleState {
  series: Record<string, SeriesState>;
}

/** One value returned for one series by a rule's query. */
export interface Sample {
  labels: Labels;
  value: number;
  threshold?: number | null;
  /** Overrides the rule's comparison (the analyzer's own verdict). */
  active?: boolean;
}

/** What a rule's query produced: samples, or an error. */
export type EvalInput = { samples: Sample[] } | { error: string };

/** An alert instance as sent to receivers. */
export interface Alert {
  fingerprint: string;
  rule: string;
  status: 'firing' | 'resolved';
  state: SeriesStateName;
  labels: Labels;
  annotations: Record<string, string>;
  value: number | null;
  threshold: number | null;
  unit: string;
  startsAt: number;
  endsAt: number | null;
  generatorURL: string;
}

/** A state change of a series. */
export interface Transition {
  rule: string;
  fingerprint: string;
  labels: Labels;
  from: SeriesStateName;
  to: SeriesStateName;
  at: number;
  value: number | null;
}

/** A notification-worthy change: a series started or stopped alerting. */
export interface AlertEvent {
  kind: 'firing' | 'resolved';
  alert: Alert;
}

/** A message for one receiver and group. */
export interface Notification {
  receiver: string;
  groupKey: string;
  status: 'firing' | 'resolved';
  groupLabels: Labels;
  commonLabels: Labels;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: Alert[];
}
