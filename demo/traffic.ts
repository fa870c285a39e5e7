/**
 * What the simulated model servers see and answer: the checkout context both models score (20
 * features), the shift that the drift phase applies to three of them, predictions and latencies.
 */
import type { Features } from '../sdk/index.ts';
import type { Rng } from './random.ts';

/** The features the drift phase shifts (two numeric, one categorical). */
export const DRIFTED_FEATURES = ['amount', 'account_age_days', 'country'] as const;

/** Every feature of a checkout, in the order the reference file lists them. */
export const FEATURE_NAMES = [
  'amount', 'account_age_days', 'items_in_cart', 'avg_item_price', 'discount_pct', 'session_duration_s', 'pages_viewed',
  'hour_of_day', 'shipping_distance_km', 'failed_logins_24h', 'orders_last_30d', 'time_on_checkout_s', 'device_risk_score',
  'ip_distance_km', 'country', 'payment_method', 'device_type', 'browser', 'channel', 'customer_tier',
] as const;

const COUNTRIES = ['DE', 'FR', 'GB', 'ES', 'IT', 'NL'] as const;
const COUNTRY_WEIGHTS = [30, 20, 20, 10, 10, 10];
// The drift phase: a new market (BR, never seen in the reference) brings most of the traffic.
const DRIFT_COUNTRIES = [...COUNTRIES, 'BR'] as const;
const DRIFT_COUNTRY_WEIGHTS = [...COUNTRY_WEIGHTS.map((w) => w * 0.4), 60];

const round = (x: number, digits = 2): number => Number(x.toFixed(digits));

/**
 * One checkout's features. With `drifted`, the amount is four times larger, accounts are days
 * rather than years old and most customers come from a new country: each shift alone moves its
 * feature far beyond the drift thresholds, even while the window still mixes in steady traffic.
 */
export function checkoutFeatures(rng: Rng, drifted = false): Features {
  const items = 1 + rng.poisson(2);
  const avgPrice = round(rng.logNormal(18, 0.6));
  return {
    amount: round(rng.logNormal(45, 0.8) * (drifted ? 4 : 1)),
    account_age_days: Math.max(0, Math.round(drifted ? rng.logNormal(3, 0.5) : rng.logNormal(400, 0.6))),
    items_in_cart: items,
    avg_item_price: avgPrice,
    discount_pct: round(Math.min(50, Math.max(0, 8 + 6 * rng.normal())), 1),
    session_duration_s: Math.round(rng.logNormal(300, 0.7)),
    pages_viewed: 1 + rng.poisson(7),
    hour_of_day: Math.floor(rng.next() * 24),
    shipping_distance_km: round(rng.logNormal(120, 0.9), 1),
    failed_logins_24h: rng.pick([0, 1, 2, 3], [85, 10, 4, 1]),
    orders_last_30d: rng.poisson(1.5),
    time_on_checkout_s: round(rng.logNormal(60, 0.5), 1),
    device_risk_score: round(Math.min(1, Math.max(0, 0.15 + 0.08 * rng.normal())), 3),
    ip_distance_km: round(rng.logNormal(40, 1), 1),
    country: drifted ? rng.pick(DRIFT_COUNTRIES, DRIFT_COUNTRY_WEIGHTS) : rng.pick(COUNTRIES, COUNTRY_WEIGHTS),
    payment_method: rng.pick(['card', 'paypal', 'klarna', 'giftcard'], [60, 25, 10, 5]),
    device_type: rng.pick(['mobile', 'desktop', 'tablet'], [55, 35, 10]),
    browser: rng.pick(['chrome', 'safari', 'firefox', 'edge'], [50, 30, 12, 8]),
    channel: rng.pick(['web', 'app'], [65, 35]),
    customer_tier: rng.pick(['bronze', 'silver', 'gold', 'platinum'], [50, 30, 15, 5]),
  };
}

/** The fraud score of a checkout (0..1): riskier for new accounts, failed logins and risky devices. */
export function fraudScore(rng: Rng, f: Features): number {
  const age = Number(f.account_age_days);
  const z = -3 + (age < 30 ? 1.5 : 0) + Number(f.failed_logins_24h) * 0.6 + Number(f.device_risk_score) * 3 + 0.4 * rng.normal();
  return round(1 / (1 + Math.exp(-z)), 4);
}

/** The add-on the recommender suggests at checkout, with its score. */
export function recommendation(rng: Rng): { label: string; score: number } {
  const label = rng.pick(['insurance', 'gift-wrap', 'express-shipping', 'accessory', 'none'], [20, 15, 25, 30, 10]);
  return { label, score: round(0.3 + 0.6 * rng.next(), 3) };
}

/**
 * Inference latency in ms, log-normal around `medianMs`: p99 is about 2.3 times the median with
 * sigma 0.35, so a steady server stays far below the alert threshold and a regressed one far above.
 */
export function latencyMs(rng: Rng, medianMs: number): number {
  return round(rng.logNormal(medianMs, 0.35), 3);
}
