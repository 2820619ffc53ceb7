import { SwitchboardError } from '../errors.ts';
import { applyDataPolicy, DEFAULT_DATA_POLICY } from '../security/data-policy.ts';
import type { CanonicalEvent } from '../store/message-record.ts';
import { canonicalSchema } from '../../transforms/canonical/index.ts';
import type { FlowStepDefinition } from './flow-schema.ts';
import { resolveRequest, whenHolds, type StepStates } from './step-planner.ts';

/** What a step would send now: its request, or nothing when its `when` does not hold. */
export type PlannedRequest = { runs: true; request: Record<string, unknown> } | { runs: false };

/**
 * A step's request (used by the step runner and by a retry's dry run): the triggering event is first
 * cut down to the step's data policy (by default, as for destinations, no direct or indirect
 * identifiers: finance steps see none), then each request field is a literal, a field of that event
 * or an output of an earlier step. CANONICAL_INVALID when the event's model version is unknown.
 */
export function planStepRequest(step: FlowStepDefinition, event: CanonicalEvent, steps: StepStates, pseudonymKey?: Buffer): PlannedRequest {
  const allowed = allowedEvent(step, event, pseudonymKey);
  if (!whenHolds(step, allowed, steps)) return { runs: false };
  return { runs: true, request: resolveRequest(step.request, allowed, steps) };
}

/** A compensation's request: its fields from the event (under the step's data policy) and the outputs of its step and those before. */
export function compensationRequest(step: FlowStepDefinition, event: CanonicalEvent, steps: StepStates, pseudonymKey?: Buffer) {
  return resolveRequest(step.compensation?.request ?? {}, allowedEvent(step, event, pseudonymKey), steps);
}

/** The event as the step's data policy lets the step see it. */
function allowedEvent(step: FlowStepDefinition, event: CanonicalEvent, pseudonymKey?: Buffer): Record<string, unknown> {
  const schema = canonicalSchema(event.model, event.modelVersion);
  if (!schema) throw new SwitchboardError('CANONICAL_INVALID', `no schema for ${event.model} v${event.modelVersion}`);
  return (applyDataPolicy(schema, event.event, step.dataPolicy ?? DEFAULT_DATA_POLICY, pseudonymKey) ?? {}) as Record<string, unknown>;
}
