import { FlowStatus } from '../../flows/flow-states.ts';
import { FLOWS_COLLECTION } from '../../store/flows.store.ts';
import { pruneEnded, type EndedPruneOptions, type EndedRecords } from './ended-records.ts';

/** Settled instances (completed, aborted) never change again; dated by their last change. */
const SETTLED_INSTANCES: EndedRecords<'flows'> = {
  kind: 'flows',
  collection: FLOWS_COLLECTION,
  ended: [{ status: FlowStatus.completed }, { status: FlowStatus.aborted }],
  endedAt: 'updatedAt',
};

/**
 * The flow instances' part of a pruning run (RETENTION_FLOW_DAYS, the Pruner calls it after the
 * messages and the audit log): deletes the instances that settled (completed or aborted) more than
 * `days` days before `now`, `batch` at a time with the pacer's rest and a heartbeat after each, as
 * the messages' walk does (pruneEnded). Their steps keep the requests and answers they sent and
 * got (content, sealed when encrypting), which must not outlive the figures a hospital chose. An
 * instance still running, stalled or aborting is never pruned: someone still has to act on it.
 * Instances are not archived: the archive holds messages. Gives how many were removed.
 */
export async function pruneFlowInstances(o: EndedPruneOptions): Promise<number> {
  return (await pruneEnded(o, [SETTLED_INSTANCES], { flows: 0 })).flows;
}
