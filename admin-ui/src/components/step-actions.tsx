import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import type { InstanceSummary, RetryPreview, StepStatus } from '../flow-types.ts';
import { ErrorNote, valueText } from '../ui.tsx';
import { ReasonForm } from './reason-form.tsx';

/** What the retry would send beside what the last attempt sent, field by field. */
function RetryDiff({ p }: { p: RetryPreview }) {
  if (p.changes.length === 0) return <p>The retry sends the same request as the last attempt.</p>;
  return (
    <table class="list retry-diff">
      <caption>What the retry sends differently</caption>
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">Before</th>
          <th scope="col">After</th>
        </tr>
      </thead>
      <tbody>
        {p.changes.map((c) => (
          <tr class="diff">
            <td>
              <code>{c.field}</code>
            </td>
            <td>
              <del>{valueText(c.before)}</del>
            </td>
            <td>
              <ins>{valueText(c.after)}</ins>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * An operator's actions on a dead or parked step: retry (a dry run first shows how the request
 * would differ from the last one sent, then a confirmation sends it) and skip (with a reason; its
 * dependents go on without its output). `onDone` is called after each action, done or refused.
 */
export function StepActions({
  instanceId,
  stepId,
  status,
  onDone,
}: {
  instanceId: string;
  stepId: string;
  status: StepStatus;
  onDone(): void;
}) {
  const [open, setOpen] = useState<'retry' | 'skip'>();
  const [preview, setPreview] = useState<RetryPreview>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();
  const [done, setDone] = useState<string>();
  const base = `/api/flows/instances/${encodeURIComponent(instanceId)}/steps/${encodeURIComponent(stepId)}`;

  const act = async (send: () => Promise<string | undefined>) => {
    setBusy(true);
    setError(undefined);
    setDone(undefined);
    try {
      setDone(await send());
    } catch (err) {
      setError(err as Error);
      onDone();
    } finally {
      setBusy(false);
    }
  };
  const close = () => {
    setOpen(undefined);
    setPreview(undefined);
  };
  const dryRun = () =>
    act(async () => {
      setPreview(await api<RetryPreview>('POST', `${base}/retry`, { dryRun: true }));
      setOpen('retry');
      return undefined;
    });
  const retry = () =>
    act(async () => {
      await api<InstanceSummary>('POST', `${base}/retry`, { dryRun: false });
      close();
      onDone();
      return 'Retry queued.';
    });
  const skip = (reason: string) =>
    act(async () => {
      await api<InstanceSummary>('POST', `${base}/skip`, { reason });
      close();
      onDone();
      return 'Step skipped.';
    });

  return (
    <div class="step-actions">
      <div class="actions">
        {status === 'dead' && (
          <button type="button" disabled={busy} onClick={() => void dryRun()}>
            Retry step
          </button>
        )}
        {(status === 'dead' || status === 'parked') && (
          <button type="button" class="secondary" disabled={busy} onClick={() => (close(), setOpen('skip'))}>
            Skip step
          </button>
        )}
      </div>
      <ErrorNote error={error} />
      {done && (
        <p class="ok" role="status">
          {done}
        </p>
      )}
      {open === 'retry' && preview && (
        <div class="dry-run" aria-live="polite">
          <RetryDiff p={preview} />
          <div class="actions">
            <button type="button" disabled={busy} onClick={() => void retry()}>
              Confirm retry
            </button>
            <button type="button" class="secondary" onClick={close}>
              Cancel
            </button>
          </div>
        </div>
      )}
      {open === 'skip' && (
        <ReasonForm submit="Confirm skip" busy={busy} onSubmit={(r) => void skip(r)} onCancel={close}>
          <p class="muted">The steps after {stepId} go on without its output.</p>
        </ReasonForm>
      )}
    </div>
  );
}
