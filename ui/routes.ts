/**
 * Fastify plugin serving the built web UI: `/` (index.html) and `/ui/app.js`, `/ui/app.css`.
 * A fixed whitelist of three files, so no request path ever reaches the file system; hand-written
 * because @fastify/static is not a dependency and three files need none of its features.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DIST_DIR } from './build.ts';

/** Options of the UI routes. */
export interface UiRoutesOptions {
  /** Folder holding the bundle (default ui/dist). */
  distDir?: string;
}

const TYPES = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
} as const;
type UiFile = keyof typeof TYPES;

/**
 * The page may load only its own script and stylesheet and talk only to this server; uPlot sets
 * element styles from script, which style-src does not restrict.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

interface Cached { mtimeMs: number; size: number; body: Buffer; etag: string }

/** Serves the UI bundle; until it is built, `/` answers 503 with how to build it. */
export async function uiRoutes(app: FastifyInstance, opts: UiRoutesOptions): Promise<void> {
  const dir = opts.distDir ?? DIST_DIR;
  const cache = new Map<UiFile, Cached>();

  // Re-read only when the file changed on disk (a rebuild while serving), else serve from memory.
  function load(name: UiFile): Cached | null {
    const file = path.join(dir, name);
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch {
      return null;
    }
    const hit = cache.get(name);
    if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit;
    const body = fs.readFileSync(file);
    const entry = { mtimeMs: st.mtimeMs, size: st.size, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
    cache.set(name, entry);
    return entry;
  }

  function send(name: UiFile, req: FastifyRequest, reply: FastifyReply, immutable: boolean): FastifyReply {
    const f = load(name);
    if (!f) {
      if (name !== 'index.html') return reply.code(404).type('text/plain; charset=utf-8').send('not found');
      return reply.code(503).type('text/plain; charset=utf-8').header('cache-control', 'no-store')
        .send('The web UI is not built. Run `npm run build:ui` (serve builds it at start-up when esbuild is installed).');
    }
    reply
      .header('content-type', TYPES[name])
      .header('x-content-type-options', 'nosniff')
      .header('etag', f.etag)
      // Hashed asset URLs never change content; the page itself is revalidated on every load.
      .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    if (name === 'index.html') {
      reply.header('content-security-policy', CONTENT_SECURITY_POLICY).header('x-frame-options', 'DENY').header('referrer-policy', 'no-referrer');
    }
    if (req.headers['if-none-match'] === f.etag) return reply.code(304).send();
    return reply.send(f.body);
  }

  // The page and its assets carry no data: they load without a key (the API calls carry it).
  const open = { config: { auth: 'open' } };
  app.get('/', open, (req, reply) => send('index.html', req, reply, false));
  app.get('/index.html', open, (req, reply) => send('index.html', req, reply, false));
  app.get<{ Params: { file: string }; Querystring: { v?: string } }>('/ui/:file', open, (req, reply) => {
    const name = req.params.file;
    if (name !== 'app.js' && name !== 'app.css') return reply.code(404).type('text/plain; charset=utf-8').send('not found');
    return send(name, req, reply, typeof req.query.v === 'string' && req.query.v.length > 0);
  });
  // Alert notifications link to /alerts?rule=...: show the alerts page.
  app.get('/alerts', open, (_req, reply) => reply.redirect('./#/alerts', 302));
}
