import { Inject, Injectable } from '@nestjs/common';
import { ApiError } from '../../common/api-error';
import { SITE_SHARE, siteKey } from '../../common/client-address';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';

/**
 * Open event streams (GET /api/status/{id}) of this process, per client and in all
 * (SSE_STREAMS_PER_CLIENT, SSE_STREAMS_TOTAL; docs/design.md, HTTP contract): each open stream
 * holds a socket and a place in its task's fan-out (TaskStreamService), so a stranger opening
 * thousands must be refused before the stream opens. take() is asked before any byte of the stream is written; the
 * release it returns runs once, when the stream ends for any reason (completed, the client went
 * away, an error). Counted per process, in memory: the sockets are this process's. An IPv6 client's
 * /48 site (siteKey) holds at most SITE_SHARE clients' worth, all its /64s together (a trial held
 * all 2,000 from 125 /64s).
 */
@Injectable()
export class StreamSlots {
  private total = 0;
  private readonly byClient = new Map<string, number>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Streams open now: in all, and of one client (a limit key). */
  open(client?: string): number {
    return client === undefined ? this.total : (this.byClient.get(client) ?? 0);
  }

  /**
   * Takes a stream slot for `client` (a limit key, common/client-address limitKey). Throws 503
   * streams_full when this process holds SSE_STREAMS_TOTAL streams, else 429 too_many_streams when
   * the client holds SSE_STREAMS_PER_CLIENT or its IPv6 site SITE_SHARE times that; both with Retry-After = one heartbeat interval (the
   * soonest an EventSource retries anyway). Returns the release, which is idempotent.
   */
  take(client: string): () => void {
    const retryAfter = String(Math.max(1, Math.ceil(this.config.sseHeartbeatS)));
    const { sseStreamsTotal: total, sseStreamsPerClient: perClient } = this.config;
    if (total > 0 && this.total >= total) {
      throw new ApiError('streams_full', { headers: { 'Retry-After': retryAfter } });
    }
    const site = siteKey(client);
    const holders: [string, number][] = [[client, perClient]];
    if (site !== undefined) holders.push([site, perClient * SITE_SHARE]);
    for (const [holder, limit] of holders) {
      if (limit > 0 && (this.byClient.get(holder) ?? 0) >= limit) {
        throw new ApiError('too_many_streams', { headers: { 'Retry-After': retryAfter } });
      }
    }
    this.total += 1;
    for (const [holder] of holders) this.byClient.set(holder, (this.byClient.get(holder) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total -= 1;
      for (const [holder] of holders) {
        const left = (this.byClient.get(holder) ?? 1) - 1;
        if (left > 0) this.byClient.set(holder, left);
        else this.byClient.delete(holder);
      }
    };
  }
}
