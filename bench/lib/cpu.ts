import { readdir, readFile } from 'node:fs/promises';

/** CPU seconds used by each group of processes between two snapshots (a coarse profile of who works). */
export type CpuUse = Record<string, number>;

const TICKS_PER_SECOND = 100;

async function procStat(pid: string): Promise<{ comm: string; ticks: number } | undefined> {
  try {
    const s = await readFile(`/proc/${pid}/stat`, 'utf8');
    const close = s.lastIndexOf(')');
    const comm = s.slice(s.indexOf('(') + 1, close);
    const f = s.slice(close + 2).split(' ');
    // fields after the comm start at state (3); utime is 14, stime 15.
    return { comm, ticks: Number(f[11]) + Number(f[12]) };
  } catch {
    return undefined;
  }
}

/** Busy ticks of the whole machine (every core), from /proc/stat. */
async function machineTicks(): Promise<number> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = line;
  return user! + nice! + system! + irq! + softirq! + steal!;
}

/**
 * Takes a snapshot; `done()` takes another and returns CPU seconds per group: the named pids
 * (`engine`, …), the services by program (postgres, ferretdb, redis-server), and `machine` (all
 * busy time, including the load generator and whatever else runs on the machine).
 */
export async function cpuSampler(named: Record<string, number[]>): Promise<{ done(): Promise<CpuUse> }> {
  const snapshot = async () => {
    const groups: Record<string, number> = { machine: await machineTicks() };
    const byPid = new Map(Object.entries(named).flatMap(([label, pids]) => pids.map((p) => [String(p), label] as const)));
    const pids = (await readdir('/proc')).filter((p) => /^\d+$/.test(p));
    for (const pid of pids) {
      const st = await procStat(pid);
      if (!st) continue;
      const label = byPid.get(pid) ?? (['postgres', 'ferretdb', 'redis-server'].includes(st.comm) ? st.comm : undefined);
      if (label) groups[label] = (groups[label] ?? 0) + st.ticks;
    }
    return groups;
  };
  const first = await snapshot();
  return {
    done: async () => {
      const second = await snapshot();
      const use: CpuUse = {};
      for (const [k, v] of Object.entries(second)) use[k] = Number(((v - (first[k] ?? 0)) / TICKS_PER_SECOND).toFixed(2));
      return use;
    },
  };
}
