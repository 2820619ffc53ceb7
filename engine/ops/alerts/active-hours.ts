import type { ActiveHours, Weekday } from './alert-api-types.ts';
import { MINUTE_MS } from '../../durations.ts';

/** How far back the start of an active period is looked for: a week of minutes. */
const MAX_WALK_MINUTES = 7 * 24 * 60;
const WEEKDAYS: readonly Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const formats = new Map<string, Intl.DateTimeFormat>();

function formatFor(timeZone: string): Intl.DateTimeFormat {
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formats.set(timeZone, f);
  }
  return f;
}

/** The weekday and minute of the day (0–1439) the wall clock of `timeZone` shows at `at`. */
export function wallClock(at: Date, timeZone: string): { day: Weekday; minute: number } {
  const parts = Object.fromEntries(
    formatFor(timeZone)
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  const day = (parts['weekday'] ?? 'Sun').slice(0, 3).toLowerCase() as Weekday;
  return { day, minute: Number(parts['hour']) * 60 + Number(parts['minute']) };
}

const minuteOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
const dayBefore = (day: Weekday) => WEEKDAYS[(WEEKDAYS.indexOf(day) + 6) % 7]!;

/**
 * Whether `at` falls within the active hours: on one of `days`, from `from` (inclusive) to `to`
 * (exclusive), wall-clock time of `timeZone`. When `to` is before `from` the period spans midnight
 * and belongs to the day it starts on (Friday 22:00–06:00 covers Saturday 03:00).
 */
export function isActiveAt(at: Date, hours: ActiveHours): boolean {
  const { day, minute } = wallClock(at, hours.timeZone);
  const from = minuteOf(hours.from);
  const to = minuteOf(hours.to);
  if (from < to) return hours.days.includes(day) && minute >= from && minute < to;
  return (hours.days.includes(day) && minute >= from) || (hours.days.includes(dayBefore(day)) && minute < to);
}

/**
 * When the active period holding `now` began (a whole minute), or undefined when `now` is outside
 * the active hours. Walks back a minute at a time, at most a week (a rule active for longer than
 * that is taken as active since a week ago). Daylight saving time is the time zone's: a period
 * begins when the wall clock says so.
 */
export function activePeriodStart(now: Date, hours: ActiveHours): Date | undefined {
  if (!isActiveAt(now, hours)) return undefined;
  let start = Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS;
  for (let i = 0; i < MAX_WALK_MINUTES && isActiveAt(new Date(start - MINUTE_MS), hours); i++) start -= MINUTE_MS;
  return new Date(start);
}

/**
 * The window an inactivity rule counts messages in at `now`: the last `silentForMs`, when the
 * channel has been watched that long. Not before `watchedSince` (when the channel was deployed:
 * a channel deployed a minute ago has not been silent for an hour). With active hours, only when
 * `now` is within them and the current active period began at least `silentForMs` ago (silence
 * before the period began is not counted: at Monday 08:00 a 30-minute rule fires at 08:30 at the
 * earliest). Undefined when nothing is to be counted now (the rule's alerts then resolve).
 */
export function inactivityWindow(
  now: Date,
  silentForMs: number,
  hours?: ActiveHours,
  watchedSince?: Date,
): { from: Date; to: Date } | undefined {
  const from = new Date(now.getTime() - silentForMs);
  if (watchedSince && watchedSince.getTime() > from.getTime()) return undefined;
  if (!hours) return { from, to: now };
  const start = activePeriodStart(now, hours);
  if (!start || start.getTime() > from.getTime()) return undefined;
  return { from, to: now };
}
