// Timings of membership and leases, chosen so a dead gateway's sessions are back within 30 s:
// lease expiry (≤ ttl) + one takeover scan + start jitter + the reconnect itself.
import { gatewayStaleAfterMs } from "@wa/db/contract";

export interface ClusterTimings {
  /** A lease lives this long past its last renewal (database time). */
  leaseTtlMs: number;
  /** One bulk renewal per interval (a third of the TTL leaves two chances before expiry). */
  renewIntervalMs: number;
  /**
   * The holder closes its sockets this long before its lease could expire (local clock, measured from when the
   * renewal was sent): covers timer lateness and clock-rate drift, so the socket is closed before anyone can take it.
   */
  safetyMarginMs: number;
  heartbeatIntervalMs: number;
  /** A gateway silent for longer is not live: its sessions may be taken over once their leases expire. */
  staleMs: number;
  /** How often each gateway looks for sessions nobody holds. */
  scanIntervalMs: number;
  /** Upper bound of the random delay before a taken-over session connects (no thundering herd). */
  takeoverJitterMs: number;
  /** Sessions reconnected at once after a takeover. */
  takeoverConcurrency: number;
}

export const defaultClusterTimings: ClusterTimings = {
  leaseTtlMs: 10_000,
  renewIntervalMs: 3_000,
  safetyMarginMs: 2_500,
  heartbeatIntervalMs: 2_000,
  staleMs: gatewayStaleAfterMs,
  scanIntervalMs: 2_000,
  takeoverJitterMs: 3_000,
  takeoverConcurrency: 16,
};
