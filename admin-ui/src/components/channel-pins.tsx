import type { MappingItem, TableItem } from '../mapping-types.ts';

interface Choice {
  name: string;
  latest: number;
  about: string;
}

/** One pinnable thing: a checkbox, its version (default the latest), and a hint when a newer one exists. */
function Pin({
  kind,
  c,
  pinned,
  onChange,
}: {
  kind: string;
  c: Choice;
  pinned: number | undefined;
  onChange(v: number | undefined): void;
}) {
  const id = `pin-${kind}-${c.name}`;
  return (
    <div class="pin">
      <span class="check">
        <input
          id={id}
          type="checkbox"
          checked={pinned !== undefined}
          onChange={(e) => onChange(e.currentTarget.checked ? c.latest : undefined)}
        />
        <label for={id}>
          {c.name} <span class="muted">({c.about})</span>
        </label>
      </span>
      {pinned !== undefined && (
        <>
          <label for={`${id}-version`} class="sr-only">
            Version of {kind} {c.name}
          </label>
          <select id={`${id}-version`} value={String(pinned)} onChange={(e) => onChange(Number(e.currentTarget.value))}>
            {Array.from({ length: Math.max(c.latest, pinned) }, (_, i) => Math.max(c.latest, pinned) - i).map((v) => (
              <option value={String(v)}>v{v}</option>
            ))}
          </select>
          {pinned < c.latest && <span class="note">newer version v{c.latest} available</span>}
        </>
      )}
    </div>
  );
}

/**
 * The data mappings and lookup tables a channel version runs with, each at an exact version (a
 * newly pinned one at its latest). Saved mappings and tables change nothing running until a channel
 * version pinning them is deployed.
 */
export function ChannelPins({
  mappings,
  tables,
  pinnedMappings,
  pinnedTables,
  onMappings,
  onTables,
}: {
  mappings: MappingItem[];
  tables: TableItem[];
  pinnedMappings: readonly { id: string; version: number }[];
  pinnedTables: Readonly<Record<string, number>>;
  onMappings(m: { id: string; version: number }[]): void;
  onTables(t: Record<string, number>): void;
}) {
  const setMapping = (id: string, v: number | undefined) =>
    onMappings(
      v === undefined ? pinnedMappings.filter((p) => p.id !== id) : [...pinnedMappings.filter((p) => p.id !== id), { id, version: v }],
    );
  const setTable = (name: string, v: number | undefined) => {
    const next = { ...pinnedTables };
    if (v === undefined) delete next[name];
    else next[name] = v;
    onTables(next);
  };
  return (
    <>
      <fieldset class="pins">
        <legend>Data mappings</legend>
        {mappings.length === 0 && <p class="muted">No data mapping yet.</p>}
        {mappings.map((m) => (
          <Pin
            kind="mapping"
            c={{ name: m.id, latest: m.version, about: `${m.accepts.join(', ')} → ${m.model}` }}
            pinned={pinnedMappings.find((p) => p.id === m.id)?.version}
            onChange={(v) => setMapping(m.id, v)}
          />
        ))}
      </fieldset>
      <fieldset class="pins">
        <legend>Lookup tables</legend>
        {tables.length === 0 && <p class="muted">No lookup table yet.</p>}
        {tables.map((t) => (
          <Pin
            kind="table"
            c={{ name: t.name, latest: t.version, about: `${t.columns.join(', ')}; ${t.rows} rows` }}
            pinned={pinnedTables[t.name]}
            onChange={(v) => setTable(t.name, v)}
          />
        ))}
      </fieldset>
    </>
  );
}
