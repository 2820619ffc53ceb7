import type { RetryPolicy } from '../../channel.ts';
import { SwitchboardError, toSwitchboardError } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import { decideRetry } from '../../retry-policy.ts';
import type { AlertInstanceStore } from './alert-instance-store.ts';
import type { NotificationRecord } from './alert-records.ts';
import type { NotificationSender } from './notification-senders.ts';

/** Notifications sent at once. */
const CONCURRENCY = 4;
/** Longest sleep between two looks at the outbox when nothing is due sooner. */
const IDLE_MS = 30_000;

/**
 * Sends the notifications the evaluator queued in the store (the outbox: `alert_notifications` in
 * state pending), apart from the evaluation, which only queues them and kicks this. Each attempt
 * is recorded; a failure is classified by its code and retried with the delivery retry policy
 * (decideRetry: exponential backoff with jitter, Retry-After honoured; a webhook or e-mail is
 * idempotent by its notification id, so an ambiguous failure is retried too) until sent, or
 * failed for good (permanent, or out of attempts). Runs only while `active()` (this process holds
 * the alerts' lease), so one process sends; a process that dies leaves pending notifications to
 * the next holder (at least once). `close()` stops it and waits for the attempts in flight (each
 * bounded to 10 s by its sender).
 */
export class AlertNotifier {
  private timer: NodeJS.Timeout | undefined;
  private draining: Promise<void> | undefined;
  private again = false;
  private closed = false;

  constructor(
    private readonly o: {
      instances: AlertInstanceStore;
      senders: Partial<Record<NotificationRecord['channel'], NotificationSender>>;
      policy: RetryPolicy;
      active: () => boolean;
      log: Logger;
    },
  ) {}

  /** Looks at the outbox now (or once the drain in progress ends). Never throws, never waits. */
  kick(): void {
    if (this.closed) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = this.drain()
      .catch((err: unknown) => void this.o.log.warn('alert notifications not read', { code: toSwitchboardError(err).code }))
      .finally(() => {
        this.draining = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.draining;
    await Promise.all(Object.values(this.o.senders).map((s) => s.close().catch(() => undefined)));
  }

  private async drain(): Promise<void> {
    if (!this.o.active()) return;
    const now = Date.now();
    const unsettled = await this.o.instances.unsettledNotifications();
    const due = unsettled.filter((n) => n.state === 'pending' || (n.nextAttemptAt?.getTime() ?? 0) <= now);
    for (let i = 0; i < due.length && !this.closed; i += CONCURRENCY)
      await Promise.all(due.slice(i, i + CONCURRENCY).map((n) => this.attempt(n)));
    const later = unsettled.filter((n) => !due.includes(n)).map((n) => n.nextAttemptAt?.getTime() ?? now);
    this.schedule(Math.min(IDLE_MS, ...later.map((t) => Math.max(10, t - Date.now()))));
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.kick(), ms);
    this.timer.unref();
  }

  /** One attempt of one notification, its outcome recorded. */
  private async attempt(n: NotificationRecord): Promise<void> {
    const attempts = n.attempts + 1;
    const sender = this.o.senders[n.channel];
    try {
      if (!sender) throw new SwitchboardError('CONFIG_INVALID', `no ${n.channel} notifications are configured`);
      await sender.send(n);
      await this.o.instances.settleNotification(n._id, { state: 'sent', attempts });
      this.o.log.info('alert notification sent', { alertId: n.alertId, ruleId: n.ruleId, event: n.event, channel: n.channel, attempts });
    } catch (err) {
      const e = toSwitchboardError(err);
      const decision = decideRetry({
        policy: this.o.policy,
        failureClass: e.failureClass,
        attempt: attempts,
        idempotent: true,
        ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}),
      });
      const base = { attempts, lastErrorCode: e.code };
      if (decision.retry)
        await this.o.instances.settleNotification(n._id, {
          ...base,
          state: 'retrying',
          nextAttemptAt: new Date(Date.now() + decision.delayMs),
        });
      else await this.o.instances.settleNotification(n._id, { ...base, state: 'failed' });
      const fields = { alertId: n.alertId, channel: n.channel, event: n.event, attempts, code: e.code };
      this.o.log.warn(decision.retry ? 'alert notification failed, will retry' : 'alert notification failed', fields);
    }
  }
}
