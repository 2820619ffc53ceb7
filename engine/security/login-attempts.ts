import { randomUUID } from 'node:crypto';
import type { Collection } from 'mongodb';
import { SwitchboardError } from '../errors.ts';
import { type Store } from '../store/store.ts';
import { isDuplicateKey, storeCall } from '../store/store-call.ts';
import type { UserRecord } from './auth-records.ts';

/** One counted sign-in attempt: slot `n` (1…max) of the user's current series. */
interface AttemptSlot {
  /** `<username>/<epoch>/<n>`: unique, so two attempts can never take the same slot. */
  _id: string;
  username: string;
  epoch: string;
  at: Date;
}

/** What the counter needs of a user's document. */
export interface AttemptState {
  _id: string;
  /** The current series of attempts; a new one starts at sign-in, unlock, or when a lock runs out. */
  loginEpoch?: string;
  lockedUntil?: Date;
}

/**
 * Counts sign-in attempts per user before their passwords are checked, so that attempts sent all at
 * once are counted as surely as attempts sent one by one. Each attempt takes the first free slot of
 * the user's series by inserting a document with a unique `_id`: the one write FerretDB 1.x performs
 * atomically under concurrency (its `$inc`, `findOneAndUpdate` and conditional updates read, change
 * and write back, losing concurrent updates; measured on 1.24.2). An attempt that finds the
 * `max` slots taken is refused unchecked. Slots of ended series are deleted.
 */
export class LoginAttempts {
  private readonly slots: Collection<AttemptSlot>;

  private readonly users: Collection<UserRecord>;

  constructor(
    store: Store,
    private readonly max: number,
  ) {
    this.slots = store.collection('login_attempts');
    this.users = store.collection('users');
  }

  async start(): Promise<void> {
    await storeCall(() => this.slots.createIndex({ username: 1, epoch: 1 }, { name: 'user_epoch' }), 'logins.createIndex');
  }

  /** A new series for a new user, or after a sign-in or an unlock. */
  static newEpoch(): string {
    return randomUUID();
  }

  /**
   * The series an attempt counts in: the user's, or, when their lock has run out, the series that
   * follows it. Every process computes the same one from the expired lock, so concurrent attempts
   * agree without a compare-and-set.
   */
  static epochOf(user: AttemptState, now = new Date()): string {
    if (user.lockedUntil && user.lockedUntil <= now) return `after-${user.lockedUntil.getTime()}`;
    return user.loginEpoch ?? '';
  }

  /** Counts one attempt in `epoch`: its slot number, or `max + 1` when every slot is taken. */
  async count(username: string, epoch: string): Promise<number> {
    for (let n = 1; n <= this.max; n++) {
      try {
        await this.slots.insertOne({ _id: `${username}/${epoch}/${n}`, username, epoch, at: new Date() });
        return n;
      } catch (err) {
        if (!isDuplicateKey(err)) throw new SwitchboardError('STORE_UNAVAILABLE', 'sign-in attempt not counted', { cause: err });
      }
    }
    return this.max + 1;
  }

  /** Deletes the user's slots of every series but `keep` (none when omitted). */
  async forget(username: string, keep?: string): Promise<void> {
    await storeCall(
      () => this.slots.deleteMany(keep === undefined ? { username } : { username, epoch: { $ne: keep } }),
      'logins.clearSlots',
    );
  }

  /**
   * Counts one sign-in attempt of `username` before its password is checked: the user (null when
   * unknown, then nothing is counted) and the attempt's number in the current series. A lock that has
   * run out starts the next series. The user's `failedLogins` shows the count, up to `max`.
   */
  async countFor(username: string): Promise<{ user: UserRecord | null; attempt: number }> {
    const user = await storeCall(() => this.users.findOne({ _id: username }), 'logins.getUser');
    if (!user) return { user, attempt: 0 };
    const epoch = LoginAttempts.epochOf(user);
    if (epoch !== (user.loginEpoch ?? '')) {
      const restart = { $set: { loginEpoch: epoch, failedLogins: 0 }, $unset: { lockedUntil: '' as const } };
      await storeCall(() => this.users.updateOne({ _id: username }, restart), 'logins.restart');
      await this.forget(username, epoch);
      delete user.lockedUntil;
    }
    const attempt = await this.count(username, epoch);
    if (attempt <= this.max)
      await storeCall(() => this.users.updateOne({ _id: username }, { $set: { failedLogins: attempt } }), 'logins.count');
    return { user, attempt };
  }

  /** A new series for `username` (after a sign-in or an unlock): no failures, no lock. */
  async reset(username: string): Promise<void> {
    const epoch = LoginAttempts.newEpoch();
    const fresh = { $set: { failedLogins: 0, loginEpoch: epoch }, $unset: { lockedUntil: '' as const } };
    await storeCall(() => this.users.updateOne({ _id: username }, fresh), 'logins.reset');
    await this.forget(username, epoch);
  }
}
