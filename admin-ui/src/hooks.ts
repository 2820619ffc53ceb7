import { useCallback, useEffect, useState } from 'preact/hooks';
import { get } from './api.ts';

export interface Loaded<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  reload(): void;
}

/** GETs `path` (again whenever it changes, or on reload); no request while it is undefined. */
export function useApi<T>(path: string | undefined): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: path !== undefined });
  const [round, setRound] = useState(0);
  useEffect(() => {
    if (path === undefined) return;
    let current = true;
    setState((s) => ({ ...s, loading: true }));
    get<T>(path).then(
      (data) => current && setState({ data, loading: false }),
      (error: Error) => current && setState({ error, loading: false }),
    );
    return () => {
      current = false;
    };
  }, [path, round]);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

export interface Paged<P> {
  /** The first page, as useApi loads it. */
  first: Loaded<P>;
  /** Every page loaded, oldest last. */
  pages: P[];
  /** The cursor of the next page; none when the last page loaded was not full. */
  next: string | null | undefined;
  loadMore(): void;
  /** Why the first page or an older one could not be read. */
  error: Error | undefined;
}

/**
 * A list the API pages newest first by `before` (GET /api/messages, /api/flows/instances): the first
 * page from `path`; `loadMore` appends the page at `pathFor(nextBefore)`. The older pages are
 * dropped whenever `resetKey` changes (a new search).
 */
export function usePages<P extends { nextBefore: string | null }>(
  path: string,
  pathFor: (before: string) => string,
  resetKey: string,
): Paged<P> {
  const first = useApi<P>(path);
  const [more, setMore] = useState<P[]>([]);
  const [moreError, setMoreError] = useState<Error>();
  useEffect(() => setMore([]), [resetKey]);
  const pages = first.data ? [first.data, ...more] : [];
  const next = pages.at(-1)?.nextBefore;
  const loadMore = () => {
    if (next) get<P>(pathFor(next)).then((p) => setMore((m) => [...m, p]), setMoreError);
  };
  return { first, pages, next, loadMore, error: first.error ?? moreError };
}

/** Calls `tick` every `ms` while `active`; stops when the component goes away. */
export function useInterval(tick: () => void, ms: number, active = true): void {
  useEffect(() => {
    if (!active) return;
    const id = setInterval(tick, ms);
    return () => clearInterval(id);
  }, [tick, ms, active]);
}

export interface Action {
  busy: boolean;
  /** Why the last action was refused. */
  error: Error | undefined;
  /** What the last action that went through says, if anything. */
  done: string | undefined;
  run(send: () => Promise<string | undefined>): Promise<void>;
}

/**
 * An operator's action, one at a time: `run` sends it and keeps its outcome (the message it returns,
 * or the error); `after` is called once it ends, gone through or refused, so the page reads its subject again.
 */
export function useAction(after: () => void): Action {
  const [state, setState] = useState<{ busy: boolean; error?: Error; done?: string }>({ busy: false });
  const run = async (send: () => Promise<string | undefined>) => {
    setState({ busy: true });
    try {
      setState({ busy: false, done: await send() });
    } catch (error) {
      setState({ busy: false, error: error as Error });
    }
    after();
  };
  return { busy: state.busy, error: state.error, done: state.done, run };
}
