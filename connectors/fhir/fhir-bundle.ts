import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Bundle, BundleEntry, OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { ChannelDefinition } from '../../engine/channel.ts';
import type { Intake } from '../../engine/connector.ts';
import { errorOutcome, issue, outcome } from '../../engine/fhir/operation-outcome.ts';
import { transactionContentKey } from './transaction-key.ts';
import type { FhirValidatorPool } from './fhir.validator-pool.ts';
import { scopeAllows } from '../../engine/security/smart-auth.ts';
import { busy, entryResponse, requestKey, send, sourceOf, validated, type Sourced } from './fhir-http.ts';
import { receiptOf } from './fhir-trace.ts';

/** An entry of the Bundle with its position in Bundle.entry (what `Bundle.entry[i]` expressions name). */
interface Positioned {
  entry: BundleEntry;
  index: number;
}

interface Checked {
  channel: ChannelDefinition;
  bundle: Bundle;
  /** The entries to store (a message Bundle's MessageHeader left out). */
  entries: Positioned[];
  /** The validator's issues for the whole Bundle, each naming its element (`Bundle.entry[i]…`). */
  issues: OperationOutcomeIssue[];
  /** One issue per entry whose resource type the channel does not accept. */
  unaccepted: OperationOutcomeIssue[];
  allowed: (e: BundleEntry) => boolean;
}

/**
 * `POST /` of a FHIR channel (FHIR R4 http.html#transaction): a `transaction` Bundle is all or
 * nothing (see postTransaction); a `batch`, and a `message` Bundle's resources, are taken entry by
 * entry, each answered in a `batch-response` with its own status. The Bundle is validated in a
 * worker thread of `validator` (503 when its queue is full).
 */
export async function postBundle(
  request: FastifyRequest,
  reply: FastifyReply,
  intake: Intake,
  validator: FhirValidatorPool,
): Promise<FastifyReply> {
  const { channel, accepted } = sourceOf(request);
  const bundle = request.body as Bundle;
  if (bundle?.resourceType !== 'Bundle')
    return send(reply, 400, errorOutcome('invalid', 'POST to the base takes a Bundle', ['resourceType']));
  if (!['transaction', 'batch', 'message'].includes(bundle.type ?? ''))
    return send(reply, 400, errorOutcome('not-supported', 'Bundle.type must be transaction, batch or message', ['Bundle.type']));
  const entries = (bundle.entry ?? []).flatMap((entry, index) =>
    entry.resource?.resourceType === 'MessageHeader' ? [] : [{ entry, index }],
  );
  const unaccepted = entries.flatMap(({ entry, index }) =>
    accepted.has(String(entry.resource?.resourceType))
      ? []
      : [
          issue('error', 'not-supported', `This channel does not accept ${String(entry.resource?.resourceType)}`, [
            `Bundle.entry[${index}].resource`,
          ]),
        ],
  );
  const scopes = (request as Sourced).grantedScopes ?? [];
  const allowed = (e: BundleEntry) =>
    scopeAllows(scopes, String(e.resource?.resourceType), e.request?.method === 'PUT' ? 'update' : 'create');
  const verdict = await validated(request, validator);
  if (verdict.kind === 'busy') return busy(reply);
  const checked: Checked = { channel, bundle, entries, issues: verdict.issues, unaccepted, allowed };
  return bundle.type === 'transaction' ? postTransaction(request, reply, intake, checked) : postBatch(request, reply, intake, checked);
}

/** The client's key for the whole Bundle: Bundle.identifier, else If-None-Exist or X-Request-Id. */
function bundleKey(bundle: Bundle, request: FastifyRequest): string | undefined {
  return bundle.identifier?.value ? `bundle:${bundle.identifier.system ?? ''}|${bundle.identifier.value}` : requestKey(request);
}

