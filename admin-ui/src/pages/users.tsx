import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { api, type Me } from '../api.ts';
import { UserForm, type UserView } from '../components/user-form.tsx';
import { useApi } from '../hooks.ts';
import { ErrorNote, Page, when } from '../ui.tsx';

const locked = (u: UserView) => u.lockedUntil !== undefined && new Date(u.lockedUntil) > new Date();

/** Users and roles for administrators: create, change, unlock, delete (every change is audited by the engine). */
export function Users({ me }: { me: Me }) {
  const users = useApi<{ items: UserView[] }>('/api/users');
  const [editing, setEditing] = useState<string>();
  const [error, setError] = useState<Error>();
  const act = (p: Promise<unknown>) => p.then(() => (setError(undefined), users.reload()), setError);
  const remove = (u: UserView) => {
    if (confirm(`Delete user ${u.username}? Their sessions and tokens end at once.`))
      void act(api('DELETE', `/api/users/${encodeURIComponent(u.username)}`));
  };

  return (
    <Page title="Users">
      <ErrorNote error={users.error ?? error} />
      <table class="list">
        <caption class="sr-only">Users</caption>
        <thead>
          <tr>
            <th scope="col">User</th>
            <th scope="col">Role</th>
            <th scope="col">Channels</th>
            <th scope="col">PHI</th>
            <th scope="col">State</th>
            <th scope="col">Created</th>
            <th scope="col">
              <span class="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {users.data?.items.map((u) => (
            <Fragment key={u.username}>
              <tr>
                <td>{u.username}</td>
                <td>{u.role}</td>
                <td>{u.channels === '*' ? 'all' : u.channels.join(', ')}</td>
                <td>{u.phi ? 'yes' : 'no'}</td>
                <td>
                  {locked(u) ? `locked until ${when(u.lockedUntil)}` : u.failedLogins > 0 ? `${u.failedLogins} failed sign-ins` : 'active'}
                </td>
                <td>{when(u.createdAt)}</td>
                <td>
                  <div class="actions">
                    <button
                      type="button"
                      class="secondary"
                      aria-expanded={editing === u.username}
                      onClick={() => setEditing(editing === u.username ? undefined : u.username)}
                    >
                      Edit {u.username}
                    </button>
                    {locked(u) && (
                      <button
                        type="button"
                        class="secondary"
                        onClick={() => void act(api('PATCH', `/api/users/${encodeURIComponent(u.username)}`, { unlock: true }))}
                      >
                        Unlock
                      </button>
                    )}
                    {u.username !== me.username && (
                      <button type="button" class="danger" onClick={() => remove(u)}>
                        Delete {u.username}
                      </button>
                    )}
                  </div>
                </td>
              </tr>
              {editing === u.username && (
                <tr>
                  <td colSpan={7}>
                    <UserForm user={u} onSaved={() => (setEditing(undefined), users.reload())} onCancel={() => setEditing(undefined)} />
                  </td>
                </tr>
              )}
            </Fragment>
          ))}
        </tbody>
      </table>
      <h2>New user</h2>
      <UserForm onSaved={users.reload} />
    </Page>
  );
}
