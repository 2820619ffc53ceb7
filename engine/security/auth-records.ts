import type { Role } from './roles.ts';

/** The store's records of users, console sessions and API tokens (AuthService), and what an administrator sees of a user. */

export interface UserRecord {
  _id: string;
  passwordHash: string;
  role: Role;
  channels: '*' | string[];
  phi: boolean;
  /** Sign-in attempts counted in the current series (LoginAttempts), shown to administrators. */
  failedLogins: number;
  lockedUntil?: Date;
  /** The current series of sign-in attempts (LoginAttempts). */
  loginEpoch?: string;
  /** Set by an administrator: no sign-in, and no session or token of theirs is honoured. */
  disabled?: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface SessionRecord {
  /** SHA-256 of the session token: a stolen database does not give working sessions. */
  _id: string;
  username: string;
  csrfToken: string;
  createdAt: Date;
  lastSeenAt: Date;
}

export interface ApiTokenRecord {
  /** SHA-256 of the token, which is shown once and never stored. */
  _id: string;
  /** Public handle for listing and revoking. */
  id: string;
  name: string;
  username: string;
  createdAt: Date;
}

/** What `updateUser` may change; each is optional. */
export interface UserChanges {
  password?: string;
  role?: Role;
  channels?: '*' | string[];
  phi?: boolean;
  unlock?: boolean;
  /** true ends the user's sessions and tokens and refuses their sign-ins; false lets them in again. */
  disabled?: boolean;
}

export type UserView = Omit<UserRecord, 'passwordHash' | '_id' | 'loginEpoch'> & { username: string };

export const toUserView = ({ _id, passwordHash: _hash, loginEpoch: _epoch, ...rest }: UserRecord): UserView => ({ username: _id, ...rest });
