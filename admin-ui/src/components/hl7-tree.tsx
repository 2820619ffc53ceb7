import { useState } from 'preact/hooks';

/** One value of the tree with its path in the README's notation: `SEG(n)-f[r].c.s`. */
interface Leaf {
  path: string;
  value: string;
}

interface Field {
  n: number;
  /** Repetitions, each a list of components, each a list of leaves (subcomponents). */
  leaves: Leaf[][][];
}

interface Segment {
  name: string;
  label: string;
  fields: Field[];
}

/**
 * Splits HL7v2 text into segments, fields, repetitions, components and subcomponents, with the
 * delimiters MSH declares. Values are shown as written (escape sequences kept): this is a view of
 * what arrived, not a decoding. Masked fields arrive as `***` and stay so.
 */
export function parseTree(text: string): { segments: Segment[]; separators: { cs: string; rs: string; ss: string } } {
  const lines = text.split(/\r\n|\r|\n/).filter((l) => l.trim() !== '');
  const msh = lines.find((l) => l.startsWith('MSH'));
  const fs = msh?.[3] ?? '|';
  const [cs = '^', rs = '~', , ss = '&'] = msh ? msh.slice(4).split(fs)[0]!.split('') : [];
  const seen = new Map<string, number>();
  const segments = lines.map((line) => {
    const parts = line.split(fs);
    const name = parts[0] ?? '';
    const count = (seen.get(name) ?? 0) + 1;
    seen.set(name, count);
    const label = count > 1 ? `${name}(${count})` : name;
    const fields: Field[] = [];
    parts.slice(1).forEach((raw, i) => {
      const n = name === 'MSH' ? i + 2 : i + 1;
      if (raw === '') return;
      if (name === 'MSH' && n === 2) {
        fields.push({ n, leaves: [[[{ path: `${label}-2`, value: raw }]]] });
        return;
      }
      const reps = raw.split(rs);
      fields.push({
        n,
        leaves: reps.map((rep, r) => {
          const comps = rep.split(cs);
          return comps.map((comp, c) => {
            const subs = comp.split(ss);
            const base = `${label}-${n}${reps.length > 1 ? `[${r + 1}]` : ''}${comps.length > 1 ? `.${c + 1}` : ''}`;
            return subs.map((value, s) => ({ path: subs.length > 1 ? `${base}.${s + 1}` : base, value }));
          });
        }),
      });
    });
    if (name === 'MSH') fields.unshift({ n: 1, leaves: [[[{ path: `${label}-1`, value: fs }]]] });
    return { name, label, fields };
  });
  return { segments, separators: { cs, rs, ss } };
}

/**
 * The raw message as a segment/field tree. Hovering or focusing a value shows its path (such as
 * `PID-5.1`) in its tooltip and in the path bar above the tree; values are focusable for keyboard use.
 * With `onPick`, a click on a value (or Enter on it) hands its path over (the mapping editor inserts it).
 */
export function Hl7Tree({ text, onPick }: { text: string; onPick?(path: string): void }) {
  const [path, setPath] = useState('');
  const { segments, separators } = parseTree(text);
  const show = (e: Event) => {
    const p = (e.target as HTMLElement).dataset.path;
    if (p) setPath(p);
  };
  const pick = (e: Event) => {
    const p = (e.target as HTMLElement).dataset.path;
    if (p && onPick && (!(e instanceof KeyboardEvent) || e.key === 'Enter')) onPick(p);
  };
  return (
    <div class="hl7">
      <p class="path-bar" aria-live="polite">
        <span class="path-label">Path</span>{' '}
        <code class="path">{path || (onPick ? 'click a value to insert its path' : 'hover or focus a value')}</code>
      </p>
      <ol class={onPick ? 'segments pickable' : 'segments'} onMouseOver={show} onFocusIn={show} onClick={pick} onKeyDown={pick}>
        {segments.map((seg) => (
          <li class="segment">
            <span class="seg-name">{seg.label}</span>
            <ol class="fields">
              {seg.fields.map((f) => (
                <li class="field-row">
                  <span class="field-n">{f.n}</span>
                  <span class="field-value">
                    {f.leaves.map((rep, r) => [
                      r > 0 && <span class="sep">{separators.rs}</span>,
                      rep.map((comp, c) => [
                        c > 0 && <span class="sep">{separators.cs}</span>,
                        comp.map((leaf, s) => [
                          s > 0 && <span class="sep">{separators.ss}</span>,
                          leaf.value === '' ? null : (
                            <span class="v" tabIndex={0} role={onPick ? 'button' : undefined} title={leaf.path} data-path={leaf.path}>
                              {leaf.value}
                            </span>
                          ),
                        ]),
                      ]),
                    ])}
                  </span>
                </li>
              ))}
            </ol>
          </li>
        ))}
      </ol>
    </div>
  );
}
