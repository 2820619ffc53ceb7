import { useState } from 'preact/hooks';
import { ApiError, signIn } from '../api.ts';
import { ErrorNote } from '../ui.tsx';

/** Sign-in: one answer for every refusal (the API does not say which part was wrong). */
export function Login({ onSignedIn }: { onSignedIn(): void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await signIn(username, password);
      onSignedIn();
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 429
          ? 'Too many attempts from this address; wait a minute.'
          : 'Wrong user name or password, or the account is locked.',
      );
      setBusy(false);
    }
  };

  return (
    <main class="login">
      <form class="card" onSubmit={submit}>
        <h1>Switchboard</h1>
        <label for="username">User name</label>
        <input
          id="username"
          name="username"
          autoComplete="username"
          required
          value={username}
          onInput={(e) => setUsername(e.currentTarget.value)}
          autoFocus
        />
        <label for="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        <ErrorNote error={error} />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
