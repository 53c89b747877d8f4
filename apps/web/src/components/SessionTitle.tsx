"use client";
// A session page's heading: its label (or "Untitled"), with the id underneath.
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/lib/trpc.tsx";

export function SessionTitle({ id, admin }: { id: string; admin: boolean }) {
  const trpc = useTRPC();
  const session = useQuery({
    ...(admin ? trpc.admin.sessions.get.queryOptions({ session: id }) : trpc.sessions.get.queryOptions({ session: id })),
    retry: false,
  });
  return (
    <>
      <h1>
        {session.data ? (
          (session.data.label ?? "Untitled session")
        ) : session.error ? (
          "Session"
        ) : (
          <span className="skeleton" style={{ width: 220, height: 20 }} />
        )}
      </h1>
      <p className="mono" style={{ fontSize: 12.5 }}>
        {id}
      </p>
    </>
  );
}
