/**
 * The errors a transform throws. The transforms do not import the engine: each error names its
 * engine error catalog code in `catalogCode`, and the engine (toSwitchboardError) turns it into
 * that catalog error, with the message as its detail. Messages name fields and paths, never values.
 */

/** A present but unusable value: the transform names the target field, the source and the value. */
export class FieldValueError extends Error {
  readonly catalogCode = 'TRANSFORM_FAILED';

  constructor(
    readonly reason: string,
    readonly value: string,
  ) {
    super(reason);
    this.name = 'FieldValueError';
  }
}

/**
 * A transform run refused: TRANSFORM_FAILED for a field map that gave no usable value,
 * CANONICAL_INVALID for an event the canonical model does not accept.
 */
export class TransformError extends Error {
  constructor(
    readonly catalogCode: 'TRANSFORM_FAILED' | 'CANONICAL_INVALID',
    detail: string,
  ) {
    super(detail);
    this.name = 'TransformError';
  }
}
