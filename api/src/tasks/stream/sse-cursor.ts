/**
 * Which task events a stream sends (docs/design.md: a reconnect with Last-Event-ID resumes and
 * always gets the current state first). Every event carries the whole snapshot, so resuming
 * needs no replay: the current state goes out first, whatever Last-Event-ID says, then only
 * events newer than what this stream already sent. Events raced in while the current state
 * was being read are dropped if not newer.
 */
export class SseCursor {
  private lastSent: number | undefined;

  /** Last-Event-ID as sent by the client, if it is a usable number. */
  constructor(readonly lastEventId: number | undefined) {}

  static parseLastEventId(header: string | string[] | undefined): number | undefined {
    const raw = Array.isArray(header) ? header[0] : header;
    if (raw === undefined || !/^\d{1,15}$/.test(raw.trim())) return undefined;
    return Number(raw.trim());
  }

  /** True if the event with this id should be written now. */
  accept(seq: number): boolean {
    if (this.lastSent === undefined) {
      this.lastSent = seq;
      return true;
    }
    if (seq <= this.lastSent) return false;
    this.lastSent = seq;
    return true;
  }

  get sent(): number | undefined {
    return this.lastSent;
  }
}
