/**
 * Preloaded into an engine process by the benchmarks (never by the engine itself) when
 * $BENCH_CPU_PROFILE_FILE is set: the first SIGUSR2 starts the V8 CPU profiler, the second stops it
 * and writes the profile (a .cpuprofile, as `node --cpu-prof` writes) to that file, so the profile
 * covers the measured load only, not the start-up.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

const file = process.env.BENCH_CPU_PROFILE_FILE;
if (file) {
  const session = new Session();
  session.connect();
  let running = false;
  process.on('SIGUSR2', () => {
    void (async () => {
      if (!running) {
        running = true;
        await session.post('Profiler.enable');
        await session.post('Profiler.setSamplingInterval', { interval: 500 });
        await session.post('Profiler.start');
        return;
      }
      running = false;
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(file, JSON.stringify(profile));
    })();
  });
}
