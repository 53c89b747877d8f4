"use client";
// Organization → Invitations: invite by email and role (the single-use link is shown once, to copy), and the pending
// invitations, newest first, each revocable.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { orgRoles } from "@wa/api/contract";
import { useState, type FormEvent } from "react";
import { errorCode, errorMessage, fieldErrors } from "@/lib/errors.ts";
import { formatExact } from "@/lib/format.ts";
import { pageOf, usePageState } from "@/lib/page-state.ts";
import { useConsole, useTRPC, type RouterOutputs } from "@/lib/trpc.tsx";
import { ConfirmButton } from "./ConfirmButton.tsx";
import { CopyButton } from "./CopyButton.tsx";
import type { Column } from "./DataTable.tsx";
import { ActionError, NotAllowed } from "./Notices.tsx";
import { BodyCard, TableCard } from "./Cards.tsx";
import { PagedTable } from "./PagedTable.tsx";
import { RelativeTime } from "./RelativeTime.tsx";

type Invitation = RouterOutputs["invitations"]["list"]["data"][number];

export function InvitationsView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const paging = usePageState([]);
  const list = useQuery({ ...trpc.invitations.list.queryOptions(pageOf(paging.state)), placeholderData: keepPreviousData, retry: false });
  const revoke = useMutation(
    trpc.invitations.revoke.mutationOptions({ onSuccess: () => void queryClient.invalidateQueries({ queryKey: trpc.invitations.list.pathKey() }) }),
  );
  if (errorCode(list.error) === "forbidden") {
    return <NotAllowed what="Only owners and admins of this organization can invite people." />;
  }
  const columns: Column<Invitation>[] = [
    { header: "Email", width: "30%", cell: (i) => i.email },
    { header: "Role", width: "12%", cell: (i) => i.role },
    { header: "Invited by", width: "20%", cell: (i) => i.invitedBy?.name ?? <span className="muted">—</span> },
    { header: "Expires", width: "22%", cell: (i) => <span title={formatExact(i.expiresAt)}><RelativeTime ms={i.expiresAt} /></span> },
    {
      header: "Actions",
      width: "16%",
      cell: (i) => (
        <ConfirmButton
          label="Revoke"
          className="btn btn-sm btn-danger"
          title="Revoke this invitation?"
          body={`The link sent to ${i.email} stops working.`}
          confirmLabel="Revoke"
          disabled={revoke.isPending}
          onConfirm={() => revoke.mutate({ id: i.id })}
        />
      ),
    },
  ];
  return (
    <div className="grid-detail grid-wide-main">
      <TableCard id="invitations-title" title="Pending invitations">
        <ActionError error={revoke.error} />
        <PagedTable
          list={list}
          paging={paging}
          errorTitle="Could not load invitations"
          columns={columns}
          rowKey={(i) => i.id}
          caption="Pending invitations, newest first"
          testId="invitations-table"
          empty={
            <>
              <strong>No pending invitations</strong>
              Invite a colleague with the form; accepted, expired and revoked links leave this list.
            </>
          }
        />
      </TableCard>
      <BodyCard id="invite-title" title="Invite someone">
        <InviteForm />
      </BodyCard>
    </div>
  );
}

function InviteForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { viewer } = useConsole();
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<(typeof orgRoles)[number]>("member");
  const [days, setDays] = useState(7);
  const create = useMutation(
    trpc.invitations.create.mutationOptions({
      onSuccess: () => {
        setEmail("");
        void queryClient.invalidateQueries({ queryKey: trpc.invitations.list.pathKey() });
      },
    }),
  );
  const fields = fieldErrors(create.error);
  const link = create.data ? `${window.location.origin}${create.data.path}` : null;
  const isOwner = viewer.activeOrganization?.role === "owner";

  function submit(e: FormEvent) {
    e.preventDefault();
    create.mutate({ email, role, expiresInDays: days });
  }

  return (
    <form onSubmit={submit} noValidate>
      {link && create.data ? (
        <div className="stack" style={{ marginBottom: 16 }} data-testid="invitation-link">
          <div className="form-ok" role="status">
            Invitation for {create.data.invitation.email} ({create.data.invitation.role}) created
            {create.data.email?.status === "sent"
              ? " and emailed to them. The link is also here, shown only once"
              : ". Copy the link now and send it to them — it is shown only once"}
            , works once, and expires {formatExact(create.data.invitation.expiresAt)}.
          </div>
          {create.data.email?.status === "failed" ? (
            <div className="form-error" role="alert" data-testid="invitation-mail-failed">
              The email could not be sent ({create.data.email.problem}). Copy the link and send it yourself.
            </div>
          ) : null}
          <div className="secret">
            <code data-testid="invitation-url">{link}</code>
            <CopyButton value={link} label="Copy link" />
          </div>
        </div>
      ) : null}
      {create.error && !fields.email ? (
        <div className="form-error" role="alert">
          {errorMessage(create.error)}
        </div>
      ) : null}
      <div className="field">
        <label htmlFor="invite-email">Email</label>
        <input id="invite-email" className="input" type="email" autoComplete="off" value={email} onChange={(e) => setEmail(e.target.value)} aria-invalid={fields.email ? true : undefined} required />
        {fields.email ? <span className="error">{fields.email}</span> : null}
      </div>
      <div className="field">
        <label htmlFor="invite-role">Role</label>
        <select id="invite-role" className="select" value={role} onChange={(e) => setRole(e.target.value as typeof role)}>
          {orgRoles.map((r) => (
            <option key={r} value={r} disabled={r === "owner" && !isOwner}>
              {r}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="invite-days">Link valid for</label>
        <select id="invite-days" className="select" value={days} onChange={(e) => setDays(Number(e.target.value))}>
          {[1, 3, 7, 14, 30].map((d) => (
            <option key={d} value={d}>
              {d} {d === 1 ? "day" : "days"}
            </option>
          ))}
        </select>
      </div>
      <button type="submit" className="btn btn-primary" disabled={create.isPending || !email.trim()}>
        {create.isPending ? "Creating…" : "Create invitation link"}
      </button>
    </form>
  );
}
