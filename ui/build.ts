/**
 * Builds the web UI: ui/src/main.ts (with uPlot and the CSS it imports) bundled by esbuild into
 * ui/dist/app.js and ui/dist/app.css, and ui/dist/index.html pointing at them with content hashes.
 * `node bin/run-ts.mjs ui/build.ts` (npm run build:ui) builds it by hand; `serve` builds it at
 * start-up when the bundle is missing or older than its sources.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The ui/ folder. */
export const UI_DIR = path.dirname(fileURLToPath(import.meta.url));
/** Where the bundle goes by default. */
export const DIST_DIR = path.join(UI_DIR, 'dist');
/** The files a build writes, and the only files the UI routes serve. */
export const DIST_FILES = ['index.html', 'app.js', 'app.css'] as const;

const SRC_DIR = path.join(UI_DIR, 'src');

/** What a build wrote. */
export interface BuildResult {
  outDir: string;
  files: Record<(typeof DIST_FILES)[number], { bytes: number; hash: string }>;
  ms: number;
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p));
    else out.push(p);
  }
  return out;
}

/** Every input of the bundle: the UI sources, this script, and uPlot's package (its version). */
function inputs(): string[] {
  const uplot = path.join(UI_DIR, '..', 'node_modules', 'uplot', 'package.json');
  return [...listFiles(SRC_DIR), fileURLToPath(import.meta.url), ...(fs.existsSync(uplot) ? [uplot] : [])];
}

/** True when a file of the bundle is missing or older than one of its inputs. */
export function uiIsStale(outDir = DIST_DIR): boolean {
  let oldestOut = Infinity;
  for (const f of DIST_FILES) {
    try {
      oldestOut = Math.min(oldestOut, fs.statSync(path.join(outDir, f)).mtimeMs);
    } catch {
      return true;
    }
  }
  return inputs().some((f) => fs.statSync(f).mtimeMs > oldestOut);
}

const shortHash = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex').slice(0, 12);

/** Bundles the UI (minified, no source map) into `outDir`; each file is replaced atomically. */
export async function buildUi(opts: { outDir?: string } = {}): Promise<BuildResult> {
  const started = performance.now();
  const outDir = opts.outDir ?? DIST_DIR;
  fs.mkdirSync(outDir, { recursive: true });
  // Loaded on demand: serving an up-to-date bundle needs no bundler.
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: { app: path.join(SRC_DIR, 'main.ts') },
    bundle: true,
    minify: true,
    sourcemap: false,
    format: 'iife',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    platform: 'browser',
    write: false,
    outdir: outDir,
    legalComments: 'eof',
    // uPlot's header comment is not a legal comment to esbuild: name its licence here.
    banner: { js: '/*! modelwatch web UI. Includes uPlot, MIT License, Copyright (c) 2022 Leon Sorokin. */' },
    logLevel: 'silent',
  });
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'));
  const css = result.outputFiles.find((f) => f.path.endsWith('.css'));
  if (!js || !css) throw new Error(`esbuild produced ${result.outputFiles.map((f) => path.basename(f.path)).join(', ')}; expected app.js and app.css`);
  const jsHash = shortHash(js.contents);
  const cssHash = shortHash(css.contents);
  // The hashes in the asset URLs let the server mark them immutable: a new build gets new URLs.
  const html = fs.readFileSync(path.join(SRC_DIR, 'index.html'), 'utf8')
    .replace('{{js}}', `ui/app.js?v=${jsHash}`)
    .replace('{{css}}', `ui/app.css?v=${cssHash}`);
  const contents: Record<string, Uint8Array | string> = { 'app.js': js.contents, 'app.css': css.contents, 'index.html': html };
  // Assets first, the page last, so a page never names assets that are not there yet.
  for (const name of ['app.js', 'app.css', 'index.html']) {
    const tmp = path.join(outDir, `.${name}.${process.pid}.tmp`);
    fs.writeFileSync(tmp, contents[name]);
    fs.renameSync(tmp, path.join(outDir, name));
  }
  const size = (name: string) => Buffer.byteLength(contents[name] as string | Uint8Array);
  return {
    outDir,
    files: {
      'index.html': { bytes: size('index.html'), hash: shortHash(html) },
      'app.js': { bytes: size('app.js'), hash: jsHash },
      'app.css': { bytes: size('app.css'), hash: cssHash },
    },
    ms: Math.round(performance.now() - started),
  };
}

/** Builds the bundle when it is missing or stale; returns the build, or null when it was current. */
export async function ensureUi(opts: { outDir?: string } = {}): Promise<BuildResult | null> {
  if (!uiIsStale(opts.outDir)) return null;
  return buildUi(opts);
}

// `node bin/run-ts.mjs ui/build.ts`: build now and say what was written.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = await buildUi();
  for (const [name, f] of Object.entries(r.files)) process.stdout.write(`${path.relative(process.cwd(), path.join(r.outDir, name))}  ${(f.bytes / 1024).toFixed(1)} KiB\n`);
  process.stdout.write(`built in ${r.ms} ms\n`);
}
