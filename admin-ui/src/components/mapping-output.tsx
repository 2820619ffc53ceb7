import type { MappingProblem } from '../mapping-types.ts';
import type { MappingRuns } from '../use-mapping-runs.ts';
import { ErrorNote, json } from '../ui.tsx';
import { describeProblem } from './mapping-fields.tsx';

/** Problems of the draft as a list: field problems also show beside their field, the others only here. */
export function MappingProblems({ problems }: { problems: MappingProblem[] }) {
  if (problems.length === 0) return null;
  return (
    <div role="alert" class="mapping-problems">
      <p class="error">
        {problems.length} {problems.length === 1 ? 'problem' : 'problems'}
      </p>
      <ul class="problems">
        {problems.map((p) => (
          <li>{describeProblem(p)}</li>
        ))}
      </ul>
    </div>
  );
}

/** The live preview: the canonical events the draft makes of the sample, or why it makes none. */
export function MappingOutput({ runs, hasSample }: { runs: MappingRuns; hasSample: boolean }) {
  const p = runs.preview;
  return (
    <section class="mapping-output" aria-labelledby="output-title" aria-busy={runs.busy}>
      <h2 id="output-title">
        Preview{p && `: ${p.events.length} ${p.events.length === 1 ? 'event' : 'events'}`}
        {p && p.errors.length > 0 && `, ${p.errors.length} field ${p.errors.length === 1 ? 'error' : 'errors'}`}
      </h2>
      {!hasSample && <p class="muted">Paste a sample message to see what the mapping makes of it.</p>}
      <ErrorNote error={runs.error} />
      {p && p.problems.length > 0 && <p class="note">The mapping has problems: nothing runs until they are fixed.</p>}
      {p && p.errors.length > 0 && (
        <ul class="problems" role="alert">
          {p.errors.map((e) => (
            <li>
              <code>{e.target}</code> (event {e.event}, from <code>{e.source}</code>): {e.reason}
              {e.value !== undefined && ` (value ${e.value})`}
            </li>
          ))}
        </ul>
      )}
      {p && p.events.length > 0 && <pre class="code canonical">{json(p.events)}</pre>}
    </section>
  );
}
