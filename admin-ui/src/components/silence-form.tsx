import { useId, useState } from 'preact/hooks';
import { api } from '../api.ts';
import type { AlertSilenceJson, AlertSilenceRequest } from '../alert-types.ts';
import { useAction } from '../hooks.ts';
import { ActionOutcome, when } from '../ui.tsx';
import { ReasonForm } from './reason-form.tsx';

const HOUR = 3_600_000;
/** The engine refuses a silence longer than 90 days. */
const MAX_MS = 90 * 24 * HOUR;
const PRESETS = [
  { label: '1 hour', ms: HOUR },
  { label: '4 hours', ms: 4 * HOUR },
  { label: '1 day', ms: 24 * HOUR },
];

/** A date as a `datetime-local` value (local time, to the minute). */
const localInput = (d: Date) => new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);

/**
 * Silences a rule, or one alert of it when `alertId` is given (the user may widen it to the rule),
 * until a time (now + 1 hour to start with, or a preset) with a required reason, by
 * `POST /api/alert-silences` (audited by the engine). A silence holds the notifications, not the
 * alert: it still shows as firing. `onDone` gets the silence once made; `onCancel` closes the form.
 */
export function SilenceForm(o: { ruleId: string; alertId?: string; onDone(s: AlertSilenceJson): void; onCancel(): void }) {
  const [until, setUntil] = useState(() => localInput(new Date(Date.now() + HOUR)));
  const [wholeRule, setWholeRule] = useState(o.alertId === undefined);
  const action = useAction(() => undefined);
  const id = useId();
  const untilDate = new Date(until);
  const inFuture = !Number.isNaN(untilDate.getTime()) && untilDate.getTime() > Date.now();
  const tooFar = untilDate.getTime() > Date.now() + MAX_MS;

  const submit = (reason: string) =>
    void action.run(async () => {
      const body: AlertSilenceRequest = {
        ruleId: o.ruleId,
        ...(wholeRule || !o.alertId ? {} : { alertId: o.alertId }),
        until: untilDate.toISOString(),
        reason,
      };
      const made = await api<AlertSilenceJson>('POST', '/api/alert-silences', body);
      o.onDone(made);
      return `Silenced until ${when(made.until)}.`;
    });

  return (
    <div class="silence-form card">
      <ReasonForm submit="Silence" maxLength={500} busy={action.busy || !inFuture || tooFar} onSubmit={submit} onCancel={o.onCancel}>
        {o.alertId && (
          <fieldset class="silence-scope">
            <legend>Silence</legend>
            <div class="check">
              <input type="radio" id={`${id}-one`} name={`${id}-scope`} checked={!wholeRule} onChange={() => setWholeRule(false)} />
              <label for={`${id}-one`}>this alert only</label>
            </div>
            <div class="check">
              <input type="radio" id={`${id}-rule`} name={`${id}-scope`} checked={wholeRule} onChange={() => setWholeRule(true)} />
              <label for={`${id}-rule`}>every alert of rule {o.ruleId}</label>
            </div>
          </fieldset>
        )}
        <div class="field">
          <label for={`${id}-until`}>Silenced until</label>
          <input
            id={`${id}-until`}
            type="datetime-local"
            required
            value={until}
            aria-invalid={!inFuture || tooFar}
            onInput={(e) => setUntil(e.currentTarget.value)}
          />
          {PRESETS.map((p) => (
            <button type="button" class="secondary" onClick={() => setUntil(localInput(new Date(Date.now() + p.ms)))}>
              {p.label}
            </button>
          ))}
          {!inFuture && <p class="error">The end of a silence must be in the future.</p>}
          {tooFar && <p class="error">A silence lasts at most 90 days.</p>}
        </div>
        <p class="muted">Notifications of the silenced alerts are held until then; the alerts still show while they fire.</p>
      </ReasonForm>
      <ActionOutcome action={action} />
    </div>
  );
}
