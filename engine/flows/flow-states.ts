/**
 * The states of a flow instance and of each of its steps (issue 24): named once, shared by the
 * engine, the API and the console.
 */

/** A step's state. */
export const StepStatus = {
  /** Its dependencies are not all done yet. */
  waiting: 'waiting',
  /** Queued or running. */
  running: 'running',
  /** Failed with a transient error; its next attempt is scheduled. */
  retrying: 'retrying',
  done: 'done',
  /** Out of attempts, or refused for good: its dependents are parked, the flow's other branches go on. */
  dead: 'dead',
  /** A dependency is dead or skipped without a reason to go on: it waits for an operator. */
  parked: 'parked',
  /** An operator skipped it, with a reason; its dependents go on without its output. */
  skipped: 'skipped',
  /** Undone by its compensation after the flow was aborted. */
  compensated: 'compensated',
} as const;
export type StepStatus = (typeof StepStatus)[keyof typeof StepStatus];

/** A flow instance's state. */
export const FlowStatus = {
  running: 'running',
  /** Every step done or skipped. */
  completed: 'completed',
  /** A step is dead: the instance waits for an operator (retry, skip, abort). */
  stalled: 'stalled',
  /** An operator aborted it: the compensations of its done steps run, latest first. */
  aborting: 'aborting',
  /** Aborted, its compensations all run. */
  aborted: 'aborted',
} as const;
export type FlowStatus = (typeof FlowStatus)[keyof typeof FlowStatus];

/** What a step does. */
export const StepKind = {
  /** A call to a destination connector (any kind): its answer is the step's output. */
  call: 'call',
  /** A read from a system (an HTTP GET); its answer is kept for later steps. */
  lookup: 'lookup',
  /** A pure mapping of the event and earlier outputs: no I/O, its result is the step's output. */
  map: 'map',
} as const;
export type StepKind = (typeof StepKind)[keyof typeof StepKind];

/** Whether nothing more will happen to a step without an operator. */
export function isSettledStep(s: StepStatus): boolean {
  switch (s) {
    case StepStatus.done:
    case StepStatus.skipped:
    case StepStatus.compensated:
      return true;
    case StepStatus.waiting:
    case StepStatus.running:
    case StepStatus.retrying:
    case StepStatus.dead:
    case StepStatus.parked:
      return false;
    default:
      return s satisfies never;
  }
}
