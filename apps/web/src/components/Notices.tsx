// Notices: not allowed (the API answered 403), load errors with a retry, not found, a failed row action.
import type { ReactNode } from "react";
import { errorCode, errorMessage } from "@/lib/errors.ts";

export function NotAllowed({ what }: { what: string }) {
  return (
    <section className="card notice" role="alert" aria-labelledby="not-allowed-title" data-testid="not-allowed">
      <div className="notice-icon forbidden" aria-hidden="true">⛔</div>
      <div>
        <h2 id="not-allowed-title">Not allowed</h2>
        <p>{what}</p>
        <p className="muted">The gateway answered 403 forbidden for your account.</p>
      </div>
    </section>
  );
}

export function ErrorNotice({ error, onRetry, title = "Could not load this" }: { error: unknown; onRetry?: () => void; title?: string }) {
  return (
    <section className="card notice" role="alert" data-testid="error-notice">
      <div className="notice-icon error" aria-hidden="true">!</div>
      <div>
        <h2>{title}</h2>
        <p>{errorMessage(error)}</p>
        {onRetry ? (
          <p>
            <button type="button" className="btn btn-sm" onClick={onRetry}>
              Retry
            </button>
          </p>
        ) : null}
      </div>
    </section>
  );
}

/** A failed row action's message under a table (nothing while there is none). */
export function ActionError({ error }: { error: unknown }): ReactNode {
  if (!error) return null;
  return (
    <div className="form-error" role="alert" style={{ margin: 12 }}>
      {errorMessage(error)}
    </div>
  );
}

/** Renders NotAllowed for a 403, ErrorNotice otherwise. */
export function QueryError({ error, onRetry, forbidden }: { error: unknown; onRetry?: () => void; forbidden: string }): ReactNode {
  if (errorCode(error) === "forbidden") return <NotAllowed what={forbidden} />;
  return <ErrorNotice error={error} onRetry={onRetry} />;
}

export function NotFoundNotice({ what }: { what: string }) {
  return (
    <section className="card notice" role="alert" data-testid="not-found">
      <div className="notice-icon error" aria-hidden="true">?</div>
      <div>
        <h2>Not found</h2>
        <p>{what}</p>
      </div>
    </section>
  );
}
