/** Formats an instant (a Date or epoch ms) as ClickHouse DateTime text in UTC, whole seconds, for bound `DateTime('UTC')` parameters. */
export function chDateTime(t: Date | number): string {
  return new Date(+t).toISOString().slice(0, 19).replace('T', ' ');
}
