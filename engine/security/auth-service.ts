import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Collection } from 'mongodb';
import { AuditAction, type AuditLog } from '../audit/audit-log.ts';
import type { SecurityConfig } from '../config/security-config.ts';
import { SwitchboardError } from '../errors.ts';
import { type Store } from '../store/store.ts';
import { isDuplicateKey, storeCall } from '../store/store-call.ts';
import { LoginAttempts } from './login-attempts.ts';
import { hashPassword, passwordProblem, verifyPassword } from './passwords.ts';
import type { Principal, Role } from './roles.ts';
import type { ApiTokenRecord, SessionRecord, UserChanges, UserRecord, UserView } from './auth-records.ts';
import { toUserView } from './auth-records.ts';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const token = (prefix: string) => `${prefix}_${randomBytes(32).toString('base64url')}`;
/** Verified against for unknown users, so a sign-in takes as long whether or not the name exists. */
const DUMMY_HASH = hashPassword(randomBytes(16).toString('hex'));
/** lastSeenAt is written at most this often: an idle timeout accurate to a minute, not a write per request. */
const TOUCH_EVERY_MS = 60_000;

/**
 * Local users, console sessions and API tokens, in the store. Sessions and tokens are looked up by
 * the SHA-256 of what the client holds. A sign-in that fails LOGIN_MAX_FAILURES times in a row locks
 * the account for LOGIN_LOCK_MINUTES, however concurrent the attempts (each is counted atomically
 * before its password is checked: LoginAttempts); every sign-in, failed or not, is audited. Errors: BAD_REQUEST
 * for a refused password or name, CONFLICT for an existing user, STORE_UNAVAILABLE.
 */
export class AuthService {
  readonly users: Collection<UserRecord>;
  private readonly sessions: Collection<SessionRecord>;
  private readonly tokens: Collection<ApiTokenRecord>;
  private readonly settings: Collection<{ _id: string; hash: string; createdAt: Date }>;
  private readonly attempts: LoginAttempts;

  constructor(private readonly o: { store: Store; audit: AuditLog; config: SecurityConfig; announce: (line: string) => void }) {
    this.users = o.store.collection('users');
    this.sessions = o.store.collection('sessions');
    this.tokens = o.store.collection('api_tokens');
    this.settings = o.store.collection('settings');
    this.attempts = new LoginAttempts(o.store, o.config.LOGIN_MAX_FAILURES);
  }

  /**
   * Creates the first administrator when there is no user: from SWITCHBOARD_ADMIN_PASSWORD, or else
   * by a one-time setup token handed to `announce` (printed once) and redeemed at POST /api/auth/setup.
   */
  async start(): Promise<void> {
    await storeCall(() => this.tokens.createIndex({ id: 1 }, { name: 'public_id', unique: true }), 'auth.createIndex');
    await this.attempts.start();
    if ((await storeCall(() => this.users.countDocuments({}, { limit: 1 }), 'auth.countUsers')) > 0) return;
    const { SWITCHBOARD_ADMIN_USER: name, SWITCHBOARD_ADMIN_PASSWORD: password } = this.o.config;
    if (password) {
      await this.createUser({ username: name, password, role: 'admin', channels: '*', phi: true }, 'system');
      return;
    }
    const setup = token('sbsetup');
    await storeCall(
      () => this.settings.replaceOne({ _id: 'setup-token' }, { hash: sha256(setup), createdAt: new Date() }, { upsert: true }),
      'auth.saveSetupToken',
    );
    this.o.announce(`No administrator exists yet. Create one with this one-time setup token (shown once): ${setup}`);
  }

  /** Redeems the setup token once, while no user exists, creating the first administrator. */
  async setup(o: { setupToken: string; username: string; password: string; sourceIp?: string }): Promise<boolean> {
    const stored = await storeCall(() => this.settings.findOne({ _id: 'setup-token' }), 'auth.getSetupToken');
    const given = Buffer.from(sha256(o.setupToken));
    if (
      !stored ||
      !timingSafeEqual(given, Buffer.from(stored.hash)) ||
      (await storeCall(() => this.users.countDocuments({}, { limit: 1 }), 'auth.countUsers')) > 0
    )
      return false;
    const removed = await storeCall(() => this.settings.deleteOne({ _id: 'setup-token', hash: stored.hash }), 'auth.useSetupToken');
    if (removed.deletedCount !== 1) return false;
    await this.createUser({ username: o.username, password: o.password, role: 'admin', channels: '*', phi: true }, o.username);
    await this.o.audit.append({
      actor: o.username,
      action: AuditAction.setup,
      outcome: 'success',
      target: `user:${o.username}`,
      ...(o.sourceIp ? { sourceIp: o.sourceIp } : {}),
    });
    return true;
  }

