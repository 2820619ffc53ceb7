import type { RetentionRun } from '../../engine/store/retention-records.ts';
import { waitFor, type TestEngine } from './harness.ts';

/** Asks for a pruning run through the API (POST /api/retention/runs) and waits until it is done or failed. */
export async function pruneNow(sb: TestEngine): Promise<RetentionRun> {
  const asked = await sb.engine.http!.inject({ method: 'POST', url: '/api/retention/runs', headers: sb.adminHeaders });
  if (asked.statusCode !== 202) throw new Error(`POST /api/retention/runs answered ${asked.statusCode}`);
  const id = asked.json<RetentionRun>()._id;
  return waitFor(
    'the pruning run',
    async () => {
      const run = (await sb.engine.http!.inject({ method: 'GET', url: `/api/retention/runs/${id}`, headers: sb.adminHeaders })).json();
      return run.state === 'done' || run.state === 'failed' ? (run as RetentionRun) : undefined;
    },
    240_000,
  );
}
