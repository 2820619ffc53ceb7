import type { FlowView, StepDetail } from '../flow-types.ts';
import { when } from '../ui.tsx';

type FlowStep = FlowView['steps'][number];

/** The steps in columns by depth: a step with no dependency in the first, any other one column after its deepest dependency. */
function layers(steps: readonly FlowStep[]): FlowStep[][] {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const depths = new Map<string, number>();
  const depth = (s: FlowStep): number => {
    let d = depths.get(s.id);
    if (d === undefined) {
      d = Math.max(-1, ...s.dependsOn.map((id) => (byId.has(id) ? depth(byId.get(id)!) : -1))) + 1;
      depths.set(s.id, d);
    }
    return d;
  };
  const columns: FlowStep[][] = [];
  for (const s of steps) (columns[depth(s)] ??= []).push(s);
  return columns.filter(Boolean);
}

/** One step's box: its status as a word and a colour, attempts, and what an operator needs to know of its state. */
function StepBox({ step, s }: { step: FlowStep; s: StepDetail | undefined }) {
  const status = s?.status ?? 'waiting';
  return (
    <li class={`step-box step-${status}`} data-testid={`step-${step.id}`} data-status={status}>
      <strong class="step-name">{step.id}</strong>
      <span class="step-status">{status}</span>
      <span class="muted">
        {step.kind}
        {step.connector && ` · ${step.connector}`}
        {s && s.attempts > 0 && ` · ${s.attempts} ${s.attempts === 1 ? 'attempt' : 'attempts'}`}
      </span>
      {step.dependsOn.length > 0 && <span class="muted">after {step.dependsOn.join(', ')}</span>}
      {status === 'retrying' && s?.nextAttemptAt && <span>next attempt {when(s.nextAttemptAt)}</span>}
      {s?.error && status !== 'done' && (
        <span class="step-error">
          <code>{s.error.code}</code> {s.error.detail}
        </span>
      )}
      {s?.reason && <span>skipped: {s.reason}</span>}
      {s?.compensationError && (
        <span class="step-error">
          compensation failed: <code>{s.compensationError.code}</code> {s.compensationError.detail}
        </span>
      )}
    </li>
  );
}

/**
 * An instance's steps as a graph, layered by `dependsOn` (columns left to right), each step a box
 * coloured by its status (the status is also written: the colour only repeats it).
 */
export function StepGraph({ flow, steps }: { flow: FlowView; steps: Record<string, StepDetail> }) {
  return (
    <ol class="step-graph" aria-label="Steps, in columns by dependency">
      {layers(flow.steps).map((column, i) => (
        <li class="step-column">
          <span class="sr-only">Stage {i + 1}</span>
          <ol>
            {column.map((step) => (
              <StepBox step={step} s={steps[step.id]} />
            ))}
          </ol>
        </li>
      ))}
    </ol>
  );
}
