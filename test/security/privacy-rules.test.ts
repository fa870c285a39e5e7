import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config/load.ts';
import type { Config } from '../../core/config/schema.ts';
import { bucketLabel, compilePrivacy, withKeyRead, type PrivacyPolicy } from '../../collector/privacy/policy.ts';
import { redactPrediction, redactRawText } from '../../collector/privacy/apply.ts';
import { jsonErrorMessage } from '../../collector/privacy/messages.ts';
import { parsePredictionsBody } from '../../collector/predictions/json.ts';
import { globToRegExp } from '../../collector/privacy/glob.ts';

const KEY = 'k'.repeat(40);
const privacy = (p: Partial<Config['privacy']>): Config['privacy'] => ({ rules: [], hmacKeyFile: '', hmacKey: '', ...p });
const policy = (rules: Config['privacy']['rules']) => compilePrivacy(privacy({ rules, hmacKey: KEY })) as PrivacyPolicy;

describe('privacy rules: start-up validation', () => {
  it('no rules, no policy', () => {
    expect(compilePrivacy(privacy({}))).toBeNull();
  });

  it('a hash rule without a key stops start-up, naming the rule and where the key goes', () => {
    expect(() => compilePrivacy(privacy({ rules: [{ feature: 'email', action: 'drop' }, { feature: 'ssn', action: 'hash' }] }))).toThrow(
      expect.objectContaining({
        code: 'MW_ERR_CONFIG_INVALID',
        message: expect.stringContaining('privacy.rules[1].action: got "hash", expected privacy.hmacKeyFile or MODELWATCH_PRIVACY_HMAC_KEY to be set'),
      }),
    );
  });

  it('refuses a short key without showing it, an unreadable key file, and bad buckets', () => {
    let err: Error | undefined;
    try {
      compilePrivacy(privacy({ rules: [{ feature: 'a', action: 'hash' }], hmacKey: 'short-secret' }));
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).toContain('privacy.hmacKey: got "(12 bytes, not shown)", expected an HMAC key of at least 32 bytes');
    expect(err?.message).not.toContain('short-secret');
    expect(() => compilePrivacy(privacy({ rules: [{ feature: 'a', action: 'hash' }], hmacKeyFile: '/nonexistent/key' }))).toThrow(/privacy\.hmacKeyFile: got "\/nonexistent\/key", expected a readable file holding the HMAC key \(ENOENT\)/);
    expect(() => policy([{ feature: 'age', action: 'bucketize' }])).toThrow(/privacy\.rules\[0\]\.buckets: got undefined, expected at least one bucket bound/);
    expect(() => policy([{ feature: 'age', action: 'bucketize', buckets: [0, 30, 18] }])).toThrow(/strictly increasing/);
    expect(() => policy([{ feature: 'age', action: 'drop', buckets: [1] }])).toThrow(/only bucketize takes them/);
  });

  it('reads the key from a file (trailing newline ignored) or from MODELWATCH_PRIVACY_HMAC_KEY', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-key-'));
    try {
      const file = path.join(dir, 'hmac.key');
      fs.writeFileSync(file, KEY + '\n');
      const fromFile = compilePrivacy(privacy({ rules: [{ feature: 'a', action: 'hash' }], hmacKeyFile: file }))!;
      const expected = createHmac('sha256', KEY).update('v').digest('hex').slice(0, 32);
      expect(fromFile.hash('v')).toBe(expected);
      // What decode threads get: the key read once, so a thread started later needs no file.
      const read = withKeyRead(privacy({ rules: [{ feature: 'a', action: 'hash' }], hmacKeyFile: file }));
      expect(read.hmacKeyFile).toBe('');
      fs.rmSync(file);
      expect(compilePrivacy(read)!.hash('v')).toBe(expected);
      const cfg = loadConfig({ env: { MODELWATCH_PRIVACY_HMAC_KEY: KEY }, overrides: { 'privacy.rules': [{ feature: 'a', action: 'hash' }] } });
      expect(compilePrivacy(cfg.privacy)!.hash('v')).toBe(expected);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('privacy rules: decisions', () => {
  it('labels buckets [lo,hi) with open ends', () => {
    const b = [0, 18, 30, 65];
    expect([-1, 0, 17.9, 18, 29, 30, 64.99, 65, 120].map((v) => bucketLabel(v, b))).toEqual([
      '(-inf,0)', '[0,18)', '[0,18)', '[18,30)', '[18,30)', '[30,65)', '[30,65)', '[65,+inf)', '[65,+inf)',
    ]);
    expect(bucketLabel(5, [10])).toBe('(-inf,10)');
    expect(bucketLabel(0.5, [0.25, 0.75])).toBe('[0.25,0.75)');
  });

  it('matches exact names and globs; the first matching rule wins; a model filter applies only to its models', () => {
    expect(globToRegExp('geo_*').test('geo_lat')).toBe(true);
    expect(globToRegExp('geo_*').test('xgeo_lat')).toBe(false);
    expect(globToRegExp('a.b?').test('a.bc')).toBe(true);
    expect(globToRegExp('a.b?').test('axbc')).toBe(false);
    const p = policy([
      { feature: 'income', models: ['bank-*'], action: 'drop' },
      { feature: 'inc*', action: 'hash' },
    ]);
    expect(p.ruleFor('bank-1', 'income')?.action).toBe('drop');
    expect(p.ruleFor('shop-1', 'income')?.action).toBe('hash');
    expect(p.ruleFor('shop-1', 'other')).toBeNull();
    // A record naming no model: every rule for the feature applies, the first one first.
    expect(p.ruleFor('', 'income')?.action).toBe('drop');
  });

  it('redacts a prediction row in place and leaves other features alone', () => {
    const p = policy([
      { feature: 'email', action: 'drop' },
      { feature: 'zip', action: 'hash' },
      { feature: 'age', action: 'bucketize', buckets: [18, 65] },
    ]);
    const row = {
      model: 'm', features_num: { age: 70, zip: 10115, x: 1 }, features_cat: { email: 'a@b', c: 'red' }, features_null: ['email', 'y'], attributes: { 'ml.feature.age': '12', 'ml.feature.email': 'a@b', other: '1' },
    };
    redactPrediction(p, row as never);
    expect(row.features_num).toEqual({ x: 1 });
    expect(row.features_cat).toEqual({ c: 'red', age: '[65,+inf)', zip: p.hash('10115') });
    expect(row.features_null).toEqual(['y']);
    expect(row.attributes).toEqual({ 'ml.feature.age': '(-inf,18)', other: '1' });
  });
});

describe('privacy: text that leaves the collector', () => {
  const p = policy([{ feature: 'email', action: 'drop' }, { feature: 'ssn', action: 'hash' }]);

  it('redacts payloads kept as text (flat JSON, NDJSON, OTLP/JSON) and withholds what cannot be parsed', () => {
    const flat = JSON.parse(redactRawText(p, JSON.stringify({ model: 'm', features: { email: 'a@b.c', ssn: '1', x: 2 }, attributes: { 'ml.feature.email': 'a@b.c' } })));
    expect(flat).toEqual({ model: 'm', features: { ssn: p.hash('1'), x: 2 }, attributes: {} });
    const nd = redactRawText(p, '{"features":{"email":"a@b.c"}}\n{"features":{"ssn":"1"}}');
    expect(nd.split('\n').map((l) => JSON.parse(l))).toEqual([{ features: {} }, { features: { ssn: p.hash('1') } }]);
    const otlp = JSON.parse(redactRawText(p, JSON.stringify({ attributes: [{ key: 'ml.feature.email', value: { stringValue: 'a@b.c' } }, { key: 'ml.feature.ssn', value: { intValue: '1' } }, { key: 'k', value: { stringValue: 'v' } }] })));
    expect(otlp.attributes).toEqual([{ key: 'ml.feature.ssn', value: { stringValue: p.hash('1') } }, { key: 'k', value: { stringValue: 'v' } }]);
    const broken = redactRawText(p, '{"features":{"email":"a@b.c"');
    expect(broken).not.toContain('a@b.c');
    expect(broken).toMatch(/^\[withheld: \d+ bytes that are not JSON/);
  });

  it('JSON parse errors never quote the input', () => {
    const secret = 'alice@example.com';
    const bodies = [`{"email": ${secret}}`, `{"email": "${secret}"`, `{"email": "${secret}" "x": 1}`, `[{"email": "${secret}"},]`];
    for (const b of bodies) {
      let msg = '';
      try {
        JSON.parse(b);
      } catch (e) {
        msg = jsonErrorMessage(e);
      }
      expect(msg).toMatch(/^invalid JSON/);
      expect(msg).not.toContain('alice');
    }
    const parsed = parsePredictionsBody(`{"model":"m","features":{"email":"${secret}" oops}}\n`);
    expect(parsed.rejected).toBe(1);
    expect(parsed.errors.join()).not.toContain('alice');
    expect(() => parsePredictionsBody(`[{"model":"m","features":{"email":"${secret}"}`)).toThrow(/^body is not valid JSON \(invalid JSON/);
    try {
      parsePredictionsBody(`[{"model":"m","features":{"email":"${secret}"} x]`);
    } catch (e) {
      expect((e as Error).message).not.toContain('alice');
    }
  });
});
