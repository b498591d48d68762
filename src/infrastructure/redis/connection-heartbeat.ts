import { RedisClient } from './redis-topology';

/** How often a watched connection is pinged, and how long it may go unheard before it counts as dead. */
export const HEARTBEAT_MS = 1_000;
export const SILENCE_MS = 3_000;

/**
 * Pings a long-lived connection (a subscriber: pub/sub says nothing when nothing is published) every second
 * while `watching()`, and calls `onSilent` once it has gone unheard for SILENCE_MS: a connection dropped
 * without a word (a NAT or load balancer forgetting it) is otherwise noticed only by the OS's keepalive,
 * hours later. A tick that comes late (a blocked event loop) judges nothing, as the pong may sit unread yet.
 */
export class ConnectionHeartbeat {
  private heardAt = Date.now();
  private tickedAt = Date.now();
  private pinging = false;
  private readonly timer: NodeJS.Timeout;

  constructor(client: RedisClient, watching: () => boolean, onSilent: () => void) {
    // A connection that (re)connects has been heard, and a ping lost with the old one is forgotten.
    client.on('ready', () => this.answered());
    this.timer = setInterval(() => {
      const now = Date.now();
      const late = now - this.tickedAt > 2 * HEARTBEAT_MS;
      this.tickedAt = now;
      if (!watching()) return;
      if (!late && !this.heard(now)) {
        onSilent();
        // Counted afresh: the connection that replaces it has not had its chance yet.
        this.answered();
        return;
      }
      if (this.pinging) return;
      this.pinging = true;
      client
        .ping()
        .then(
          () => (this.heardAt = Date.now()),
          () => undefined,
        )
        .finally(() => (this.pinging = false));
    }, HEARTBEAT_MS).unref();
  }

  /** Whether the connection answered within SILENCE_MS. */
  heard(now = Date.now()): boolean {
    return now - this.heardAt <= SILENCE_MS;
  }

  /** The connection answered or came back: silence counts from now, and a ping lost with the old one is forgotten. */
  answered(): void {
    this.heardAt = Date.now();
    this.pinging = false;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
