// Days are the territory's days: the board shows today as the territory's clock reads it.

function offsetOf(timeZone: string, at: Date): string {
  const part = new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "longOffset" })
    .formatToParts(at)
    .find((p) => p.type === "timeZoneName");
  const offset = part?.value.replace("GMT", "") ?? "";
  return offset === "" ? "+00:00" : offset;
}

/** [start, end) of the day containing `at` in `timeZone`, as ISO strings with the zone's offset. */
export function dayBounds(timeZone: string, at: Date = new Date()): [string, string] {
  const day = new Intl.DateTimeFormat("en-CA", { timeZone }).format(at); // YYYY-MM-DD
  const offset = offsetOf(timeZone, at);
  const start = new Date(`${day}T00:00:00${offset}`);
  const end = new Date(start.getTime() + 24 * 3600 * 1000);
  return [`${day}T00:00:00${offset}`, end.toISOString()];
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
