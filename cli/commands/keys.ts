import type { Command } from 'commander';
import YAML from 'yaml';
import { generateKey, hashKey, KEY_ID } from '../../collector/auth/keys.ts';
import { fail, loadCliConfig, openStore, createLogger, withStorageOptions, type CommonOptions } from '../context.ts';

interface CreateOptions extends CommonOptions {
  id: string;
  tenant: string[];
  models?: string;
  access: string;
  store?: boolean;
  comment?: string;
}

const list = (v: string | undefined): string[] => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);

/** Registers `modelwatch keys create|list|revoke`. */
export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('API keys for the collector and the read API (see docs/security.md)');

  withStorageOptions(
    keys
      .command('create')
      .description('generate a key: prints it once, with the config snippet holding its hash (or stores the hash with --store)')
      .requiredOption('--id <id>', "key id: letters, digits and '-'")
      .option('--tenant <name>', 'tenant whose models the key may reach (repeatable); none and no --models = every model', (v: string, prev: string[]) => [...prev, v], [] as string[])
      .option('--models <patterns>', "comma-separated model names or globs (e.g. 'fraud-*')")
      .option('--access <list>', 'read, write or read,write', 'read,write')
      .option('--store', 'insert the hash into the api_keys table (collectors with auth.table: true accept it)')
      .option('--comment <text>', 'note kept with a stored key'),
  ).action(async (o: CreateOptions) => {
    if (!KEY_ID.test(o.id)) fail(new Error(`--id ${JSON.stringify(o.id)}: letters, digits and '-' only, at most 64`));
    const access = list(o.access);
    if (access.length === 0 || access.some((a) => a !== 'read' && a !== 'write')) fail(new Error(`--access ${JSON.stringify(o.access)}: expected read, write or read,write`));
    const models = list(o.models);
    const config = loadCliConfig(o);
    const unknown = o.tenant.filter((t) => !(t in config.auth.tenants));
    if (unknown.length) process.stderr.write(`warning: tenant(s) ${unknown.join(', ')} not defined under auth.tenants in this config: the key reaches no model through them until they are\n`);
    const key = generateKey(o.id);
    const hash = hashKey(key);
    const entry = { id: o.id, hash, ...(o.tenant.length ? { tenants: o.tenant } : {}), ...(models.length ? { models } : {}), access };
    if (o.store) {
      const store = await openStore(config, createLogger({ ...config, log: { ...config.log, level: 'warn' } })).catch(fail);
      try {
        await store.insert('api_keys', [{ id: o.id, hash, tenants: o.tenant, models, access, revoked: 0, comment: o.comment ?? '', ver: Date.now() }]);
      } catch (err) {
        fail(err);
      } finally {
        await store.close();
      }
    }
    process.stdout.write(`# API key "${o.id}" (shown once: only its hash is kept)\n${key}\n\n`);
    if (o.store) process.stdout.write('# stored in the api_keys table; collectors with auth.table: true accept it at once\n');
    else process.stdout.write(`# add to the config file:\n${YAML.stringify({ auth: { keys: [entry] } })}`);
  });

  withStorageOptions(keys.command('list').description('list the keys stored in the api_keys table (ids and scopes, never secrets)')).action(async (o: CommonOptions) => {
    const config = loadCliConfig(o);
    const store = await openStore(config, createLogger({ ...config, log: { ...config.log, level: 'warn' } })).catch(fail);
    try {
      const rows = await store.query<{ id: string; tenants: string[]; models: string[]; access: string[]; revoked: number; comment: string }>(
        `SELECT id, argMax(tenants, ver) AS tenants, argMax(models, ver) AS models, argMax(access, ver) AS access,
                argMax(revoked, ver) AS revoked, argMax(comment, ver) AS comment
         FROM ${store.t('api_keys')} GROUP BY id ORDER BY id`,
      );
      for (const r of rows) {
        process.stdout.write(`${r.id}\t${Number(r.revoked) ? 'revoked' : 'active'}\taccess=${r.access.join(',')}\ttenants=${r.tenants.join(',') || '-'}\tmodels=${r.models.join(',') || '-'}${r.comment ? `\t# ${r.comment}` : ''}\n`);
      }
      const configured = config.auth.keys.map((k) => k.id);
      if (configured.length) process.stdout.write(`(in the config file: ${configured.join(', ')})\n`);
    } finally {
      await store.close();
    }
  });

  withStorageOptions(keys.command('revoke').description('revoke a key stored in the api_keys table').requiredOption('--id <id>', 'key id')).action(async (o: CommonOptions & { id: string }) => {
    const config = loadCliConfig(o);
    const store = await openStore(config, createLogger({ ...config, log: { ...config.log, level: 'warn' } })).catch(fail);
    try {
      const rows = await store.query<{ hash: string; tenants: string[]; models: string[]; access: string[]; comment: string }>(
        `SELECT argMax(hash, ver) AS hash, argMax(tenants, ver) AS tenants, argMax(models, ver) AS models, argMax(access, ver) AS access, argMax(comment, ver) AS comment
         FROM ${store.t('api_keys')} WHERE id = {id:String} GROUP BY id`,
        { id: o.id },
      );
      if (rows.length === 0) fail(new Error(`no key ${JSON.stringify(o.id)} in the api_keys table (keys in the config file are revoked by removing them)`));
      await store.insert('api_keys', [{ id: o.id, ...rows[0], revoked: 1, ver: Date.now() }]);
      process.stdout.write(`revoked ${o.id}; collectors drop it at their next reload (auth.refreshMs)\n`);
    } finally {
      await store.close();
    }
  });
}
