import { toSwitchboardError } from '../../errors.ts';
import { newMessageId } from '../../ids.ts';
import type { Logger } from '../../log.ts';
import type { RedisLease } from '../../queue/lease.ts';
import { AlertState, type NotificationEvent } from './alert-api-types.ts';
import { observe } from './alert-conditions.ts';
import type { AlertInstanceStore } from './alert-instance-store.ts';
import { webhookBody } from './alert-json.ts';
import { silences, type AlertInstanceRecord, type NotificationRecord, type SilenceRecord } from './alert-records.ts';
import { withDefaults } from './alert-rule-schema.ts';
import type { AlertRuleStore, AlertRuleVersion } from './alert-rule-store.ts';
import type { AlertSignals } from './alert-signals.ts';
import { stepAlert, type Observation } from './alert-state-machine.ts';
import type { AlertNotifier } from './alert-notifier.ts';

/**
 * Evaluates the enabled alert rules every `intervalMs`, in one process of the deployment at a time
 * (the relay's RedisLease, taken or renewed at each pass; a holder that dies hands over after three
 * intervals). A pass reads the rules, the open alerts and the silences, then for each rule its
 * signals (alert-signals.ts), its observations (alert-conditions.ts) and each subject's step
 * (alert-state-machine.ts); it writes the alerts that changed and queues their notifications in
 * the store for the notifier, which it kicks and never waits for. A rule whose signals cannot be
 * read keeps its alerts as they are until a pass can read them. Open alerts of a rule no longer
 * enabled are resolved without notification. Runs only where workers run (open-alerts.ts).
 */
export class AlertEvaluator {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private closing: Promise<void> | undefined;
  private started = false;
  /** Whether this process held the lease at its last pass (the notifier sends only then). */
  leader = false;

  constructor(
    private readonly o: {
      rules: AlertRuleStore;
      instances: AlertInstanceStore;
      signals: AlertSignals;
      notifier: AlertNotifier;
      lease: RedisLease;
      intervalMs: number;
      /** The notification channels configured (webhook, email). */
      channels: readonly NotificationRecord['channel'][];
      /** Names this deployment in notifications. */
      source: string;
      log: Logger;
    },
  ) {}

  start(): void {
    if (this.started) return;
    this.started = true;
    this.schedule(0);
  }

  /** Stops the passes, waits for the one running, gives the lease up. One promise for every caller. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.started = false;
      clearTimeout(this.timer);
      await this.running?.catch(() => undefined);
      if (this.leader) await this.o.lease.release().catch(() => undefined);
    })();
    return this.closing;
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      this.running = this.pass()
        .catch((err: unknown) => this.o.log.warn('alert evaluation failed', { code: toSwitchboardError(err).code }))
        .finally(() => {
          if (this.started) this.schedule(this.o.intervalMs);
        });
    }, ms);
    this.timer.unref();
  }

  /** One evaluation of every enabled rule, if this process holds the lease; false when another does. */
  async pass(now = new Date()): Promise<boolean> {
    this.leader = await this.o.lease.acquire().catch(() => false);
    if (!this.leader) return false;
    const started = performance.now();
    const [rules, open, allSilences] = await Promise.all([this.o.rules.enabled(), this.o.instances.open(), this.o.instances.allSilences()]);
    const active = allSilences.filter((s) => !s.endedAt && s.until.getTime() > now.getTime());
    for (const rule of rules) {
      if (!this.started && this.closing) break;
      await this.evaluate(
        rule,
        open.filter((a) => a.ruleId === rule.id),
        active,
        now,
      );
    }
    const enabled = new Set(rules.map((r) => r.id));
    for (const orphan of open.filter((a) => !enabled.has(a.ruleId))) await this.retire(orphan, now);
    this.o.notifier.kick();
    this.o.log.debug('alert evaluation pass', { rules: rules.length, open: open.length, ms: Math.round(performance.now() - started) });
    // The holder keeps the lease through its rest, so no other process evaluates meanwhile (as the relay).
    this.leader = await this.o.lease.holdFor(this.o.intervalMs + this.o.lease.ttlMs).catch(() => false);
    return true;
  }

