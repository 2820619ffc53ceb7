import type { Collection, Filter } from 'mongodb';
import type { Store } from '../../store/store.ts';
import { storeCall } from '../../store/store-call.ts';
import type { AlertState } from './alert-api-types.ts';
import {
  ALERT_INSTANCES_COLLECTION,
  ALERT_NOTIFICATIONS_COLLECTION,
  ALERT_SILENCES_COLLECTION,
  type AlertInstanceRecord,
  type NotificationRecord,
  type SilenceRecord,
} from './alert-records.ts';

/** At most this many instances in one history page. */
export const MAX_HISTORY = 500;

/**
 * The alerts' state in the store: instances (open ones carry `open: true`), the notifications'
 * outbox and record, and silences. Each read filters by equality on one top-level field (`open`,
 * `ruleId`, `alertId`, `state`, `_id`), which FerretDB passes down to PostgreSQL; sorting happens
 * on the few documents that match. On MongoDB the indexes made in `start` serve them. Every failure
 * is STORE_UNAVAILABLE.
 */
export class AlertInstanceStore {
  private readonly instances: Collection<AlertInstanceRecord>;
  private readonly notifications: Collection<NotificationRecord>;
  private readonly silences: Collection<SilenceRecord>;

  constructor(store: Store) {
    this.instances = store.collection(ALERT_INSTANCES_COLLECTION);
    this.notifications = store.collection(ALERT_NOTIFICATIONS_COLLECTION);
    this.silences = store.collection(ALERT_SILENCES_COLLECTION);
  }

  async start(): Promise<void> {
    const index = (c: Collection<never>, key: Record<string, 1 | -1>, name: string, sparse = false) =>
      storeCall(() => c.createIndex(key, { name, ...(sparse ? { sparse } : {}) }), 'alerts.createIndex');
    await index(this.instances as never, { open: 1 }, 'open', true);
    await index(this.instances as never, { ruleId: 1, startedAt: -1 }, 'rule_started');
    await index(this.notifications as never, { alertId: 1 }, 'alert');
    await index(this.notifications as never, { state: 1 }, 'state');
  }

  /** The alerts pending or firing now. */
  open(): Promise<AlertInstanceRecord[]> {
    return storeCall(() => this.instances.find({ open: true }).toArray(), 'alerts.open');
  }

  /** Writes an instance after a step (whole: a few hundred bytes). */
  async put(instance: AlertInstanceRecord): Promise<void> {
    await storeCall(() => this.instances.replaceOne({ _id: instance._id }, instance, { upsert: true }), 'alerts.put');
  }

  /** Removes a pending alert whose condition cleared before it fired. */
  async drop(id: string): Promise<void> {
    await storeCall(() => this.instances.deleteOne({ _id: id }), 'alerts.drop');
  }

  async get(id: string): Promise<AlertInstanceRecord | undefined> {
    return (await storeCall(() => this.instances.findOne({ _id: id }), 'alerts.get')) ?? undefined;
  }

  /**
   * Instances newest first: of one rule (by `ruleId`), or of every rule; optionally in one state.
   * Without a rule the whole (small) collection is read and sorted here: alerts are few.
   */
  async history(o: { ruleId?: string; state?: AlertState; limit: number }): Promise<AlertInstanceRecord[]> {
    const filter: Filter<AlertInstanceRecord> = { ...(o.ruleId ? { ruleId: o.ruleId } : {}), ...(o.state ? { state: o.state } : {}) };
    const found = await storeCall(() => this.instances.find(filter).toArray(), 'alerts.history');
    return found.sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime()).slice(0, Math.min(o.limit, MAX_HISTORY));
  }

  async queue(n: NotificationRecord): Promise<void> {
    await storeCall(() => this.notifications.insertOne(n), 'alerts.queueNotification');
  }

  /** Notifications not yet settled: pending, and retrying ones (whether due or not). */
  async unsettledNotifications(): Promise<NotificationRecord[]> {
    const [pending, retrying] = await Promise.all(
      (['pending', 'retrying'] as const).map((state) =>
        storeCall(() => this.notifications.find({ state }).toArray(), 'alerts.unsettledNotifications'),
      ),
    );
    return [...pending!, ...retrying!].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  /** Records an attempt's outcome. */
  async settleNotification(id: string, set: Pick<NotificationRecord, 'state' | 'attempts'> & Partial<NotificationRecord>): Promise<void> {
    const unset = set.state === 'retrying' ? {} : { $unset: { nextAttemptAt: '' as const } };
    await storeCall(
      () => this.notifications.updateOne({ _id: id }, { $set: { ...set, updatedAt: new Date() }, ...unset }),
      'alerts.settleNotification',
    );
  }

  /** The notifications of one alert, oldest first. */
  async notificationsOf(alertId: string): Promise<NotificationRecord[]> {
    const found = await storeCall(() => this.notifications.find({ alertId }).toArray(), 'alerts.notificationsOf');
    return found.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  async addSilence(s: SilenceRecord): Promise<void> {
    await storeCall(() => this.silences.insertOne(s), 'alerts.addSilence');
  }

  /** Every silence, newest first (silences are few: each one an operator's act). */
  async allSilences(): Promise<SilenceRecord[]> {
    const found = await storeCall(() => this.silences.find({}).toArray(), 'alerts.silences');
    return found.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  }

  async getSilence(id: string): Promise<SilenceRecord | undefined> {
    return (await storeCall(() => this.silences.findOne({ _id: id }), 'alerts.getSilence')) ?? undefined;
  }

  /** Ends a silence early; false when it was already ended. */
  async endSilence(id: string, by: string): Promise<boolean> {
    const res = await storeCall(
      () => this.silences.updateOne({ _id: id, endedAt: { $exists: false } }, { $set: { endedAt: new Date(), endedBy: by } }),
      'alerts.endSilence',
    );
    return res.modifiedCount === 1;
  }
}
