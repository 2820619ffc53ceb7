import { useEffect, useState } from 'preact/hooks';
import { api } from './api.ts';
import type { MappingCheck, MappingDraft, MappingPreview } from './mapping-types.ts';

export interface MappingRuns {
  /** Problems of the draft and each fixture's result (POST /api/mappings/check). */
  check?: MappingCheck;
  /** The draft run on the sample (POST /api/mappings/preview); undefined without a sample. */
  preview?: MappingPreview;
  /** Why the last preview could not run (the sample cannot be read). */
  error?: Error;
  /** A check or preview of the newest draft is on its way. */
  busy: boolean;
}

/**
 * Checks the draft and runs it on the sample `delay` ms after the last change (every fixture runs
 * on every check). An answer for an older draft than the newest asked is dropped.
 */
export function useMappingRuns(draft: MappingDraft, sample: string, enabled: boolean, delay = 400): MappingRuns {
  const [runs, setRuns] = useState<MappingRuns>({ busy: false });
  const key = JSON.stringify(draft);
  useEffect(() => {
    if (!enabled) return;
    let current = true;
    setRuns((r) => ({ ...r, busy: true }));
    const timer = setTimeout(() => {
      const check = api<MappingCheck>('POST', '/api/mappings/check', { mapping: draft });
      const preview = sample.trim()
        ? api<MappingPreview>('POST', '/api/mappings/preview', { mapping: draft, sample }).then(
            (p) => ({ preview: p }),
            (error: Error) => ({ error }),
          )
        : Promise.resolve({});
      void Promise.all([check.catch((error: Error) => ({ error })), preview]).then(([c, p]) => {
        if (!current) return;
        const failed = 'error' in c ? c.error : undefined;
        setRuns({ ...(failed ? { error: failed } : { check: c as MappingCheck }), ...p, busy: false });
      });
    }, delay);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [key, sample, enabled]);
  return runs;
}