  async createUser(
    u: { username: string; password: string; role: Role; channels: '*' | string[]; phi: boolean },
    actor: string,
  ): Promise<UserView> {
    const problem = passwordProblem(u.password);
    if (problem) throw new SwitchboardError('BAD_REQUEST', problem);
    const now = new Date();
    const record: UserRecord = {
      _id: u.username,
      passwordHash: await hashPassword(u.password),
      role: u.role,
      channels: u.channels,
      phi: u.phi,
      failedLogins: 0,
      loginEpoch: LoginAttempts.newEpoch(),
      createdAt: now,
      updatedAt: now,
    };
    try {
      await this.users.insertOne(record);
    } catch (err) {
      if (isDuplicateKey(err)) throw new SwitchboardError('CONFLICT', `user ${u.username} exists`);
      throw new SwitchboardError('STORE_UNAVAILABLE', 'user insert failed', { cause: err });
    }
    await this.o.audit.append({
      actor,
      action: AuditAction.userCreate,
      outcome: 'success',
      target: `user:${u.username}`,
      details: { role: u.role, channels: u.channels, phi: u.phi },
    });
    return toUserView(record);
  }

  /**
   * Checks a password. Returns the new session's token and CSRF token, or undefined (wrong name or
   * password, or locked: one answer for all, so names cannot be probed). Audited either way.
   * Every attempt is counted as a failure before its password is checked (a slot taken atomically,
   * see LoginAttempts.countFor), and given back only by succeeding, so attempts sent all at once lock the account
   * as surely as attempts sent one by one: the LOGIN_MAX_FAILURES-th failure in a row locks it for
   * LOGIN_LOCK_MINUTES, and no password is checked past that count.
   */
  async login(o: {
    username: string;
    password: string;
    sourceIp?: string;
  }): Promise<{ sessionToken: string; csrfToken: string; user: UserView } | undefined> {
    const ip = o.sourceIp ? { sourceIp: o.sourceIp } : {};
    const max = this.o.config.LOGIN_MAX_FAILURES;
    const { user, attempt } = await this.attempts.countFor(o.username);
    const disabled = Boolean(user?.disabled);
    const locked = Boolean(user && (attempt > max || (user.lockedUntil && user.lockedUntil > new Date())));
    const checked = user !== null && !disabled && !locked;
    // A refused or unknown name is checked against a dummy hash: the answer takes as long either way.
    const matches = (await verifyPassword(o.password, checked ? user.passwordHash : await DUMMY_HASH)) && checked;
    if (!matches) {
      const lockedNow = user !== null && !disabled && attempt >= max && !(user.lockedUntil && user.lockedUntil > new Date());
      if (lockedNow)
        await storeCall(
          () =>
            this.users.updateOne(
              { _id: user._id },
              { $set: { failedLogins: max, lockedUntil: new Date(Date.now() + this.o.config.LOGIN_LOCK_MINUTES * 60_000) } },
            ),
          'auth.lockUser',
        );
      const reason = !user
        ? 'unknown user'
        : disabled
          ? 'account disabled'
          : locked
            ? 'account locked'
            : lockedNow
              ? 'wrong password; account now locked'
              : 'wrong password';
      await this.o.audit.append({
        actor: o.username.slice(0, 64),
        action: AuditAction.loginFailed,
        outcome: 'denied',
        details: { reason },
        ...ip,
      });
      return undefined;
    }
    await this.attempts.reset(user._id);
    const sessionToken = token('sbs');
    const csrfToken = randomBytes(24).toString('base64url');
    const now = new Date();
    await storeCall(
      () => this.sessions.insertOne({ _id: sha256(sessionToken), username: user._id, csrfToken, createdAt: now, lastSeenAt: now }),
      'auth.insertSession',
    );
    await this.o.audit.append({ actor: user._id, action: AuditAction.login, outcome: 'success', ...ip });
    return { sessionToken, csrfToken, user: toUserView(user) };
  }

  /**
   * Counts a sign-in attempt before its password is checked (LoginAttempts: one slot per attempt,
   * taken atomically). A lock that has run out starts a new series first. `failedLogins` on the
   * user's document shows the count; the slots decide. user null: no such user.
   */
  /** The session's user and CSRF token, or undefined when unknown, idle too long or too old (then it is removed). */
  async fromSession(sessionToken: string): Promise<{ principal: Principal; csrfToken: string } | undefined> {
    const session = await storeCall(() => this.sessions.findOne({ _id: sha256(sessionToken) }), 'auth.getSession');
    if (!session) return undefined;
    const now = Date.now();
    const idle = now - session.lastSeenAt.getTime() > this.o.config.SESSION_IDLE_MINUTES * 60_000;
    const old = now - session.createdAt.getTime() > this.o.config.SESSION_MAX_HOURS * 3_600_000;
    if (idle || old) {
      await storeCall(() => this.sessions.deleteOne({ _id: session._id }), 'auth.deleteSession');
      return undefined;
    }
    if (now - session.lastSeenAt.getTime() > TOUCH_EVERY_MS)
      await storeCall(() => this.sessions.updateOne({ _id: session._id }, { $set: { lastSeenAt: new Date(now) } }), 'auth.touchSession');
    const principal = await this.principal(session.username, 'session');
    return principal ? { principal, csrfToken: session.csrfToken } : undefined;
  }

