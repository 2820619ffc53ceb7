import type { FlowDefinition, FlowStepDefinition, FlowValue } from './flow-schema.ts';
import { FlowStatus, StepStatus } from './flow-states.ts';

/** A step of one flow instance as the store keeps it (ids and states; its output is content, sealed like a message's). */
export interface StepState {
  status: StepStatus;
  /** Attempts that reached (or may have reached) the peer. */
  attempts: number;
  /** What the step returned (its declared outputs are read by later steps). */
  output?: Record<string, unknown>;
  /** The last failure's catalog code and a PHI-free detail. */
  error?: { code: string; detail: string };
  /** Why an operator skipped it. */
  reason?: string;
  /** The request its last attempt sent (content, sealed like the output). */
  request?: Record<string, unknown>;
  /** When its last attempt started, and how long it took. */
  startedAt?: Date;
  durationMs?: number;
  /** When a `retrying` step tries again. */
  nextAttemptAt?: Date;
  /** Its compensation's last failure, after an abort. */
  compensationError?: { code: string; detail: string };
}

export type StepStates = Readonly<Record<string, StepState>>;

/**
 * Pure planning of one flow instance (no I/O): the step runner asks it what may run, the store
 * records what ran. The rules (issue 24):
 * - a step runs once every step it depends on is done or skipped;
 * - a dead step parks the steps that depend on it, directly or not; the flow's other branches go on;
 * - retrying a dead step sets its parked dependents waiting again;
 * - aborting runs the compensations of the done steps in reverse dependency order.
 */
export function initialSteps(flow: FlowDefinition): Record<string, StepState> {
  return Object.fromEntries(flow.steps.map((s) => [s.id, { status: StepStatus.waiting, attempts: 0 }]));
}

/** The steps that may start now: waiting, with every dependency done or skipped. */
export function readySteps(flow: FlowDefinition, steps: StepStates): string[] {
  const passed = (id: string) => steps[id]?.status === StepStatus.done || steps[id]?.status === StepStatus.skipped;
  return flow.steps.filter((s) => steps[s.id]?.status === StepStatus.waiting && s.dependsOn.every(passed)).map((s) => s.id);
}

/**
 * The steps to park now: waiting ones that depend on a dead step, directly or through steps that
 * have not passed (a done or skipped step lets its dependents go on, whatever came before it).
 */
export function stepsToPark(flow: FlowDefinition, steps: StepStates): string[] {
  const passed = (id: string) => steps[id]?.status === StepStatus.done || steps[id]?.status === StepStatus.skipped;
  const blocked = new Set<string>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const s of flow.steps) {
      if (blocked.has(s.id) || passed(s.id)) continue;
      if (s.dependsOn.some((d) => steps[d]?.status === StepStatus.dead || blocked.has(d))) {
        blocked.add(s.id);
        grew = true;
      }
    }
  }
  return flow.steps.filter((s) => blocked.has(s.id) && steps[s.id]?.status === StepStatus.waiting).map((s) => s.id);
}

/** The parked steps to set waiting again once `retried` is no longer dead (those it blocked, and no other dead step blocks). */
export function stepsToUnpark(flow: FlowDefinition, steps: StepStates, retried: string): string[] {
  const after = { ...steps, [retried]: { ...steps[retried]!, status: StepStatus.waiting } };
  const stillBlocked = new Set(stepsToPark(flow, { ...after, ...parkedAsWaiting(flow, after) }));
  return flow.steps.filter((s) => steps[s.id]?.status === StepStatus.parked && !stillBlocked.has(s.id)).map((s) => s.id);
}

function parkedAsWaiting(flow: FlowDefinition, steps: StepStates): Record<string, StepState> {
  return Object.fromEntries(
    flow.steps.filter((s) => steps[s.id]?.status === StepStatus.parked).map((s) => [s.id, { ...steps[s.id]!, status: StepStatus.waiting }]),
  );
}

/** The state of an instance not aborted, from its steps (an abort is the operator's: FlowOperations.abort). */
export function flowStatus(flow: FlowDefinition, steps: StepStates): FlowStatus {
  const states = flow.steps.map((s) => steps[s.id]?.status ?? StepStatus.waiting);
  if (states.every((s) => s === StepStatus.done || s === StepStatus.skipped)) return FlowStatus.completed;
  if (states.some((s) => s === StepStatus.dead)) return FlowStatus.stalled;
  return FlowStatus.running;
}

/** The done steps that have a compensation, latest first: each before every step it depends on. */
export function compensationOrder(flow: FlowDefinition, steps: StepStates): string[] {
  const order = topologicalOrder(flow.steps);
  return order.reverse().filter((id) => steps[id]?.status === StepStatus.done && flow.steps.find((s) => s.id === id)?.compensation);
}

/** Step ids so that each comes after every step it depends on (the steps form no cycle: validateFlow). */
export function topologicalOrder(steps: readonly FlowStepDefinition[]): string[] {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (id: string) => {
    if (seen.has(id)) return;
    seen.add(id);
    for (const d of byId.get(id)?.dependsOn ?? []) visit(d);
    out.push(id);
  };
  for (const s of steps) visit(s.id);
  return out;
}

/**
 * A step's request from the triggering event and the outputs of the steps before it: each value a
 * literal, or the value at a reference (`event.<path>`, `steps.<id>.<field>`; absent when the event
 * or the output has none, so a skipped step's fields are simply left out). A dotted field names a
 * nested one: `name.formatted` sets `{ name: { formatted } }` (validateFlow refuses a field that is
 * also the object of another, and empty names).
 */
export function resolveRequest(
  request: Readonly<Record<string, FlowValue>>,
  event: Record<string, unknown>,
  steps: StepStates,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, v] of Object.entries(request)) {
    const value = 'value' in v ? structuredClone(v.value) : valueAt(v.ref, event, steps);
    if (value !== undefined) setAt(out, field.split('.'), value);
  }
  return out;
}

/** Sets `value` at `path` in `target`, making the objects on the way; own properties only (`__proto__` is a plain key). */
function setAt(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = Object.hasOwn(node, key) ? node[key] : undefined;
    if (next && typeof next === 'object' && !Array.isArray(next)) {
      node = next as Record<string, unknown>;
    } else {
      const made: Record<string, unknown> = {};
      define(node, key, made);
      node = made;
    }
  }
  define(node, path[path.length - 1]!, value);
}

function define(node: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(node, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Whether a step with a `when` runs: the value at its `ref` is one of `oneOf` (compared as text),
 * and a number below `below`'s when that is given. A step without `when` always runs.
 */
export function whenHolds(step: FlowStepDefinition, event: Record<string, unknown>, steps: StepStates): boolean {
  const w = step.when;
  if (!w) return true;
  const value = valueAt(w.ref, event, steps);
  if (w.oneOf && !w.oneOf.includes(String(value))) return false;
  if (w.below) {
    const limit = 'value' in w.below ? w.below.value : valueAt(w.below.ref, event, steps);
    if (typeof value !== 'number' || typeof limit !== 'number' || !(value < limit)) return false;
  }
  return true;
}

/** The value a reference names, or undefined. */
export function valueAt(ref: string, event: Record<string, unknown>, steps: StepStates): unknown {
  const [root, ...rest] = ref.split('.');
  if (root === 'event') return walk(event, rest);
  const [stepId, ...field] = rest;
  return walk(steps[stepId!]?.output, field);
}

function walk(value: unknown, path: readonly string[]): unknown {
  let node = value;
  for (const key of path) {
    if (!node || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}
