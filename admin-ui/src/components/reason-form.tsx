import type { ComponentChildren } from 'preact';
import { useId, useState } from 'preact/hooks';

/**
 * A required reason (3 to `maxLength` characters, default 1000, kept in the audit log) and the button that acts with it;
 * `children` explain what the action does. The button stays off while the reason is too short or `busy`.
 */
export function ReasonForm(o: {
  submit: string;
  busy: boolean;
  maxLength?: number;
  onSubmit(reason: string): void;
  onCancel(): void;
  children?: ComponentChildren;
}) {
  const [reason, setReason] = useState('');
  const id = useId();
  return (
    <form class="reason-form" onSubmit={(e) => (e.preventDefault(), o.onSubmit(reason.trim()))}>
      {o.children}
      <label for={id}>Reason (required, kept in the audit log)</label>
      <textarea
        id={id}
        required
        minLength={3}
        maxLength={o.maxLength ?? 1000}
        rows={2}
        value={reason}
        onInput={(e) => setReason(e.currentTarget.value)}
      />
      <div class="actions">
        <button type="submit" disabled={o.busy || reason.trim().length < 3}>
          {o.submit}
        </button>
        <button type="button" class="secondary" onClick={o.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
