import { parseMessage } from '../../hl7v2/index.ts';
import type { FieldError, SourceEnvelope, Transform } from '../dsl/define-transform.ts';
import type { TransformInput } from '../dsl/expression.ts';
import type { MappingFixture } from './mapping-definition.ts';

/** One field whose value differs between two outputs; `event` counts from 1, values absent are undefined. */
export interface FieldChange {
  event: number;
  path: string;
  before?: unknown;
  after?: unknown;
}

export interface FixtureResult {
  name: string;
  passed: boolean;
  /** What the mapping made (without `source`); empty when it failed. */
  actual: Record<string, unknown>[];
  /** Field errors of the run (a required field empty, a value a function refused). */
  errors: FieldError[];
  /** Expected (`before`) against made (`after`), field by field. */
  changes: FieldChange[];
  /** The input could not be read (not HL7v2, not JSON). */
  unreadable?: string;
}

/** The source envelope fixtures and previews run with: ids of the exchange only. */
export function fixtureSource(input: TransformInput): SourceEnvelope {
  if (input.kind === 'fhir')
    return {
      channelId: 'fixture',
      messageType: String(input.resource.resourceType),
      controlId: 'fixture',
      sendingApplication: '',
      sendingFacility: '',
    };
  const h = input.message.header;
  return {
    channelId: 'fixture',
    messageType: `${h.messageType}^${h.triggerEvent}`,
    controlId: h.controlId,
    sendingApplication: h.sendingApplication,
    sendingFacility: h.sendingFacility,
  };
}

/** A fixture's text as a transform reads it: HL7v2 (CR or LF between segments) or a FHIR resource as JSON. */
export function readSample(kind: 'hl7' | 'fhir', text: string): TransformInput {
  if (kind === 'fhir') {
    const resource = JSON.parse(text) as unknown;
    if (!resource || typeof resource !== 'object' || Array.isArray(resource))
      throw new TypeError('the sample is not a FHIR resource (a JSON object)');
    return { kind: 'fhir', resource: resource as Record<string, unknown> };
  }
  return { kind: 'hl7', message: parseMessage(text.replace(/\r?\n/g, '\r').trim()) };
}

/** Runs every fixture through `transform`: each passes when its output equals the expected events exactly. */
export function runFixtures(transform: Transform, fixtures: readonly MappingFixture[]): FixtureResult[] {
  return fixtures.map((f) => {
    let input: TransformInput;
    try {
      input = readSample(transform.input, f.input);
    } catch (err) {
      return { name: f.name, passed: false, actual: [], errors: [], changes: [], unreadable: (err as Error).message };
    }
    const { events, errors } = transform.tryRun(input, fixtureSource(input));
    const actual = events.map(({ source: _source, ...e }) => e);
    const changes = diffOutputs(f.expected, actual);
    return { name: f.name, passed: errors.length === 0 && changes.length === 0, actual, errors, changes };
  });
}

/** Field-by-field differences between two lists of events (leaves compared as JSON). */
export function diffOutputs(before: readonly Record<string, unknown>[], after: readonly Record<string, unknown>[]): FieldChange[] {
  const changes: FieldChange[] = [];
  for (let i = 0; i < Math.max(before.length, after.length); i++) {
    const a = leaves(before[i] ?? {});
    const b = leaves(after[i] ?? {});
    for (const path of [...new Set([...a.keys(), ...b.keys()])].sort()) {
      if (JSON.stringify(a.get(path)) === JSON.stringify(b.get(path))) continue;
      changes.push({ event: i + 1, path, ...(a.has(path) ? { before: a.get(path) } : {}), ...(b.has(path) ? { after: b.get(path) } : {}) });
    }
  }
  return changes;
}

function leaves(value: unknown, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) leaves(v, prefix ? `${prefix}.${k}` : k, out);
  } else out.set(prefix, value);
  return out;
}
