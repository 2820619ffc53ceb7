/** One day in milliseconds: retention figures, search windows and alert ages count whole days of UTC time. */
export const DAY_MS = 86_400_000;
