/** A CPU profiler of this thread over chosen spans, for the benchmarks' `--profile FILE`. */
import fs from 'node:fs';
import inspector from 'node:inspector';

/**
 * Profiles this thread between resume() and pause(), as often as wanted; save() writes each span
 * as a .cpuprofile file for DevTools (FILE, FILE.2, ...) and returns how many. Node's --cpu-prof
 * would also profile the benchmark's own setup.
 */
export async function profiler(file: string) {
  const session = new inspector.Session();
  session.connect();
  const post = (method: string, params?: object) => new Promise<any>((resolve, reject) => session.post(method, params, (err, r) => (err ? reject(err) : resolve(r))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 500 });
  const parts: any[] = [];
  let running = false;
  return {
    resume: async () => {
      running = true;
      await post('Profiler.start');
    },
    pause: async () => {
      if (running) parts.push((await post('Profiler.stop')).profile);
      running = false;
    },
    save: async (): Promise<number> => {
      parts.forEach((p, i) => fs.writeFileSync(i ? `${file}.${i + 1}` : file, JSON.stringify(p)));
      session.disconnect();
      return parts.length;
    },
  };
}