  async fromApiToken(apiToken: string): Promise<Principal | undefined> {
    const record = await storeCall(() => this.tokens.findOne({ _id: sha256(apiToken) }), 'auth.getToken');
    return record ? this.principal(record.username, 'token') : undefined;
  }

  async logout(sessionToken: string): Promise<void> {
    await storeCall(() => this.sessions.deleteOne({ _id: sha256(sessionToken) }), 'auth.deleteSession');
  }

  /**
   * Changes a user (`PATCH /api/users/:username`, `switchboard users …`): role, channel scope, PHI
   * permission, password, unlock, disable or enable. Audited as `user.update` with what changed
   * (a password only as changed). A new password or disabling ends the user's sessions and tokens.
   * NOT_FOUND for an unknown user; BAD_REQUEST for a password the policy refuses.
   */
  async updateUser(username: string, u: UserChanges, actor: { username: string; sourceIp?: string }): Promise<UserView> {
    const before = await storeCall(() => this.users.findOne({ _id: username }), 'auth.getUser');
    if (!before) throw new SwitchboardError('NOT_FOUND', 'no such user');
    const { password, unlock, ...changes } = u;
    const set: Record<string, unknown> = { ...changes, updatedAt: new Date() };
    if (password !== undefined) {
      const problem = passwordProblem(password);
      if (problem) throw new SwitchboardError('BAD_REQUEST', problem);
      set.passwordHash = await hashPassword(password);
    }
    await storeCall(() => this.users.updateOne({ _id: username }, { $set: set }), 'auth.updateUser');
    if (unlock) await this.attempts.reset(username);
    if (password !== undefined || changes.disabled) await this.revokeAll(username);
    const was: Record<string, unknown> = { disabled: false, ...before };
    const diff: { field: string; before: unknown; after: unknown }[] = Object.entries(changes).map(([field, after]) => ({
      field,
      before: was[field],
      after,
    }));
    if (password !== undefined) diff.push({ field: 'password', before: '[set]', after: '[changed]' });
    if (unlock) diff.push({ field: 'lockedUntil', before: before.lockedUntil ?? null, after: null });
    await this.o.audit.append({
      actor: actor.username,
      action: AuditAction.userUpdate,
      outcome: 'success',
      target: `user:${username}`,
      details: { diff },
      ...(actor.sourceIp !== undefined ? { sourceIp: actor.sourceIp } : {}),
    });
    return toUserView((await storeCall(() => this.users.findOne({ _id: username }), 'auth.getUser'))!);
  }

  /** A new API token for `username`, audited as `token.create` by `actor` (`POST /api/tokens`, `switchboard tokens create`). */
  async issueApiToken(o: {
    username: string;
    name: string;
    actor: string;
    sourceIp?: string;
  }): Promise<{ id: string; name: string; token: string }> {
    const created = await this.createApiToken(o.username, o.name);
    await this.o.audit.append({
      actor: o.actor,
      action: AuditAction.tokenCreate,
      outcome: 'success',
      target: `token:${created.id}`,
      details: { name: created.name, ...(o.actor !== o.username ? { user: o.username } : {}) },
      ...(o.sourceIp !== undefined ? { sourceIp: o.sourceIp } : {}),
    });
    return created;
  }

  /** A new API token for `username`: returned once, stored only as its hash (not audited: see issueApiToken). */
  async createApiToken(username: string, name: string): Promise<{ id: string; name: string; token: string }> {
    const secret = token('sbt');
    const id = randomBytes(6).toString('hex');
    await storeCall(() => this.tokens.insertOne({ _id: sha256(secret), id, name, username, createdAt: new Date() }), 'auth.insertToken');
    return { id, name, token: secret };
  }

  async listApiTokens(username: string): Promise<Omit<ApiTokenRecord, '_id'>[]> {
    return storeCall(() => this.tokens.find({ username }, { projection: { _id: 0 } }).toArray(), 'auth.listTokens');
  }

  async revokeApiToken(username: string, id: string): Promise<boolean> {
    return (await storeCall(() => this.tokens.deleteOne({ username, id }), 'auth.deleteToken')).deletedCount === 1;
  }

  /** Ends every session and token of a user (deleted, or password changed). */
  async revokeAll(username: string): Promise<void> {
    await storeCall(() => this.sessions.deleteMany({ username }), 'auth.deleteSessions');
    await storeCall(() => this.tokens.deleteMany({ username }), 'auth.deleteTokens');
  }

  private async principal(username: string, via: Principal['via']): Promise<Principal | undefined> {
    const user = await storeCall(
      () => this.users.findOne({ _id: username }, { projection: { role: 1, channels: 1, phi: 1, disabled: 1 } }),
      'auth.getPrincipal',
    );
    return user && !user.disabled ? { username, role: user.role, channels: user.channels, phi: user.phi, via } : undefined;
  }
}
