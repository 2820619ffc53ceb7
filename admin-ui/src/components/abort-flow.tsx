import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import type { InstanceDetail, InstanceSummary } from '../flow-types.ts';
import { ErrorNote } from '../ui.tsx';
import { ReasonForm } from './reason-form.tsx';

/** The done steps that have a compensation, latest first: the order the engine undoes them in. */
const toUndo = (i: InstanceDetail) =>
  i.flow.steps
    .filter((s) => s.compensates && i.steps[s.id]?.status === 'done')
    .sort((a, b) => (i.steps[b.id]?.startedAt ?? '').localeCompare(i.steps[a.id]?.startedAt ?? ''))
    .map((s) => s.id);

/**
 * Aborts an instance, with a reason: no further step starts, and the compensations of its done
 * steps run, latest first (the form names them in that order). `onDone` is called after, done or refused.
 */
export function AbortFlow({ instance, onDone }: { instance: InstanceDetail; onDone(): void }) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();
  const undo = toUndo(instance);

  const abort = async (reason: string) => {
    setBusy(true);
    setError(undefined);
    try {
      await api<InstanceSummary>('POST', `/api/flows/instances/${encodeURIComponent(instance.id)}/abort`, { reason });
      setOpen(false);
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
      onDone();
    }
  };

  return (
    <div class="abort-flow">
      {!open && (
        <button type="button" class="danger" onClick={() => setOpen(true)}>
          Abort flow
        </button>
      )}
      {open && (
        <ReasonForm submit="Confirm abort" busy={busy} onSubmit={(r) => void abort(r)} onCancel={() => setOpen(false)}>
          <p>
            Aborting stops the steps not done yet. The compensations of the done steps then run, latest first
            {undo.length > 0 ? `: ${undo.join(', then ')}.` : '; no done step has one, so nothing is undone.'}
          </p>
        </ReasonForm>
      )}
      <ErrorNote error={error} />
    </div>
  );
}
