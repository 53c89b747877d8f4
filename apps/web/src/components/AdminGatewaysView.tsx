"use client";
// Super admin → Gateways: every gateway process, its status, the sessions it holds and how old its heartbeat is;
// refreshed every few seconds so a dead gateway is seen going offline and its sessions moving on.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { errorCode } from "@/lib/errors.ts";
import { useTRPC } from "@/lib/trpc.tsx";
import { ErrorNotice, NotAllowed } from "./Notices.tsx";

function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 90 ? `${s} s ago` : `${Math.round(s / 60)} min ago`;
}

export function AdminGatewaysView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const list = useQuery({ ...trpc.admin.gateways.list.queryOptions({}), refetchInterval: 3_000 });
  const drain = useMutation(
    trpc.admin.gateways.drain.mutationOptions({
      onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.admin.gateways.list.queryKey() }),
    }),
  );
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, []);

  if (errorCode(list.error) === "forbidden") return <NotAllowed what="Only platform super admins can see the gateways." />;
  if (list.error && !list.data) return <ErrorNotice error={list.error} onRetry={() => void list.refetch()} />;
  return (
    <section className="card" aria-labelledby="gateways-title">
      <h2 id="gateways-title" className="visually-hidden">
        Gateways
      </h2>
      <div className="table-wrap">
        <table className="table table-stack" data-testid="gateways-table" aria-busy={list.isLoading}>
          <thead>
            <tr>
              <th scope="col">Gateway</th>
              <th scope="col">Status</th>
              <th scope="col">Sessions held</th>
              <th scope="col">Heartbeat</th>
              <th scope="col">Address</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.data?.data.map((g) => (
              <tr key={g.id} data-gateway={g.id}>
                <td className="mono" data-label="Gateway">
                  {g.id}
                </td>
                <td data-label="Status">
                  <span className={`status status-gw-${g.status}`}>{g.status}</span>
                </td>
                <td data-label="Sessions held">{g.sessions}</td>
                <td data-label="Heartbeat">{g.heartbeatAt === null ? "—" : age(now - g.heartbeatAt)}</td>
                <td className="mono" data-label="Address">
                  {g.baseUrl ?? "—"}
                </td>
                <td>
                  {g.status === "online" ? (
                    <button
                      type="button"
                      className="btn btn-sm"
                      disabled={drain.isPending}
                      onClick={() => drain.mutate({ gateway: g.id })}
                      aria-label={`Drain ${g.id}`}
                    >
                      Drain
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
