import type { ApiError, TaskSnapshot } from '../api/api-types';
import type { TaskChannelFactory, TaskChannelLike, TaskLocksLike } from './task-channel';
import type { TaskConnectionHandlers } from './task-connection';

/** What the tabs following one task say to each other on its channel. */
export type RelayMessage =
  | { kind: 'hello'; from: string }
  | { kind: 'alive'; from: string }
  | {
      kind: 'state';
      from: string;
      snapshot: TaskSnapshot | undefined;
      reconnecting: boolean;
      /** The server's final refusal to tell about the task (TaskConnectionHandlers.refused), if any. */
      refused: ApiError | undefined;
    }
  | { kind: 'bye'; from: string };

/** The part of TaskConnection a leader runs. */
export interface FeedConnection {
  start(): void;
  stop(): void;
}

/** A new tab waits this long for a leader's answer before it leads itself. */
export const CLAIM_WAIT_MS = 250;
/** A leader says it is alive this often. */
export const ALIVE_INTERVAL_MS = 1000;
/** A leader not heard from for this long is gone (a crashed tab that said no goodbye). */
export const LEADER_TIMEOUT_MS = 4000;
/** The longest random wait before a follower steps up after its leader left, so few step up at once. */
const TAKEOVER_JITTER_MS = 150;

/** The channel of one task. */
export function taskChannelName(taskId: string): string {
  return `kiln3d.task.${taskId}`;
}

/** A tab's rank: older tabs win, the random part breaks ties. Zero-padded, so strings compare. */
function newTabId(now: number): string {
  return `${String(Math.floor(now)).padStart(15, '0')}-${Math.random().toString(36).slice(2, 10)}`;
}

/**
 * One event stream per task across all the tabs of a browser (six connections per host on
 * HTTP/1.1 would otherwise cap the tabs at six, uploads included). One tab following a task
 * leads: only it runs a TaskConnection (stream, watchdog, polling fallback) and relays what it
 * hears ('state': the latest snapshot and link health) on the task's BroadcastChannel to the
 * others, again to each newcomer ('hello').
 *
 * Who leads: with Web Locks (TASK_LOCKS), the tab that holds the task's lock; the others wait in
 * the lock's queue, and the browser hands it on when the leader stops or its tab closes or
 * crashes, however busy the tabs are. Without them, by messages: a newcomer leads when no leader
 * answers within CLAIM_WAIT_MS; the leader says 'alive' every second and 'bye' when it stops or
 * its tab goes away (pagehide); then, or after LEADER_TIMEOUT_MS without a word, a follower steps
 * up; two tabs that lead at once settle it by rank (the older keeps the lead, the younger closes
 * its connection and follows). Without a channel the tab leads alone.
 */
export class SharedTaskFeed {
  private readonly tabId: string;
  private channel: TaskChannelLike | undefined;
  private role: 'candidate' | 'leader' | 'follower' | 'stopped' = 'candidate';
  private connection: FeedConnection | undefined;
  private leaderId: string | undefined;
  private leaderHeardAt = 0;
  private claimTimer: ReturnType<typeof setTimeout> | undefined;
  private beatTimer: ReturnType<typeof setInterval> | undefined;
  private latest: TaskSnapshot | undefined;
  private reconnecting = false;
  private refused: ApiError | undefined;
  private stopped = false;
  private readonly onPageHide = (): void => this.stop();
  /** Web Locks mode: ends the wait for the lock, or gives it back (stop()). */
  private lockRelease: (() => void) | undefined;

  constructor(
    private readonly taskId: string,
    private readonly handlers: TaskConnectionHandlers,
    private readonly connect: (handlers: TaskConnectionHandlers) => FeedConnection,
    private readonly openChannel: TaskChannelFactory,
    private readonly locks: TaskLocksLike | undefined = undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.tabId = newTabId(now());
  }

  /** Whether this tab holds the task's connection now. */
  get leading(): boolean {
    return this.role === 'leader';
  }

  /** Joins the task's tabs: asks for a leader, and leads if none answers. */
  start(): void {
    let channel: TaskChannelLike | undefined;
    try {
      channel = this.openChannel(taskChannelName(this.taskId));
    } catch {
      channel = undefined;
    }
    if (!channel) {
      this.lead();
      return;
    }
    this.channel = channel;
    channel.onmessage = (event: MessageEvent) => this.onMessage(event.data as RelayMessage);
    globalThis.addEventListener?.('pagehide', this.onPageHide);
    this.post({ kind: 'hello', from: this.tabId });
    if (this.locks) {
      this.waitForLock(this.locks);
      return;
    }
    this.claimAfter(CLAIM_WAIT_MS);
    this.beatTimer = setInterval(() => this.beat(), ALIVE_INTERVAL_MS);
  }

