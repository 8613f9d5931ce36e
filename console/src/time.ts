// Days are the territory's days: the board shows today as the territory's clock reads it.

function offsetOf(timeZone: string, at: Date): string {
  const part = new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "longOffset" })
    .formatToParts(at)
    .find((p) => p.type === "timeZoneName");
  const offset = part?.value.replace("GMT", "") ?? "";
  return offset === "" ? "+00:00" : offset;
}

function minutesOf(offset: string): number {
  const [hours, minutes] = offset.slice(1).split(":").map(Number);
  return (offset.startsWith("-") ? -1 : 1) * (hours * 60 + (minutes || 0));
}

/** The calendar day (YYYY-MM-DD) `days` after `day`. */
function addDays(day: string, days: number): string {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** The instant the clocks of `timeZone` read `time` (HH:MM) on `day`, with the zone's offset
 * at that instant (which differs from the offset later that day when the clocks change on it). */
function wallClock(timeZone: string, day: string, time = "00:00"): { at: Date; offset: string } {
  const wall = Date.parse(`${day}T${time}:00Z`);
  let offset = offsetOf(timeZone, new Date(wall));
  // Twice: the offset at the first guess may be the other side of a clock change.
  for (let i = 0; i < 2; i++) {
    offset = offsetOf(timeZone, new Date(wall - minutesOf(offset) * 60_000));
  }
  return { at: new Date(wall - minutesOf(offset) * 60_000), offset };
}

/** The calendar day (YYYY-MM-DD) of `at` in `timeZone`. */
export function localDay(timeZone: string, at: Date = new Date()): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone }).format(at);
}

/** The instant `time` (HH:MM) of `day` in `timeZone`. */
export function atClock(timeZone: string, day: string, time: string): Date {
  return wallClock(timeZone, day, time).at;
}

/** [start, end) of the day containing `at` in `timeZone`: from its midnight to the next
 * calendar day's midnight (23 or 25 hours on the days the clocks change). The start carries
 * the zone's offset at midnight; the end is a UTC instant. */
export function dayBounds(timeZone: string, at: Date = new Date()): [string, string] {
  const day = localDay(timeZone, at);
  const start = wallClock(timeZone, day);
  const end = wallClock(timeZone, addDays(day, 1));
  return [`${day}T00:00:00${start.offset}`, end.at.toISOString()];
}

export function clock(iso: string | null | undefined, timeZone: string): string {
  if (!iso) return "–";
  return new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit" }).format(
    new Date(iso),
  );
}

/** The next quarter hour from now, as an ISO instant. */
export function nextQuarterHour(after: Date = new Date()): Date {
  const quarter = 15 * 60 * 1000;
  return new Date(Math.ceil(after.getTime() / quarter) * quarter);
}
