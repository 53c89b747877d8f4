// The webhooks port as the gateway provides it (and the test ports reuse): seal with APP_SECRET, check URLs with
// the SSRF guard.
import { DomainError } from "../errors.ts";
import type { WebhookPort } from "../ports.ts";
import { WebhookSecretCipher } from "./secret-cipher.ts";
import { checkWebhookUrl, parseWebhookUrl, UrlRefused, type Resolver } from "./url-guard.ts";

export interface WebhookPortOptions {
  appSecret: string;
  appSecretPrevious?: string | undefined;
  /** WEBHOOK_ALLOW_PRIVATE=1: loopback and private receivers allowed (tests, demo). */
  allowPrivate: boolean;
  /** DNS resolution (tests pass their own). */
  resolve?: Resolver;
}

export function createWebhookPort(options: WebhookPortOptions): WebhookPort & { cipher: WebhookSecretCipher } {
  const cipher = new WebhookSecretCipher({ current: options.appSecret, previous: options.appSecretPrevious });
  return {
    cipher,
    sealSecret: (webhookId, secret) => cipher.seal(webhookId, secret),
    async checkUrl(url) {
      try {
        // Private receivers allowed: nothing to resolve (delivery resolves anyway).
        if (options.allowPrivate) parseWebhookUrl(url);
        else await checkWebhookUrl(url, { allowPrivate: false, ...(options.resolve ? { resolve: options.resolve } : {}) });
      } catch (error) {
        if (!(error instanceof UrlRefused)) throw error;
        throw new DomainError("validation_error", `url: ${error.message}`, { errors: [{ path: "url", message: error.message }] });
      }
    },
  };
}
