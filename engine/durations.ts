/** One minute in milliseconds: per-minute counts, search steps, active hours. */
export const MINUTE_MS = 60_000;

/** One day in milliseconds: retention figures, search windows and alert ages count whole days of UTC time. */
export const DAY_MS = 86_400_000;
