import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** Where Debian's package puts the binary. */
export const ALERTMANAGER_BIN = '/usr/bin/prometheus-alertmanager';

/** A running Alertmanager. */
export interface AlertmanagerService {
  url: string;
  /** GET /api/v2/alerts (all alerts, active or not, unless filtered). */
  alerts(query?: string): Promise<any[]>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Installs prometheus-alertmanager with apt-get when running as root; otherwise says how. */
export function ensureAlertmanager(): void {
  if (fs.existsSync(ALERTMANAGER_BIN)) return;
  if (process.getuid?.() === 0) {
    const r = spawnSync('apt-get', ['install', '-y', 'prometheus-alertmanager'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (r.status === 0 && fs.existsSync(ALERTMANAGER_BIN)) return;
  }
  throw new Error(`${ALERTMANAGER_BIN} not found: run "sudo apt-get install -y prometheus-alertmanager"`);
}

/** Starts Alertmanager on a free loopback port with a temp config and storage, gossip disabled. */
export async function startAlertmanager(): Promise<AlertmanagerService> {
  ensureAlertmanager();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-am-'));
  fs.writeFileSync(path.join(dir, 'alertmanager.yml'), [
    'route:',
    "  receiver: 'null'",
    '  group_wait: 1s',
    'receivers:',
    "  - name: 'null'",
    '',
  ].join('\n'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(ALERTMANAGER_BIN, [
    `--config.file=${path.join(dir, 'alertmanager.yml')}`,
    `--storage.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--cluster.listen-address=',
    '--log.level=warn',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => { stderr = (stderr + c.toString()).slice(-4000); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Ready when /-/ready answers 200 (polled; the process is given 30 s to come up).
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`alertmanager exited with ${child.exitCode}: ${stderr}`);
    try {
      const res = await fetch(`${url}/-/ready`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (i > 300) {
      child.kill('SIGKILL');
      throw new Error(`alertmanager did not become ready: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    async alerts(query = '') {
      const res = await fetch(`${url}/api/v2/alerts${query ? `?${query}` : ''}`);
      if (!res.ok) throw new Error(`GET /api/v2/alerts: ${res.status}`);
      return (await res.json()) as any[];
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