  /** Web Locks mode: leads once the browser grants the task's lock, and holds it until stop(). */
  private waitForLock(locks: TaskLocksLike): void {
    const abort = new AbortController();
    let held: (() => void) | undefined;
    this.lockRelease = () => {
      abort.abort();
      held?.();
    };
    locks
      .request(`${taskChannelName(this.taskId)}.leader`, { signal: abort.signal }, () => {
        if (this.stopped) return Promise.resolve();
        this.lead();
        return new Promise<void>((resolve) => (held = resolve));
      })
      .catch(() => undefined); // Aborted while waiting: this tab stopped following.
  }

  /** Leaves: a leader closes its connection and says goodbye, so a follower takes over at once. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    globalThis.removeEventListener?.('pagehide', this.onPageHide);
    clearTimeout(this.claimTimer);
    clearInterval(this.beatTimer);
    if (this.role === 'leader') {
      this.connection?.stop();
      this.connection = undefined;
      this.post({ kind: 'bye', from: this.tabId });
    }
    this.lockRelease?.();
    this.role = 'stopped';
    this.channel?.close();
    this.channel = undefined;
  }

  private onMessage(message: RelayMessage): void {
    if (this.stopped || typeof message !== 'object' || message === null) return;
    if (message.from === this.tabId) return;
    switch (message.kind) {
      case 'hello':
        if (this.role === 'leader') this.postState();
        return;
      case 'bye':
        if (this.locks) return; // The lock passes to the next tab in its queue.
        if (message.from === this.leaderId) {
          this.leaderId = undefined;
          this.role = 'candidate';
          this.claimAfter(Math.random() * TAKEOVER_JITTER_MS);
        }
        return;
      case 'alive':
      case 'state':
        this.fromLeader(message);
        return;
    }
  }

  /** Another tab leads. The older of two leaders keeps the lead. */
  private fromLeader(message: Extract<RelayMessage, { kind: 'alive' | 'state' }>): void {
    if (this.locks) {
      // One lock, one leader: a word from another tab while this one leads is a late one from
      // the tab it took over from.
      if (this.role === 'leader') return;
    } else if (this.role === 'leader') {
      if (message.from > this.tabId) {
        this.postState(); // The younger one steps down when it hears this.
        return;
      }
      this.connection?.stop();
      this.connection = undefined;
    }
    // A follower keeps its leader unless an older one speaks (a late word from a tab that has
    // just stepped down must not replace it).
    if (
      !this.locks &&
      this.role === 'follower' &&
      this.leaderId !== undefined &&
      message.from > this.leaderId
    ) {
      return;
    }
    clearTimeout(this.claimTimer);
    this.claimTimer = undefined;
    this.role = 'follower';
    this.leaderId = message.from;
    this.leaderHeardAt = this.now();
    if (message.kind !== 'state') return;
    this.latest = message.snapshot ?? this.latest;
    this.reconnecting = message.reconnecting;
    this.refused = message.refused;
    if (message.snapshot) this.handlers.snapshot(message.snapshot);
    if (message.refused) this.handlers.refused(message.refused);
    else this.handlers.reconnecting(message.reconnecting);
  }

  /** Every second: a leader says it is alive; a follower checks that its leader still is. */
  private beat(): void {
    if (this.role === 'leader') {
      this.post({ kind: 'alive', from: this.tabId });
    } else if (this.role === 'follower' && this.now() - this.leaderHeardAt > LEADER_TIMEOUT_MS) {
      this.leaderId = undefined;
      this.role = 'candidate';
      this.claimAfter(Math.random() * TAKEOVER_JITTER_MS);
    }
  }

  private claimAfter(ms: number): void {
    clearTimeout(this.claimTimer);
    this.claimTimer = setTimeout(() => {
      this.claimTimer = undefined;
      if (!this.stopped && this.role === 'candidate') this.lead();
    }, ms);
  }

  /** Takes the lead: opens the connection and relays everything it hears. */
  private lead(): void {
    this.role = 'leader';
    this.leaderId = this.tabId;
    this.postState();
    const connection = this.connect({
      snapshot: (snapshot) => {
        if (this.connection !== connection) return;
        this.latest = snapshot;
        // Relayed before it is handled here: a terminal snapshot makes this tab stop at once.
        this.postState();
        this.handlers.snapshot(snapshot);
      },
      reconnecting: (reconnecting) => {
        if (this.connection !== connection) return;
        this.reconnecting = reconnecting;
        this.postState();
        this.handlers.reconnecting(reconnecting);
      },
      refused: (error) => {
        if (this.connection !== connection) return;
        this.refused = error;
        this.postState();
        this.handlers.refused(error);
      },
    });
    this.connection = connection;
    connection.start();
  }

  private postState(): void {
    this.post({
      kind: 'state',
      from: this.tabId,
      snapshot: this.latest,
      reconnecting: this.reconnecting,
      refused: this.refused,
    });
  }

  private post(message: RelayMessage): void {
    try {
      this.channel?.postMessage(message);
    } catch {
      // A closed channel: nothing to tell.
    }
  }
}
