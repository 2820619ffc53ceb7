/**
 * The HL7v2 readers bench/hl7 compares, each behind one small adapter: parse, read a corpus path
 * (`SEG(n)-f[r].c.s`, translated into the library's own notation where it has one), and encode.
 * An adapter throws where a library cannot express a path: that counts as a failed corpus check.
 */
import { createRequire } from 'node:module';
import { Hl7Message as MedplumHl7 } from '@medplum/core';
import { Message as NhcMessage } from 'node-hl7-client';
import { parseMessage, readHeader, type Hl7Message } from '../../hl7v2/index.ts';
import { parsePath } from '../../hl7v2/path.ts';

const require = createRequire(import.meta.url);
const HL7Standard = require('hl7-standard') as new (text: string) => {
  transform(): void;
  get(p: string): unknown;
  getSegments(name?: string): { get(p: string): unknown; type: string }[];
  build(): string;
};
const simpleHl7 = require('simple-hl7') as { Parser: new () => { parse(text: string): SimpleMessage } };
interface SimpleMessage {
  header: { getField(i: number): string };
  getSegments(name: string): { getField(i: number): string; getComponent(f: number, c: number): string; fields: unknown[] }[];
  log?(): string;
  toString(): string;
}

export interface Reader {
  name: string;
  parse(text: string): unknown;
  headerOnly(text: string): unknown;
  get(parsed: unknown, path: string): string;
  encode(parsed: unknown): string;
}

const str = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'string' ? v : String(v));

export const switchboard: Reader = {
  name: 'switchboard',
  parse: parseMessage,
  headerOnly: (text) => readHeader(text).controlId,
  get: (m, p) => (m as Hl7Message).get(p),
  encode: (m) => (m as Hl7Message).encode(),
};

export const hl7Standard: Reader = {
  name: 'hl7-standard',
  parse(text) {
    const h = new HL7Standard(text);
    h.transform();
    return h;
  },
  headerOnly(text) {
    const h = this.parse(text) as InstanceType<typeof HL7Standard>;
    return h.get('MSH.10');
  },
  get(h, path) {
    const p = parsePath(path);
    const seg = (h as InstanceType<typeof HL7Standard>).getSegments(p.segment)[p.occurrence - 1];
    if (!seg) return '';
    if (p.segment === 'MSH' && p.field <= 2) return str(seg.get(`MSH.${p.field}`));
    let v = seg.get(`${p.segment}.${p.field}`);
    if (Array.isArray(v)) v = v[(p.repetition ?? 1) - 1];
    else if ((p.repetition ?? 1) > 1) return '';
    if (p.component === undefined)
      return typeof v === 'object' && v ? str((v as Record<string, unknown>)[`${p.segment}.${p.field}.1`]) : str(v);
    if (typeof v !== 'object' || !v) return p.component === 1 && p.subcomponent === undefined ? str(v) : '';
    return str((v as Record<string, unknown>)[`${p.segment}.${p.field}.${p.component}`]);
  },
  encode: (h) => (h as InstanceType<typeof HL7Standard>).build(),
};

export const simple: Reader = {
  name: 'simple-hl7',
  parse: (text) => new simpleHl7.Parser().parse(text),
  headerOnly(text) {
    return (this.parse(text) as SimpleMessage).header.getField(8);
  },
  get(m, path) {
    const p = parsePath(path);
    const msg = m as SimpleMessage;
    if (p.segment === 'MSH') {
      if (p.field <= 2 || (p.repetition ?? 1) > 1) throw new Error('not expressible');
      const v = msg.header.getField(p.field - 2);
      return p.component === undefined ? str(v) : str(String(v).split('^')[p.component - 1]);
    }
    const seg = msg.getSegments(p.segment)[p.occurrence - 1];
    if (!seg) return '';
    if ((p.repetition ?? 1) > 1 || p.subcomponent !== undefined) throw new Error('not expressible');
    return str(p.component === undefined ? seg.getField(p.field) : seg.getComponent(p.field, p.component));
  },
  encode: (m) => (m as SimpleMessage).toString(),
};

export const nodeHl7Client: Reader = {
  name: 'node-hl7-client',
  parse: (text) => new NhcMessage({ text }),
  headerOnly(text) {
    return (this.parse(text) as NhcMessage).get('MSH.10').toString();
  },
  get(m, path) {
    const p = parsePath(path);
    if (p.occurrence > 1 || (p.repetition ?? 1) > 1) throw new Error('not expressible');
    const parts = [p.segment, p.field, p.component, p.subcomponent].filter((x) => x !== undefined).join('.');
    return (m as NhcMessage).get(parts).toString();
  },
  encode: (m) => (m as NhcMessage).toString(),
};

export const medplum: Reader = {
  name: '@medplum/core',
  parse: (text) => MedplumHl7.parse(text),
  headerOnly(text) {
    return MedplumHl7.parse(text).getSegment('MSH')?.getField(10)?.toString();
  },
  get(m, path) {
    const p = parsePath(path);
    const seg = (m as MedplumHl7).getAllSegments(p.segment)[p.occurrence - 1];
    if (!seg) return '';
    const field = seg.getField(p.field);
    if (!field) return '';
    if (p.component === undefined && p.repetition === undefined) return str(field.toString());
    return str(field.getComponent(p.component ?? 1, p.subcomponent ?? undefined, (p.repetition ?? 1) - 1));
  },
  encode: (m) => (m as MedplumHl7).toString(),
};

export const readers: Reader[] = [switchboard, hl7Standard, simple, nodeHl7Client, medplum];
