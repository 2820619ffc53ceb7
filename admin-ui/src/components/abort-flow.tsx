import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import type { InstanceDetail, InstanceSummary } from '../flow-types.ts';
import { useAction } from '../hooks.ts';
import { ActionOutcome } from '../ui.tsx';
import { ReasonForm } from './reason-form.tsx';

/** The done steps that have a compensation, latest first: the order the engine undoes them in. */
const toUndo = (i: InstanceDetail) =>
  i.flow.steps
    .filter((s) => s.compensates && i.steps[s.id]?.status === 'done')
    .sort((a, b) => (i.steps[b.id]?.startedAt ?? '').localeCompare(i.steps[a.id]?.startedAt ?? ''))
    .map((s) => s.id);

/**
 * Aborts an instance, with a reason: no further step starts, and the compensations of its done
 * steps run, latest first (the form names them in that order); on an instance aborting whose
 * compensation failed, runs them again. `onDone` is called after, gone through or refused.
 */
export function AbortFlow({ instance, onDone }: { instance: InstanceDetail; onDone(): void }) {
  const [open, setOpen] = useState(false);
  const action = useAction(onDone);
  const undo = toUndo(instance);
  const abort = (reason: string) =>
    action.run(async () => {
      await api<InstanceSummary>('POST', `/api/flows/instances/${encodeURIComponent(instance.id)}/abort`, { reason });
      setOpen(false);
      return 'Abort requested: the compensations run.';
    });

  return (
    <div class="abort-flow">
      {!open && (
        <button type="button" class="danger" onClick={() => setOpen(true)}>
          Abort flow
        </button>
      )}
      {open && (
        <ReasonForm submit="Confirm abort" busy={action.busy} onSubmit={(r) => void abort(r)} onCancel={() => setOpen(false)}>
          {instance.status === 'aborting' ? (
            <p>A compensation failed: aborting again runs the compensations not yet done again, latest first.</p>
          ) : (
            <p>
              Aborting stops the steps not done yet. The compensations of the done steps then run, latest first
              {undo.length > 0 ? `: ${undo.join(', then ')}.` : '; no done step has one, so nothing is undone.'}
            </p>
          )}
        </ReasonForm>
      )}
      <ActionOutcome action={action} />
    </div>
  );
}
