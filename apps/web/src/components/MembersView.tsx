"use client";
// Organization → Members: who is in it, with roles an owner/admin can change, removal, and leaving for oneself.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { orgRoles } from "@wa/api/contract";
import { useState } from "react";
import { errorCode, errorMessage } from "@/lib/errors.ts";
import { pageOf, usePageState } from "@/lib/page-state.ts";
import { tokens } from "@/lib/token-source.ts";
import { useConsole, useTRPC, type RouterOutputs } from "@/lib/trpc.tsx";
import { ConfirmButton } from "./ConfirmButton.tsx";
import type { Column } from "./DataTable.tsx";
import { NotAllowed } from "./Notices.tsx";
import { TableCard } from "./Cards.tsx";
import { PagedTable } from "./PagedTable.tsx";
import { RelativeTime } from "./RelativeTime.tsx";

type Member = RouterOutputs["members"]["list"]["data"][number];

export function MembersView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { viewer } = useConsole();
  const paging = usePageState([]);
  const [notice, setNotice] = useState<string | null>(null);
  const list = useQuery({ ...trpc.members.list.queryOptions(pageOf(paging.state)), placeholderData: keepPreviousData, retry: false });
  const refresh = () => void queryClient.invalidateQueries({ queryKey: trpc.members.list.pathKey() });
  const onError = (error: unknown) => setNotice(errorMessage(error));
  const updateRole = useMutation(trpc.members.updateRole.mutationOptions({ onSuccess: refresh, onError }));
  const remove = useMutation(trpc.members.remove.mutationOptions({ onSuccess: refresh, onError }));
  const leave = useMutation(
    trpc.members.leave.mutationOptions({
      onSuccess: () => {
        tokens.invalidate();
        window.location.assign("/sessions");
      },
      onError,
    }),
  );
  const busy = updateRole.isPending || remove.isPending || leave.isPending;
  const isOwner = viewer.activeOrganization?.role === "owner";

  const leaveButton = (
    <ConfirmButton
      label="Leave organization"
      title="Leave this organization?"
      body={`You lose access to ${viewer.activeOrganization?.organizationName ?? "it"} at once; someone must invite you again to come back.`}
      confirmLabel="Leave"
      disabled={busy}
      onConfirm={() => leave.mutate({})}
    />
  );

  if (errorCode(list.error) === "forbidden") {
    return (
      <>
        <NotAllowed what="Only owners and admins of this organization can see and manage its members." />
        <div className="row" style={{ marginTop: 16 }}>{leaveButton}</div>
      </>
    );
  }

  const columns: Column<Member>[] = [
    { header: "Name", width: "22%", cell: (m) => <>{m.name}{m.userId === viewer.user.id ? <span className="muted"> (you)</span> : null}</> },
    { header: "Email", width: "24%", cell: (m) => m.email },
    {
      header: "Role",
      width: "14%",
      cell: (m) => (
        <select
          className="select"
          aria-label={`Role of ${m.email}`}
          value={m.role}
          disabled={busy || (!isOwner && m.role === "owner")}
          onChange={(e) => {
            setNotice(null);
            updateRole.mutate({ user: m.userId, role: e.target.value as Member["role"] });
          }}
        >
          {orgRoles.map((r) => (
            <option key={r} value={r} disabled={!isOwner && r === "owner"}>
              {r}
            </option>
          ))}
        </select>
      ),
    },
    { header: "Joined", width: "13%", cell: (m) => <RelativeTime ms={m.joinedAt} /> },
    { header: "Last active", width: "13%", cell: (m) => <RelativeTime ms={m.lastActiveAt} empty="Never" /> },
    {
      header: "Actions",
      width: "14%",
      cell: (m) =>
        m.userId === viewer.user.id ? (
          leaveButton
        ) : (
          <ConfirmButton
            label="Remove"
            className="btn btn-sm btn-danger"
            title={`Remove ${m.name}?`}
            body={`${m.email} loses access to this organization at once.`}
            confirmLabel="Remove"
            disabled={busy || (!isOwner && m.role === "owner")}
            onConfirm={() => {
              setNotice(null);
              remove.mutate({ user: m.userId });
            }}
          />
        ),
    },
  ];

  return (
    <TableCard id="members-title" title="Members">
      {notice ? (
        <div className="form-error" role="alert" style={{ margin: 12 }} data-testid="members-error">
          {notice}
        </div>
      ) : null}
      <PagedTable
        list={list}
        paging={paging}
        errorTitle="Could not load members"
        columns={columns}
        rowKey={(m) => m.userId}
        caption="Members of this organization, oldest first"
        testId="members-table"
        empty={
          <>
            <strong>No members</strong>
            Invite someone from the Invitations page.
          </>
        }
      />
    </TableCard>
  );
}
