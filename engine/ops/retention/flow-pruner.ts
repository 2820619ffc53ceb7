import type { Store } from '../../store/store.ts';
import type { PrunePartOptions } from './pacer.ts';
import { daysBefore } from './retention-rules.ts';

/**
 * The flow instances' part of a pruning run (RETENTION_FLOW_DAYS, the Pruner calls it after the
 * messages and the audit log): deletes the instances that settled (completed or aborted) more than
 * `days` days before `now`, `batch` at a time with the pacer's rest and a heartbeat after each, as
 * the messages' walk does. Their steps keep the requests and answers they sent and got (content, sealed when
 * encrypting), which must not outlive the figures a hospital chose. An instance still running,
 * stalled or aborting is never pruned: someone still has to act on it. Instances are not archived:
 * the archive holds messages. Stops between batches
 * once `stopped()` or the lease is lost. Gives how many were removed; STORE_UNAVAILABLE fails the run.
 */
export async function pruneFlowInstances(o: PrunePartOptions & { store: Pick<Store, 'flows'> }): Promise<number> {
  const before = new Date(daysBefore(o.now, o.days));
  let removed = 0;
  while (!o.stopped()) {
    const ids = await o.store.flows.settledBefore(before, o.batch);
    removed += await o.store.flows.deleteSettled(ids);
    if (ids.length < o.batch) break;
    await o.pacer.rest(true);
    if (!(await o.heartbeat())) break;
  }
  return removed;
}
