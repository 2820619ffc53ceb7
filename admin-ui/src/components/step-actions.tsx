import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import type { InstanceSummary, RetryPreview, StepStatus } from '../flow-types.ts';
import { useAction } from '../hooks.ts';
import { ActionOutcome } from '../ui.tsx';
import { ReasonForm } from './reason-form.tsx';
import { RetryDiff } from './retry-diff.tsx';

/**
 * An operator's actions on a dead, parked or retrying step: retry (a dead one) (a dry run first shows how the request
 * would differ from the last one sent, then a confirmation sends it) and skip (with a reason; its
 * dependents go on without its output). `onDone` is called after each request, gone through or refused.
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
  const [open, setOpen] = useState<{ retry: RetryPreview } | 'skip'>();
  const action = useAction(onDone);
  const base = `/api/flows/instances/${encodeURIComponent(instanceId)}/steps/${encodeURIComponent(stepId)}`;
  const dryRun = () =>
    action.run(async () => {
      setOpen({ retry: await api<RetryPreview>('POST', `${base}/retry`, { dryRun: true }) });
      return undefined;
    });
  const retry = () =>
    action.run(async () => {
      await api<InstanceSummary>('POST', `${base}/retry`, { dryRun: false });
      setOpen(undefined);
      return 'Retry queued.';
    });
  const skip = (reason: string) =>
    action.run(async () => {
      await api<InstanceSummary>('POST', `${base}/skip`, { reason });
      setOpen(undefined);
      return 'Step skipped.';
    });

  return (
    <div class="step-actions">
      <div class="actions">
        {status === 'dead' && (
          <button type="button" disabled={action.busy} onClick={() => void dryRun()}>
            Retry step
          </button>
        )}
        <button type="button" class="secondary" disabled={action.busy} onClick={() => setOpen('skip')}>
          Skip step
        </button>
      </div>
      <ActionOutcome action={action} />
      {typeof open === 'object' && (
        <div class="dry-run" aria-live="polite">
          <RetryDiff preview={open.retry} />
          <div class="actions">
            <button type="button" disabled={action.busy} onClick={() => void retry()}>
              Confirm retry
            </button>
            <button type="button" class="secondary" onClick={() => setOpen(undefined)}>
              Cancel
            </button>
          </div>
        </div>
      )}
      {open === 'skip' && (
        <ReasonForm submit="Confirm skip" busy={action.busy} onSubmit={(r) => void skip(r)} onCancel={() => setOpen(undefined)}>
          <p class="muted">The steps after {stepId} go on without its output.</p>
        </ReasonForm>
      )}
    </div>
  );
}
