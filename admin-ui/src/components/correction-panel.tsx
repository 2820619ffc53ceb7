import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { useApi } from '../hooks.ts';
import { navigate } from '../router.ts';
import type { Message } from '../types.ts';
import { ErrorNote, json } from '../ui.tsx';

/** A message's content as lines: HL7v2 segments, or a FHIR resource's JSON pretty-printed. */
export function contentLines(m: Pick<Message, 'format' | 'raw'>): string[] {
  if (m.format === 'hl7v2') return m.raw.split(/\r\n|\r|\n/).filter(Boolean);
  try {
    return json(JSON.parse(m.raw)).split('\n');
  } catch {
    return m.raw.split('\n');
  }
}

type DiffLine = { op: '=' | '-' | '+'; line: string };

/** Line by line (segment by segment) difference of `before` and `after`, by their longest common subsequence; removals first. */
export function lineDiff(before: readonly string[], after: readonly string[]): DiffLine[] {
  const n = before.length;
  const m = after.length;
  const common: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      common[i]![j] = before[i] === after[j] ? common[i + 1]![j + 1]! + 1 : Math.max(common[i + 1]![j]!, common[i]![j + 1]!);
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && before[i] === after[j]) {
      out.push({ op: '=', line: before[i]! });
      i++;
      j++;
    } else if (i < n && (j === m || common[i + 1]![j]! >= common[i]![j + 1]!)) out.push({ op: '-', line: before[i++]! });
    else out.push({ op: '+', line: after[j++]! });
  }
  return out;
}

/** On a correction: the message it corrects, and what changed, segment by segment. */
function CorrectionDiff({ m }: { m: Message & { correctionOf: string } }) {
  const { data: original, error } = useApi<Message>(`/api/messages/${encodeURIComponent(m.correctionOf)}`);
  if (error) return <ErrorNote error={error} />;
  if (!original) return <p class="muted">Reading the original…</p>;
  return (
    <pre class="code diff" aria-label="Changes from the original">
      {lineDiff(contentLines(original), contentLines(m))
        .filter((d) => d.op !== '=')
        .map((d) => (d.op === '-' ? <del>- {d.line}</del> : <ins>+ {d.line}</ins>))
        .flatMap((el) => [el, '\n'])}
    </pre>
  );
}

/** Links between a correction and the message it corrects, and the corrections made of a message. */
export function CorrectionLinks({ m }: { m: Message }) {
  const link = (id: string) => <a href={`/messages/${encodeURIComponent(id)}`}>{id}</a>;
  return (
    <>
      {m.correctionOf && (
        <section class="correction" aria-labelledby="correction-of">
          <h2 id="correction-of">Correction</h2>
          <p>This message corrects {link(m.correctionOf)}, which stays as it was.</p>
          <CorrectionDiff m={{ ...m, correctionOf: m.correctionOf }} />
        </section>
      )}
      {m.corrections?.length ? (
        <p class="note">Corrected since, by {m.corrections.map((id, i) => [i > 0 ? ', ' : '', link(id)])}.</p>
      ) : null}
    </>
  );
}

/**
 * Edit and resend (support with the PHI permission): the raw message in a text area, a reason, then the corrected
 * message is stored as a new one, linked to this one, and routed; the console opens it.
 */
export function CorrectionPanel({ m }: { m: Message }) {
  const [content, setContent] = useState(() => contentLines(m).join('\n'));
  const [reason, setReason] = useState('');
  const [error, setError] = useState<Error>();
  const [sending, setSending] = useState(false);
  const send = (e: Event) => {
    e.preventDefault();
    setSending(true);
    api<{ id: string }>('POST', `/api/messages/${encodeURIComponent(m._id)}/corrections`, { content, reason }).then(
      (r) => navigate(`/messages/${encodeURIComponent(r.id)}`),
      (err: Error) => (setError(err), setSending(false)),
    );
  };
  return (
    <details class="correct">
      <summary>Edit and resend…</summary>
      <p class="muted">The corrected message is stored as a new message linked to this one, and routed again; this one is kept as it is.</p>
      <form onSubmit={send}>
        <label>
          Corrected message
          <textarea class="mono" rows={12} value={content} onInput={(e) => setContent(e.currentTarget.value)} required />
        </label>
        <label>
          Reason for the correction (kept in the audit)
          <input value={reason} onInput={(e) => setReason(e.currentTarget.value)} required minLength={3} maxLength={500} />
        </label>
        <ErrorNote error={error} />
        <button type="submit" disabled={sending}>
          Send corrected message
        </button>
      </form>
    </details>
  );
}
