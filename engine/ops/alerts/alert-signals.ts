import type { Collection } from 'mongodb';
import type { ChannelDefinition } from '../../channel.ts';
import type { ChannelStateRecord } from '../../channels/channel-store.ts';
import { FLOWS_COLLECTION, type StoredInstance } from '../../store/flows.store.ts';
import type { MessageState } from '../../store/message-state.ts';
import type { ReplayRecord } from '../../store/message-record.ts';
import { FlowStatus } from '../../flows/flow-states.ts';
import { queueDepths } from '../../metrics/queue-metrics.ts';
import type { DeliveryQueues } from '../../queue/delivery-queues.ts';
import { DeliveryStatus, ReplayState } from '../../store/states.ts';
import { REPLAYS_COLLECTION, STATES_COLLECTION, type Store } from '../../store/store.ts';
import { storeCall } from '../../store/store-call.ts';
import { inactivityWindow } from './active-hours.ts';
import type { AlertRuleDefinition } from './alert-api-types.ts';
import type { Reading, ReceivedReading } from './alert-conditions.ts';
import { certificateFiles, type CertificateReader } from './certificates.ts';
import { ReceivedCounts } from '../../store/received-counts.ts';

/** Replays read per pass for `replay-failed`: the newest. */
const REPLAYS_READ = 200;

export interface SignalSources {
  store: Store;
  deliveryQueues: DeliveryQueues;
  /** The channels deployed in this process (every process runs every deployed channel). */
  channels: ReadonlyMap<string, ChannelDefinition>;
  /** The flows this deployment runs. */
  flowIds: () => readonly string[];
  certificates: CertificateReader;
  httpsCertFile: string | undefined;
  env: NodeJS.ProcessEnv;
}

/**
 * What each kind of rule needs to know, read cheaply (the conditions are in alert-conditions.ts):
 * - queue depth, oldest waiting job: BullMQ's counts and queue heads (queueDepths), no store read;
 * - inactivity also reads the channel's state document (`channel_states`, by `_id`): silence is
 *   counted from its deployment;
 * - error rate, inactivity: the state documents by `receivedMinute` equality, one minute at a
 *   time (ReceivedCounts: totals of past minutes kept, failures counted by status, the newest
 *   message of a channel looked for newest minute first), never the whole collection;
 * - destination failing: states `{ unsettled: true, channelId, deliveries.<d>.status: retrying }`
 *   (`unsettled` is the relay's partial index: only messages in flight are read);
 * - flow step dead: flow instances `{ unsettled: true, flowId, status: stalled }`, counted;
 * - certificates: the files the deployed channels and HTTPS_CERT_FILE name (CertificateReader);
 * - failed replays: the newest replays in state `done`, without their lists of deliveries.
 * Throws STORE_UNAVAILABLE or QUEUE_UNAVAILABLE; the evaluator then leaves the rule's alerts as they are.
 */
export class AlertSignals {
  private readonly counts: ReceivedCounts;
  private readonly states: Collection<MessageState>;
  private readonly flows: Collection<StoredInstance>;
  private readonly channelStates: Collection<ChannelStateRecord>;

  constructor(private readonly o: SignalSources) {
    this.counts = new ReceivedCounts(o.store);
    this.states = o.store.collection<MessageState>(STATES_COLLECTION);
    this.flows = o.store.collection<StoredInstance>(FLOWS_COLLECTION);
    this.channelStates = o.store.collection<ChannelStateRecord>('channel_states');
  }

