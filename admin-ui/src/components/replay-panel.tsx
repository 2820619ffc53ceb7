import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { ErrorNote } from '../ui.tsx';

export interface ReplaySelection {
  messageIds: string[];
  filter: { destination: string; errorCode?: string; channel?: string };
}

interface ReplayResult {
  replayId: string;
  dryRun: boolean;
  deliveries: number;
  refused: { messageId: string; reason: string }[];
  changes: { messageId: string; destinationId: string; transformVersions: { before: string[]; after: string[] }; diff: { path: string; before: unknown; after: unknown }[] }[];
}

const show = (v: unknown) => (v === undefined ? '(none)' : typeof v === 'string' ? v : JSON.stringify(v));

function DryRun({ r }: { r: ReplayResult }) {
  return (
    <div class="dry-run" aria-live="polite">
      <p>
        Dry run: <strong>{r.deliveries}</strong> {r.deliveries === 1 ? 'delivery' : 'deliveries'} would be replayed.
      </p>
      {r.refused.map((x) => (
        <p class="note">
          {x.messageId} is refused by the current transforms: {x.reason}
        </p>
      ))}
      <table class="list">
        <caption>What the current transforms would send differently</caption>
        <thead>
          <tr>
            <th scope="col">Message</th>
            <th scope="col">Destination</th>
            <th scope="col">Transforms</th>
            <th scope="col">Changes</th>
          </tr>
        </thead>
        <tbody>
          {r.changes.map((c) => (
            <tr>
              <td class="mono">{c.messageId}</td>
              <td>{c.destinationId}</td>
              <td class="mono">
                {c.transformVersions.before.join(', ')} → {c.transformVersions.after.join(', ')}
              </td>
              <td>
                {c.diff.length === 0
                  ? 'no field changes'
                  : c.diff.map((d) => (
                      <div class="diff">
                        <code>{d.path}</code>: <del>{show(d.before)}</del> → <ins>{show(d.after)}</ins>
                      </div>
                    ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * Bulk replay of the selected dead deliveries: a reason is required, a dry run comes first and
 * shows the diff, and the replay itself is offered only for the selection and reason dry-run.
 */
export function ReplayPanel({ selection, onReplayed }: { selection: ReplaySelection; onReplayed(): void }) {
  const [reason, setReason] = useState('');
  const [dry, setDry] = useState<{ key: string; result: ReplayResult }>();
  const [done, setDone] = useState<ReplayResult>();
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);
  const key = JSON.stringify([selection, reason.trim()]);
  const count = selection.messageIds.length;

  const run = async (dryRun: boolean) => {
    setBusy(true);
    setError(undefined);
    try {
      const result = await api<ReplayResult>('POST', '/api/replays', { ...selection, reason: reason.trim(), dryRun });
      if (dryRun) setDry({ key, result });
      else {
        setDone(result);
        setDry(undefined);
        onReplayed();
      }
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="replay card" onSubmit={(e) => (e.preventDefault(), void run(true))}>
      <h2>Replay {count} selected</h2>
      <label for="replay-reason">Reason (required, kept in the audit log)</label>
      <textarea id="replay-reason" required minLength={3} maxLength={1000} rows={2} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
      <div class="actions">
        <button type="submit" disabled={busy || count === 0 || reason.trim().length < 3}>
          Dry run
        </button>
        <button type="button" disabled={busy || dry?.key !== key} onClick={() => void run(false)}>
          Replay {dry?.key === key ? dry.result.deliveries : ''} {dry?.key === key && dry.result.deliveries === 1 ? 'delivery' : 'deliveries'}
        </button>
      </div>
      {dry?.key !== key && count > 0 && <p class="muted">A dry run of this selection and reason comes before the replay.</p>}
      <ErrorNote error={error} />
      {dry?.key === key && <DryRun r={dry.result} />}
      {done && (
        <p class="ok" role="status">
          Replay {done.replayId} queued {done.deliveries} {done.deliveries === 1 ? 'delivery' : 'deliveries'}.
        </p>
      )}
    </form>
  );
}