/**
 * A transaction: every entry is checked (scopes 403, validation and accepted types 400) and
 * transformed (422) before anything is stored, and the answer to a failure is an OperationOutcome
 * naming the entry (`Bundle.entry[i]`); then all entries are stored as a unit and only then queued
 * (FhirIntake.submitTransaction, MessageStore.insertTransaction); 503 when the store could not take
 * them all (the retry completes what the attempt left). Without Bundle.identifier, If-None-Exist or
 * X-Request-Id the transaction is de-duplicated by the hash of its content, so a retry of the same
 * transaction returns the first answer (each entry `200 OK` with the first Location) and stores
 * nothing new.
 */
async function postTransaction(request: FastifyRequest, reply: FastifyReply, intake: Intake, c: Checked): Promise<FastifyReply> {
  if (!c.entries.every(({ entry }) => c.allowed(entry)))
    return send(reply, 403, errorOutcome('forbidden', "The token's scopes do not cover every entry of the transaction"));
  if (c.issues.length > 0 || c.unaccepted.length > 0) return send(reply, 400, outcome([...c.issues, ...c.unaccepted]));
  const contentHash = transactionContentKey(c.bundle);
  const key = bundleKey(c.bundle, request) ?? contentHash;
  // Every entry has a resource of an accepted type here (unaccepted is empty).
  const resources = c.entries.map(({ entry, index }) => ({ index, resource: entry.resource as unknown as Record<string, unknown> }));
  const receipt = await intake.fhirTransaction(c.channel, resources, { key, contentHash, client: 'token', ...receiptOf(request) });
  switch (receipt.kind) {
    case 'unprocessable': {
      const at = `Bundle.entry[${receipt.index}]`;
      return send(
        reply,
        422,
        errorOutcome('business-rule', `${at} could not be processed (${receipt.detail}); nothing of the transaction was stored`, [at]),
      );
    }
    case 'unavailable':
      return send(reply, 503, errorOutcome('transient', 'The message store is unavailable; retry the transaction'));
    case 'conflict':
      return send(
        reply,
        409,
        errorOutcome(
          'conflict',
          'A transaction with this identifier was already stored with other content; nothing of this one is delivered',
        ),
      );
    case 'stored': {
      const entry = receipt.entries.map((e) => ({
        response: { status: e.duplicate ? '200 OK' : '201 Created', location: `/api/messages/${e.messageId}` },
      }));
      return send(reply, 200, { resourceType: 'Bundle', type: 'transaction-response', entry } satisfies Bundle);
    }
    default:
      return receipt satisfies never;
  }
}

/** A batch (or a message Bundle's resources): each entry stored or refused on its own, in order. */
async function postBatch(request: FastifyRequest, reply: FastifyReply, intake: Intake, c: Checked): Promise<FastifyReply> {
  const key = bundleKey(c.bundle, request);
  const accepted = sourceOf(request).accepted;
  const responses: BundleEntry[] = [];
  for (const [i, { entry, index }] of c.entries.entries()) {
    const resource = entry.resource as Record<string, unknown> | undefined;
    if (!c.allowed(entry)) {
      responses.push({
        response: {
          status: '403 Forbidden',
          outcome: errorOutcome('forbidden', `The token's scopes do not allow writing ${String(resource?.resourceType)}`),
        },
      });
      continue;
    }
    const entryIssues = c.issues.filter((x) => (x.expression ?? []).some((e) => e.startsWith(`Bundle.entry[${index}]`)));
    if (!resource || !accepted.has(String(resource.resourceType)) || entryIssues.length > 0) {
      responses.push({
        response: {
          status: '400 Bad Request',
          outcome: outcome(
            entryIssues.length > 0
              ? entryIssues
              : [issue('error', 'not-supported', `This channel does not accept ${String(resource?.resourceType)}`)],
          ),
        },
      });
      continue;
    }
    const receipt = await intake.fhir(c.channel, resource, {
      ...(key ? { dedupeId: `${key}#${i}` } : {}),
      client: 'token',
      ...receiptOf(request),
    });
    responses.push({ response: entryResponse(receipt) });
  }
  return send(reply, 200, { resourceType: 'Bundle', type: 'batch-response', entry: responses } satisfies Bundle);
}
