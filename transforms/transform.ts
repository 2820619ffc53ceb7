import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { Hl7Message } from '../engine/hl7v2/index.ts';
import { SwitchboardError } from '../engine/errors.ts';

export interface TransformContext {
  channelId: string;
}

/**
 * A versioned, pure mapping from one parsed HL7v2 message to canonical events (no I/O, no clock:
 * every time comes from the message). Called by the route worker; a thrown `SwitchboardError`
 * (TRANSFORM_FAILED) names the target field and the source path.
 */
export interface Hl7Transform {
  id: string;
  version: number;
  model: string;
  modelVersion: number;
  /** Message types it maps, as `MSH-9.1^MSH-9.2` (e.g. `ADT^A01`). */
  accepts: readonly string[];
  schema: TSchema;
  map(message: Hl7Message, ctx: TransformContext): Record<string, unknown>[];
}

export interface CompiledTransform extends Hl7Transform {
  /** Maps and validates against the model; throws CANONICAL_INVALID naming the first bad field. */
  run(message: Hl7Message, ctx: TransformContext): Record<string, unknown>[];
}

export function defineTransform(def: Hl7Transform): CompiledTransform {
  const check: TypeCheck<TSchema> = TypeCompiler.Compile(def.schema);
  return {
    ...def,
    run(message, ctx) {
      const events = def.map(message, ctx);
      for (const [i, event] of events.entries()) {
        if (check.Check(event)) continue;
        const first = check.Errors(event).First();
        const where = first ? `${first.path || '/'}: ${first.message}` : 'unknown field';
        throw new SwitchboardError('CANONICAL_INVALID', `${def.model} event ${i + 1} ${where}`);
      }
      return events;
    },
  };
}

/** A required source value: throws TRANSFORM_FAILED naming the target field and source path. */
export function required(message: Hl7Message, path: string, target: string): string {
  const value = message.get(path);
  if (value === '' || value === '""') {
    throw new SwitchboardError('TRANSFORM_FAILED', `${target} is required but ${path} is empty`);
  }
  return value;
}

/** The value at `path`, or undefined when empty or the HL7 null. */
export function optional(message: Hl7Message, path: string): string | undefined {
  const value = message.get(path);
  return value === '' || value === '""' ? undefined : value;
}

/**
 * HL7 DTM (YYYY[MM[DD[HH[MM[SS[.S+]]]]]][+/-ZZZZ]) to ISO 8601, keeping the precision and offset
 * given; throws TRANSFORM_FAILED naming the field when the value is not a DTM.
 */
export function hl7DateTime(value: string, target: string): string {
  const m = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.\d+)?([+-]\d{4})?$/.exec(value);
  if (!m) throw new SwitchboardError('TRANSFORM_FAILED', `${target}: '${value.length > 20 ? 'value' : value}' is not an HL7 date/time`);
  const [, y, mo, d, h, mi, s, tz] = m;
  let out = y!;
  if (mo) out += `-${mo}`;
  if (d) out += `-${d}`;
  if (h) out += `T${h}:${mi ?? '00'}:${s ?? '00'}`;
  if (h && tz) out += `${tz.slice(0, 3)}:${tz.slice(3)}`;
  return out;
}
