// The console's cards: a list's card (its heading for screen readers only) and a card with a visible heading.
import type { ReactNode } from "react";

/** A section named by a hidden heading, holding a list's toolbar, table and pager. */
export function TableCard({ id, title, children }: { id: string; title: ReactNode; children: ReactNode }) {
  return (
    <section className="card" aria-labelledby={id}>
      <h2 id={id} className="visually-hidden">
        {title}
      </h2>
      {children}
    </section>
  );
}

/** A padded section under a visible heading (a form beside a list). */
export function BodyCard({ id, title, children }: { id: string; title: ReactNode; children: ReactNode }) {
  return (
    <section className="card" aria-labelledby={id}>
      <div className="card-body">
        <h2 id={id}>{title}</h2>
        {children}
      </div>
    </section>
  );
}