  async read(rule: AlertRuleDefinition, now: Date): Promise<Reading> {
    switch (rule.kind) {
      case 'queue-depth':
      case 'oldest-waiting':
        return { kind: rule.kind, queues: await this.queues() };
      case 'error-rate':
        return { kind: rule.kind, channels: await this.received(rule.channelId, rule.windowMs, now) };
      case 'inactivity': {
        const deployed = this.o.channels.has(rule.channelId);
        const window = deployed
          ? inactivityWindow(now, rule.silentForMs, rule.activeHours, await this.deployedAt(rule.channelId))
          : undefined;
        const received = window ? Number(await this.counts.any(rule.channelId, window.from, window.to)) : null;
        return { kind: rule.kind, channelId: rule.channelId, received, deployed };
      }
      case 'destination-failing':
        return { kind: rule.kind, destinations: await this.retrying(rule) };
      case 'flow-step-dead':
        return { kind: rule.kind, flows: await this.stalled(rule.flowId) };
      case 'certificate-expiry':
        return { kind: rule.kind, certificates: await this.o.certificates.read(this.certificateFiles()) };
      case 'replay-failed':
        return { kind: rule.kind, replays: await this.replays() };
      default:
        return rule satisfies never;
    }
  }

  /** The certificate files in use now. */
  certificateFiles() {
    return certificateFiles(this.o.channels.values(), this.o.httpsCertFile, this.o.env);
  }

  /** When the channel's deployment last changed (deployed, paused, resumed): silence is counted from then. */
  private async deployedAt(channelId: string): Promise<Date | undefined> {
    const state = await storeCall(
      () => this.channelStates.findOne({ _id: channelId }, { projection: { updatedAt: 1 } }),
      'alerts.channelState',
    );
    return state?.updatedAt;
  }

  private async queues() {
    const depths = await queueDepths(this.o.deliveryQueues.entries());
    return depths.map((d) => ({
      channelId: d.channelId,
      destinationId: d.destinationId,
      depth: d.jobs.waiting + d.jobs.prioritized + d.jobs.delayed,
      oldestWaitingMs: d.oldestWaitingSeconds === null ? null : Math.round(d.oldestWaitingSeconds * 1000),
    }));
  }

  /** Messages received in the window's whole minutes (one channel, or all), and how many are errored or dead now. */
  private async received(channelId: string | undefined, windowMs: number, now: Date): Promise<ReceivedReading[]> {
    const counts = await this.counts.lastMinutes(channelId, Math.ceil(windowMs / 60_000), now);
    return [{ channelId: channelId ?? '*', ...counts }];
  }

  private async retrying(rule: { channelId?: string; destinationId?: string }) {
    const targets = [...this.o.channels.values()]
      .filter((c) => !rule.channelId || c.id === rule.channelId)
      .flatMap((c) =>
        c.destinations
          .filter((d) => !rule.destinationId || d.id === rule.destinationId)
          .map((d) => ({ channelId: c.id, destinationId: d.id })),
      );
    return Promise.all(
      targets.map(async (t) => {
        const filter = { unsettled: true, channelId: t.channelId, [`deliveries.${t.destinationId}.status`]: DeliveryStatus.retrying };
        const retrying = await storeCall(() => this.states.countDocuments(filter as never), 'alerts.retrying');
        return { ...t, retrying };
      }),
    );
  }

  private async stalled(flowId: string | undefined) {
    const ids = flowId ? [flowId] : this.o.flowIds();
    return Promise.all(
      ids.map(async (id) => ({
        flowId: id,
        stalled: await storeCall(
          () => this.flows.countDocuments({ unsettled: true, flowId: id, status: FlowStatus.stalled }),
          'alerts.stalled',
        ),
      })),
    );
  }

  private async replays() {
    const done = await storeCall(
      () =>
        this.o.store
          .collection<ReplayRecord>(REPLAYS_COLLECTION)
          .find(
            { state: ReplayState.done },
            { projection: { deliveries: 0, refused: 0, selection: 0 }, sort: { at: -1 }, limit: REPLAYS_READ },
          )
          .toArray(),
      'alerts.replays',
    );
    return done
      .filter((r) => !r.dryRun && r.finishedAt)
      .map((r) => ({ replayId: r._id, selected: r.progress.selected, refused: r.progress.refused, finishedAt: r.finishedAt! }));
  }
}
