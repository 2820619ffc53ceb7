import { useCallback, useEffect, useId, useRef, useState } from 'preact/hooks';
import { api, get } from '../api.ts';
import { useInterval } from '../hooks.ts';
import type { ReplayableStatus } from '../types.ts';
import { ErrorNote, valueText } from '../ui.tsx';

export interface ReplaySelection {
  messageIds: string[];
  filter: { destination: string; errorCode?: string; channel?: string; status?: ReplayableStatus };
}

interface ReplayResult {
  replayId: string;
  dryRun: true;
  deliveries: number;
  refused: { messageId: string; reason: string }[];
  changes: {
    messageId: string;
    destinationId: string;
    transformVersions: { before: string[]; after: string[] };
    diff: { path: string; before: unknown; after: unknown }[];
  }[];
}

/** A real replay as it goes on in the background (GET /api/replays/:id). */
interface ReplayProgress {
  _id: string;
  state: 'running' | 'done';
  progress: { selected: number; replayed: number; refused: number; skipped: number };
}

const plural = (n: number) => `${n} ${n === 1 ? 'delivery' : 'deliveries'}`;

/** Follows a replay until it is done, every second. */
function Progress({ replayId, onDone }: { replayId: string; onDone(): void }) {
  const [r, setR] = useState<ReplayProgress>();
  const [error, setError] = useState<Error>();
  const running = r?.state !== 'done' && !error;
  // onDone is called once, whatever the parent passes on its next renders.
  const done = useRef({ handler: onDone, called: false });
  done.current.handler = onDone;
  const tick = useCallback(() => {
    get<ReplayProgress>(`/api/replays/${replayId}`).then((next) => {
      setR(next);
      if (next.state === 'done' && !done.current.called) {
        done.current.called = true;
        done.current.handler();
      }
    }, setError);
  }, [replayId]);
  useEffect(tick, [tick]);
  useInterval(tick, 1000, running);
  if (error) return <ErrorNote error={error} />;
  if (!r) return <p class="muted">Replay {replayId} started…</p>;
  const { selected, replayed, refused, skipped } = r.progress;
  return r.state === 'done' ? (
    <p class="ok" role="status">
      Replay {replayId} queued {plural(replayed)}.{refused > 0 && ` ${plural(refused)} refused by the current transforms.`}
      {skipped > 0 && ` ${plural(skipped)} had changed meanwhile and were left alone.`}
    </p>
  ) : (
    <p role="status">
      Replay {replayId}: {replayed} of {plural(selected)} queued…
    </p>
  );
}

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
                        <code>{d.path}</code>: <del>{valueText(d.before)}</del> → <ins>{valueText(d.after)}</ins>
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
 * Bulk replay of the selected deliveries (dead ones, or delivered ones sent again): a reason is required, a dry run comes first and
 * shows the diff, and the replay itself is offered only for the selection and reason dry-run; it
 * then runs in the engine's background, and its progress is shown until it is done.
 */
export function ReplayPanel({ selection, onReplayed, title }: { selection: ReplaySelection; onReplayed(): void; title?: string }) {
  const [reason, setReason] = useState('');
  const reasonId = useId();
  const [dry, setDry] = useState<{ key: string; result: ReplayResult }>();
  const [started, setStarted] = useState<string>();
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);
  const key = JSON.stringify([selection, reason.trim()]);
  const count = selection.messageIds.length;

  const run = async (dryRun: boolean) => {
    setBusy(true);
    setError(undefined);
    try {
      const result = await api<ReplayResult | { replayId: string; dryRun: false }>('POST', '/api/replays', {
        ...selection,
        reason: reason.trim(),
        dryRun,
      });
      if (result.dryRun) setDry({ key, result });
      else {
        setStarted(result.replayId);
        setDry(undefined);
      }
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="replay card" onSubmit={(e) => (e.preventDefault(), void run(true))}>
      <h2>{title ?? `Replay ${count} selected`}</h2>
      <label for={reasonId}>Reason (required, kept in the audit log)</label>
      <textarea
        id={reasonId}
        required
        minLength={3}
        maxLength={1000}
        rows={2}
        value={reason}
        onInput={(e) => setReason(e.currentTarget.value)}
      />
      <div class="actions">
        <button type="submit" disabled={busy || count === 0 || reason.trim().length < 3}>
          Dry run
        </button>
        <button type="button" disabled={busy || dry?.key !== key} onClick={() => void run(false)}>
          Replay {dry?.key === key ? dry.result.deliveries : ''}{' '}
          {dry?.key === key && dry.result.deliveries === 1 ? 'delivery' : 'deliveries'}
        </button>
      </div>
      {dry?.key !== key && count > 0 && <p class="muted">A dry run of this selection and reason comes before the replay.</p>}
      <ErrorNote error={error} />
      {dry?.key === key && <DryRun r={dry.result} />}
      {started && <Progress key={started} replayId={started} onDone={onReplayed} />}
    </form>
  );
}
