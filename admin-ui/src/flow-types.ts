import type { FlowStatus, StepStatus } from '../../engine/flows/flow-states.ts';
import type { FlowView, InstanceDetail, InstanceSummary, RetryPreview, StepDetail, StepSummary } from '../../engine/flows/flow-view.ts';

/**
 * Shapes of the flows API (engine/http/flows.routes.ts) as the console reads them: the engine's own
 * types (type-only imports: nothing of the engine is bundled), and the statuses the pages list.
 */
export type { FlowStatus, FlowView, InstanceDetail, InstanceSummary, RetryPreview, StepDetail, StepStatus, StepSummary };

/** Every instance status, in the order the filter offers them (a record, so the compiler finds one missing or unknown). */
const FLOW_STATUS: Record<FlowStatus, true> = { running: true, stalled: true, aborting: true, completed: true, aborted: true };
export const FLOW_STATUSES = Object.keys(FLOW_STATUS) as FlowStatus[];

/** Whether a step will still move by itself, so an open instance page reads it again. */
export const isMoving = (s: StepStatus) => s === 'waiting' || s === 'running' || s === 'retrying';

/** Whether an operator may still act on an instance (retry, skip, abort). */
export const isOpen = (s: FlowStatus) => s === 'running' || s === 'stalled';
