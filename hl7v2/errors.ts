/**
 * The one error the HL7v2 reader throws. It names where the problem is (line, segment, character
 * offset) and why, in words an interface analyst understands, without quoting message content.
 * `hl7ErrorCode` is the HL7 table 0357 code that goes into ERR-3 of a NAK. `catalogCode` is the
 * engine's error catalog code for it (the codec does not import the engine; intake and routing read it).
 */
export class Hl7ParseError extends Error {
  readonly line: number;
  readonly segment: string | undefined;
  readonly position: number;
  readonly reason: string;
  readonly hl7ErrorCode: string;
  readonly catalogCode = 'HL7_PARSE';

  constructor(options: { reason: string; line: number; position: number; segment?: string; hl7ErrorCode?: string }) {
    const where =
      options.line > 0 ? ` (line ${options.line}${options.segment ? `, segment ${options.segment}` : ''}, offset ${options.position})` : '';
    super(`${options.reason}${where}`);
    this.name = 'Hl7ParseError';
    this.reason = options.reason;
    this.line = options.line;
    this.segment = options.segment;
    this.position = options.position;
    this.hl7ErrorCode = options.hl7ErrorCode ?? '100';
  }
}
