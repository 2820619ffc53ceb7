import { useState } from 'preact/hooks';
import type { FixtureResult, MappingFixture } from '../mapping-types.ts';

const show = (v: unknown) => (v === undefined ? '(none)' : typeof v === 'string' ? v : JSON.stringify(v));

function Outcome({ r }: { r: FixtureResult | undefined }) {
  if (!r) return <span class="muted">not run</span>;
  if (r.passed) return <span class="badge badge-success">passed</span>;
  return (
    <div>
      <span class="badge badge-failure">failed</span>
      {r.unreadable && <p class="error">The sample cannot be read: {r.unreadable}</p>}
      {r.errors.map((e) => (
        <p class="error">
          {e.target} (event {e.event}): {e.reason}
        </p>
      ))}
      {r.changes.map((c) => (
        <div class="diff">
          event {c.event} <code>{c.path}</code>: <del>{show(c.before)}</del> → <ins>{show(c.after)}</ins>
        </div>
      ))}
    </div>
  );
}

/**
 * The mapping's fixtures, each run on every change: passed, or failed with the field errors and a
 * field-by-field diff (expected → now). "Save as fixture" keeps the sample and the current output
 * in one click; a fixture whose new output is right is updated to it; a fixture's input can be
 * loaded as the sample.
 */
export function MappingFixtures({
  fixtures,
  results,
  sample,
  output,
  editable,
  onChange,
  onLoad,
}: {
  fixtures: MappingFixture[];
  results: FixtureResult[] | undefined;
  sample: string;
  /** The preview's events for the sample; undefined while it has none or failed. */
  output: Record<string, unknown>[] | undefined;
  editable: boolean;
  onChange(fixtures: MappingFixture[]): void;
  onLoad(input: string): void;
}) {
  const [name, setName] = useState('');
  const suggested = `sample ${fixtures.length + 1}`;
  const add = () => {
    const n = name.trim() || suggested;
    onChange([...fixtures.filter((f) => f.name !== n), { name: n, input: sample, expected: output ?? [] }]);
    setName('');
  };
  const accept = (r: FixtureResult) => onChange(fixtures.map((f) => (f.name === r.name ? { ...f, expected: r.actual } : f)));
  const ran = fixtures.map((f) => results?.find((r) => r.name === f.name));
  const failing = ran.filter((r) => r && !r.passed).length;
  /** None run while the mapping has problems (the check answers no results then); a fixture just added waits for the next check. */
  const outcome =
    !results || fixtures.length === 0
      ? ''
      : results.length === 0
        ? ', not run'
        : ran.includes(undefined)
          ? ', checking…'
          : failing === 0
            ? ': all pass'
            : `: ${failing} failing`;
  return (
    <section class="fixtures" aria-labelledby="fixtures-title">
      <h2 id="fixtures-title">
        Fixtures ({fixtures.length}
        {outcome})
      </h2>
      {editable && (
        <div class="filters">
          <div class="field">
            <label for="fixture-name">Fixture name</label>
            <input id="fixture-name" placeholder={suggested} maxLength={80} value={name} onInput={(e) => setName(e.currentTarget.value)} />
          </div>
          <button type="button" disabled={!output?.length} onClick={add}>
            Save as fixture
          </button>
          {!output?.length && <p class="hint">A sample whose preview makes events can be kept as a fixture.</p>}
        </div>
      )}
      <table class="list">
        <thead>
          <tr>
            <th scope="col">Fixture</th>
            <th scope="col">Result</th>
            <th scope="col">
              <span class="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {fixtures.map((f) => {
            const r = results?.find((x) => x.name === f.name);
            return (
              <tr>
                <td>
                  {f.name} <span class="muted">({f.expected.length} events)</span>
                </td>
                <td>
                  <Outcome r={r} />
                </td>
                <td>
                  <div class="actions">
                    <button type="button" class="secondary" onClick={() => onLoad(f.input)}>
                      Load {f.name} as sample
                    </button>
                    {editable && r && !r.passed && !r.unreadable && r.errors.length === 0 && (
                      <button type="button" class="secondary" onClick={() => accept(r)}>
                        Expect the new output of {f.name}
                      </button>
                    )}
                    {editable && (
                      <button type="button" class="danger" onClick={() => onChange(fixtures.filter((x) => x !== f))}>
                        Delete {f.name}
                      </button>
                    )}
                  </div>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
