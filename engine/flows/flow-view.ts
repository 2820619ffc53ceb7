import type { FlowStatus, StepKind, StepStatus } from './flow-states.ts';

/**
 * What the flows API answers (engine/http/flows.routes.ts), shared with the console
 * (admin-ui/src/pages/flows.tsx, flow-instance.tsx). Dates are ISO strings. Request and output
 * values are masked (`***`) for a viewer without the PHI permission.
 */

/** A flow as deployed: its steps as a graph, and how its instances stand. */
export interface FlowView {
  id: string;
  version: number;
  description: string;
  trigger: { channelId: string; model: string };
  steps: {
    id: string;
    kind: StepKind;
    description?: string;
    dependsOn: string[];
    /** The connector kind it calls (none for `map`). */
    connector?: string;
    compensates: boolean;
  }[];
  /** Instances by status, and the creation time of the oldest one not settled (running or stalled). */
  counts: Record<FlowStatus, number>;
  oldestUnsettledAt?: string;
  /** Instances created in the last 24 hours, and how many of them completed (the dashboard's completion rate). */
  last24h: { started: number; completed: number };
}

/** A step of an instance in a list (no content). */
export interface StepSummary {
  status: StepStatus;
  attempts: number;
  /** When a `retrying` step tries again. */
  nextAttemptAt?: string;
  /** The last failure: a catalog code and a detail with no patient data. */
  error?: { code: string; detail: string };
  /** Why an operator skipped it. */
  reason?: string;
}

/** One instance in the list of `GET /api/flows/instances`. */
export interface InstanceSummary {
  id: string;
  flowId: string;
  flowVersion: number;
  messageId: string;
  channelId: string;
  status: FlowStatus;
  createdAt: string;
  updatedAt: string;
  steps: Record<string, StepSummary>;
}

/** A step of one instance in full (`GET /api/flows/instances/:id`). */
export interface StepDetail extends StepSummary {
  /** The request its last attempt sent, and what the peer answered (or the mapping gave). */
  request?: Record<string, unknown>;
  output?: Record<string, unknown>;
  startedAt?: string;
  durationMs?: number;
  /** Its compensation's last failure, after an abort. */
  compensationError?: { code: string; detail: string };
}

export interface InstanceDetail extends Omit<InstanceSummary, 'steps'> {
  steps: Record<string, StepDetail>;
  /** The flow as this instance runs it (its version). */
  flow: FlowView;
  /** Set once an operator aborted it. */
  abort?: { by: string; reason: string; at: string };
  /** What the viewer may do (support and admin with `flows:operate`). */
  canOperate: boolean;
  /** Whether values are shown unmasked. */
  phi: boolean;
}

/** `POST …/steps/:step/retry` with `dryRun: true`: the request the retry would send beside the last one sent. */
export interface RetryPreview {
  before?: Record<string, unknown>;
  after: Record<string, unknown>;
  changes: { field: string; before?: unknown; after?: unknown }[];
}
