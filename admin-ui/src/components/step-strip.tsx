import type { StepSummary } from '../flow-types.ts';

/**
 * An instance's steps in a row of small squares, one per step in the order given, coloured by
 * status; each names its step and status for screen readers and on hover.
 */
export function StepStrip({ steps }: { steps: Record<string, StepSummary> }) {
  return (
    <ol class="step-strip">
      {Object.entries(steps).map(([id, s]) => (
        <li class={`step-${s.status}`} title={`${id}: ${s.status}`}>
          <span class="sr-only">
            {id}: {s.status}
          </span>
        </li>
      ))}
    </ol>
  );
}
