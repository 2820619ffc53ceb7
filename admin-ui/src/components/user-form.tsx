import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { ErrorNote } from '../ui.tsx';

export interface UserView {
  username: string;
  role: string;
  channels: '*' | string[];
  phi: boolean;
  failedLogins: number;
  lockedUntil?: string;
  createdAt: string;
}

export const ROLES = ['admin', 'analyst', 'support', 'auditor', 'viewer', 'monitor'] as const;

const channelsText = (c: '*' | string[]) => (c === '*' ? '*' : c.join(', '));
const parseChannels = (s: string): '*' | string[] => (s.trim() === '*' || s.trim() === '' ? '*' : s.split(/[\s,]+/).filter(Boolean));

/**
 * Creates a user (no `user`) or changes one: role, channel scope (`*` or a list), the PHI
 * permission and, optionally, a new password (12 characters at least; it ends their sessions).
 */
export function UserForm({ user, onSaved, onCancel }: { user?: UserView; onSaved(): void; onCancel?(): void }) {
  const [username, setUsername] = useState(user?.username ?? '');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<string>(user?.role ?? 'viewer');
  const [channels, setChannels] = useState(user ? channelsText(user.channels) : '*');
  const [phi, setPhi] = useState(user?.phi ?? false);
  const [error, setError] = useState<Error>();
  const id = (f: string) => `${user ? `edit-${user.username}` : 'new'}-${f}`;

  const save = async (e: Event) => {
    e.preventDefault();
    try {
      const common = { role, channels: parseChannels(channels), phi };
      if (user) {
        // Only what changed, so the audit log's diff names only that.
        const changed = Object.fromEntries(
          Object.entries(common).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(user[k as keyof typeof common])),
        );
        if (password) changed.password = password;
        if (Object.keys(changed).length > 0) await api('PATCH', `/api/users/${encodeURIComponent(user.username)}`, changed);
      } else await api('POST', '/api/users', { ...common, username, password });
      setPassword('');
      if (!user) {
        setUsername('');
        setRole('viewer');
        setChannels('*');
        setPhi(false);
      }
      setError(undefined);
      onSaved();
    } catch (err) {
      setError(err as Error);
    }
  };

  return (
    <form class="user-form card" onSubmit={save} aria-label={user ? `Edit ${user.username}` : 'New user'}>
      {!user && (
        <div class="field">
          <label for={id('username')}>User name</label>
          <input
            id={id('username')}
            required
            pattern="[A-Za-z0-9._@\-]{1,64}"
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
          />
        </div>
      )}
      <div class="field">
        <label for={id('password')}>{user ? 'New password (optional)' : 'Password'}</label>
        <input
          id={id('password')}
          type="password"
          autoComplete="new-password"
          minLength={12}
          required={!user}
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
      </div>
      <div class="field">
        <label for={id('role')}>Role</label>
        <select id={id('role')} value={role} onChange={(e) => setRole(e.currentTarget.value)}>
          {ROLES.map((r) => (
            <option value={r}>{r}</option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for={id('channels')}>Channels (* for all, or ids)</label>
        <input id={id('channels')} value={channels} onInput={(e) => setChannels(e.currentTarget.value)} />
      </div>
      <div class="field check">
        <input id={id('phi')} type="checkbox" checked={phi} onChange={(e) => setPhi(e.currentTarget.checked)} />
        <label for={id('phi')}>May see patient data (PHI)</label>
      </div>
      <div class="actions">
        <button type="submit">{user ? 'Save' : 'Create user'}</button>
        {onCancel && (
          <button type="button" class="secondary" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
      <ErrorNote error={error} />
    </form>
  );
}
