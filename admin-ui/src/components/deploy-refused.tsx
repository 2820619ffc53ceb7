import { useState } from 'preact/hooks';

/** The failing fixtures a refused deploy names: "channel x is not deployed: a; b (what to do)". */
export function refusalProblems(detail: string): string[] {
  const m = /is not deployed: (.*) \(([^()]*)\)$/.exec(detail);
  return m ? m[1]!.split('; ') : [detail];
}

/**
 * A deploy the engine refused (409: a pinned mapping fails its fixtures), each reason listed. An
 * administrator may deploy anyway, giving a reason (kept in the audit log).
 */
export function DeployRefused({
  version,
  detail,
  admin,
  onOverride,
}: {
  version: number;
  detail: string;
  admin: boolean;
  onOverride(reason: string): void;
}) {
  const [reason, setReason] = useState('');
  return (
    <div class="deploy-refused card" role="alert">
      <p class="error">Version {version} was not deployed:</p>
      <ul>
        {refusalProblems(detail).map((p) => (
          <li>{p}</li>
        ))}
      </ul>
      {admin ? (
        <form onSubmit={(e) => (e.preventDefault(), onOverride(reason.trim()))}>
          <label for="override-reason">Reason to deploy anyway (kept in the audit log)</label>
          <input
            id="override-reason"
            class="wide"
            required
            minLength={3}
            maxLength={500}
            value={reason}
            onInput={(e) => setReason(e.currentTarget.value)}
          />
          <button type="submit" class="danger" disabled={reason.trim().length < 3}>
            Deploy anyway
          </button>
        </form>
      ) : (
        <p class="muted">Fix the mapping’s fixtures and pin the fixed version; an administrator may deploy anyway, with a reason.</p>
      )}
    </div>
  );
}
