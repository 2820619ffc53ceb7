import test from 'ava';
import { ErrorCatalog, SwitchboardError, toSwitchboardError, type ErrorCode } from '../../engine/errors.ts';
import { Hl7ParseError, parseMessage } from '../../hl7v2/index.ts';
import { JwtError } from '../../engine/security/jwt.ts';
import { OAuthError } from '../../engine/security/smart-auth.ts';
import { FieldValueError, TransformError } from '../../transforms/dsl/transform-errors.ts';

/** HL7 v2.5 table 0357, message error condition codes (the ones ERR-3 may carry). */
const TABLE_0357 = ['100', '101', '102', '103', '200', '201', '202', '203', '204', '205', '206', '207'];

test('every catalog code has an HTTP status in 400–599 and an ERR-3 from HL7 table 0357', (t) => {
  for (const [code, entry] of Object.entries(ErrorCatalog)) {
    t.true(Number.isInteger(entry.httpStatus) && entry.httpStatus >= 400 && entry.httpStatus <= 599, `${code}: ${entry.httpStatus}`);
    t.true(TABLE_0357.includes(entry.hl7ErrorCode), `${code}: ${entry.hl7ErrorCode}`);
    const e = new SwitchboardError(code as ErrorCode);
    t.is(e.httpStatus, entry.httpStatus);
    t.is(e.hl7ErrorCode, entry.hl7ErrorCode);
  }
});

test('the edges keep their answers: admin API statuses and intake ERR-3 codes read from the catalog', (t) => {
  const status = (code: ErrorCode) => ErrorCatalog[code].httpStatus;
  // The admin API's statuses before the catalog carried them (problem.ts's table; 500 for the rest).
  const before = {
    BAD_REQUEST: 400,
    AUTH_REQUIRED: 401,
    FORBIDDEN: 403,
    NOT_FOUND: 404,
    CONFLICT: 409,
    PAYLOAD_TOO_LARGE: 413,
    TOO_MANY_REQUESTS: 429,
    CONFIG_INVALID: 400,
    STORE_UNAVAILABLE: 503,
    QUEUE_UNAVAILABLE: 503,
    INTERNAL: 500,
  } as const;
  for (const [code, expected] of Object.entries(before)) t.is(status(code as ErrorCode), expected, code);
  t.is(status('TRANSFORM_FAILED'), 422);
  const err3 = (code: ErrorCode) => ErrorCatalog[code].hl7ErrorCode;
  t.deepEqual([err3('HL7_CHARSET_INVALID'), err3('HL7_TYPE_NOT_ACCEPTED'), err3('HL7_CONTROL_ID_CONFLICT')], ['102', '200', '205']);
  const internal = [
    'STORE_UNAVAILABLE',
    'TRANSFORM_FAILED',
    'CANONICAL_INVALID',
    'MESSAGE_TOO_MANY_EVENTS',
    'MLLP_FRAME_TOO_LARGE',
  ] as const;
  for (const code of internal) t.is(err3(code), '207', code);
});

test('side errors map to catalog codes: the codec and the transforms name theirs, security errors are catalog errors', (t) => {
  const parse = t.throws(() => parseMessage('not hl7'), { instanceOf: Hl7ParseError })!;
  t.is(parse.catalogCode, 'HL7_PARSE');
  t.is(toSwitchboardError(parse).code, 'HL7_PARSE');
  const field = toSwitchboardError(new FieldValueError('is not a number', 'SECRET'));
  t.deepEqual([field.code, field.message], ['TRANSFORM_FAILED', 'is not a number']);
  const refused = toSwitchboardError(new TransformError('CANONICAL_INVALID', 'ChargeEvent event 1: field code'));
  t.deepEqual([refused.code, refused.message, refused.failureClass], ['CANONICAL_INVALID', 'ChargeEvent event 1: field code', 'permanent']);
  t.is(new JwtError('bad signature').code, 'AUTH_REQUIRED');
  const oauth = (error: OAuthError['error']) => new OAuthError(error, 'why').status;
  t.deepEqual([oauth('invalid_client'), oauth('invalid_scope'), oauth('invalid_request')], [401, 400, 400]);
  t.is(oauth('temporarily_unavailable'), 503);
  // Anything else that names a code the catalog does not know is still a defect.
  t.is(toSwitchboardError(Object.assign(new Error('x'), { catalogCode: 'NO_SUCH_CODE' })).code, 'INTERNAL');
});
