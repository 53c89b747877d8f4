// What the composition root (engine.ts) is configured with; a leaf module, so the parts it composes can read
// their settings without importing the root.
import type { DispatcherOptions } from "./events/dispatcher.ts";
import type { ClusterTimings } from "./cluster/config.ts";
import type { ReconnectPolicyOptions } from "./whatsapp/reconnect-policy.ts";

export interface EngineConfig {
  gatewayId: string;
  /** APP_SECRET: the auth state (creds, signal keys) is sealed at rest under a key derived from it. */
  appSecret: string;
  /** APP_SECRET_PREVIOUS: still opens auth state sealed before a rotation (sealed again under APP_SECRET at start). */
  appSecretPrevious?: string;
  /** This gateway's public base URL, recorded in `gateways` for forwarding. */
  gatewayUrl: string;
  /** Baileys' `waWebSocketUrl`; unset means WhatsApp itself. A loopback URL selects the simulator. */
  waWsUrl?: string;
  /** Digits only; a session paired with this number is marked `isAdminSession`. */
  adminPhoneNumber?: string;
  /** The simulator's control API base URL; enables `sessions.simulateScan`. */
  simulatorHttpUrl?: string;
  /**
   * The simulator's certificate root (32-byte Curve25519 public key, raw or base64/hex string); asked of the
   * simulator when unset and `simulatorHttpUrl` is. Trusted in this process only (whatsapp/simulator.ts).
   * Test/demo only.
   */
  trustRootPublicKey?: Uint8Array | string;
  /** Sessions restored at once at boot (default 8). */
  restoreConcurrency?: number;
  /** Upper bound of the random delay before each of the first `restoreConcurrency` restored sessions (default 1000 ms). */
  restoreJitterMs?: number;
  /** Gateway heartbeat interval (default 2 s). */
  heartbeatIntervalMs?: number;
  /** Lease, takeover and heartbeat timings (cluster/config.ts); tests shorten them. */
  cluster?: Partial<ClusterTimings>;
  /** Lifetime of each QR (Baileys' qrTimeout; default 60 s for the first, 20 s for the next ones). */
  qrTimeoutMs?: number;
  /** Baileys keep-alive ping interval (default 30 s, Baileys' own default). */
  keepAliveIntervalMs?: number;
  /** Backoff and give-up thresholds of the reconnect policy. */
  reconnect?: Partial<ReconnectPolicyOptions>;
  /** Rows per backfill batch (default 2000: each group batch is one statement; fewer, larger ones cost less). */
  backfillBatchSize?: number;
  /** WEBHOOK_ALLOW_PRIVATE=1: webhooks may call loopback/private addresses (tests, demo). */
  webhookAllowPrivate?: boolean;
  /** Event log retention (default and minimum 7 days). */
  eventRetentionDays?: number;
  /** Webhook dispatcher tuning (tests shorten the backoff). */
  webhooks?: Partial<DispatcherOptions>;
}