  /** One rule: its signals read, each subject observed now or open before stepped. */
  private async evaluate(rule: AlertRuleVersion, openOfRule: AlertInstanceRecord[], silenced: SilenceRecord[], now: Date): Promise<void> {
    let observations: Observation[];
    try {
      observations = observe(rule.definition, await this.o.signals.read(rule.definition, now), now);
    } catch (err) {
      this.o.log.warn('alert rule not evaluated', { ruleId: rule.id, code: toSwitchboardError(err).code });
      return;
    }
    const settings = withDefaults(rule.definition);
    const timing = { id: rule.id, version: rule.version, kind: rule.definition.kind, ...settings };
    const current = await this.bySubject(openOfRule, now);
    const open = [...current.values()];
    const seen = new Set(observations.map((o) => o.subjectKey));
    // A subject open before and not observed now (a channel undeployed meanwhile): its condition no longer holds.
    const gone = open.filter((a) => !seen.has(a.subjectKey)).map((a) => ({ ...observationOf(a), active: false }));
    for (const observation of [...observations, ...gone]) {
      const alert = current.get(observation.subjectKey);
      const isSilenced = silenced.some((s) => silences(s, rule.id, alert?._id, now));
      const step = stepAlert({ current: alert, observation, rule: timing, now, silenced: isSilenced, newId: () => newMessageId() });
      if (step.dropped && alert) await this.o.instances.drop(alert._id);
      if (step.next) await this.o.instances.put(step.next);
      if (step.notify && step.next) await this.queue(step.next, step.notify.event, step.notify.suppressed, settings.notify);
      if (step.next && step.next.state !== alert?.state)
        this.o.log.info('alert', { ruleId: rule.id, alertId: step.next._id, subject: observation.subjectKey, state: step.next.state });
    }
  }

  /**
   * The open alerts of a rule by subject. Two of one subject (two holders overlapped after a pause
   * longer than the lease): the newer goes on, the older is retired.
   */
  private async bySubject(open: AlertInstanceRecord[], now: Date): Promise<Map<string, AlertInstanceRecord>> {
    const current = new Map<string, AlertInstanceRecord>();
    for (const a of [...open].sort((x, y) => x.startedAt.getTime() - y.startedAt.getTime())) {
      const older = current.get(a.subjectKey);
      if (older) await this.retire(older, now);
      current.set(a.subjectKey, a);
    }
    return current;
  }

  /** Queues the notification of an event on each channel the rule names and this deployment has. */
  private async queue(alert: AlertInstanceRecord, event: NotificationEvent, suppressed: boolean, notify: readonly string[]): Promise<void> {
    const now = new Date();
    for (const channel of this.o.channels.filter((c) => notify.includes(c))) {
      await this.o.instances.queue({
        _id: newMessageId(),
        alertId: alert._id,
        ruleId: alert.ruleId,
        event,
        channel,
        state: suppressed ? 'suppressed' : 'pending',
        body: webhookBody(alert, event, this.o.source, now),
        attempts: 0,
        createdAt: now,
        updatedAt: now,
      });
    }
  }

  /** An open alert of a rule disabled or undeployed: resolved, without notification. */
  private async retire(alert: AlertInstanceRecord, now: Date): Promise<void> {
    const { open: _open, ...closed } = alert;
    if (alert.state === AlertState.pending) return this.o.instances.drop(alert._id);
    await this.o.instances.put({
      ...closed,
      state: AlertState.resolved,
      resolvedAt: now,
      lastEvaluatedAt: now,
      history: [...alert.history, { state: AlertState.resolved, at: now, value: alert.value }],
    });
  }
}

/** An open alert's last observation (for a subject no longer observed). */
const observationOf = (a: AlertInstanceRecord): Observation => ({
  subjectKey: a.subjectKey,
  subject: a.subject,
  active: false,
  value: a.value,
  threshold: a.threshold,
  summary: a.summary,
});
