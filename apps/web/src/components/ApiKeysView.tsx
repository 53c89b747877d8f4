"use client";
// Organization → API keys: create (raw key shown once, with copy), list with prefix/last used/expiry, revoke.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { capabilities, capabilityDescriptions, type Capability } from "@wa/api/contract";
import { useState } from "react";
import { errorCode, fieldErrors } from "@/lib/errors.ts";
import { formatExact } from "@/lib/format.ts";
import { useTRPC, type RouterOutputs } from "@/lib/trpc.tsx";
import { BodyCard, TableCard } from "./Cards.tsx";
import { ConfirmButton } from "./ConfirmButton.tsx";
import { CopyButton } from "./CopyButton.tsx";
import type { Column } from "./DataTable.tsx";
import { FormError, TextField } from "./FormParts.tsx";
import { ActionError, NotAllowed } from "./Notices.tsx";
import { ListTable, type ListQuery } from "./PagedTable.tsx";
import { RelativeTime } from "./RelativeTime.tsx";
import { Tags } from "./Tags.tsx";

const PERMISSIONS = capabilities.map((id) => ({ id, help: capabilityDescriptions[id] }));
type Permission = Capability;

type ApiKey = RouterOutputs["apiKeys"]["list"]["data"][number];

export function ApiKeysView() {
  const trpc = useTRPC();
  const list = useQuery({ ...trpc.apiKeys.list.queryOptions({}), retry: false });
  if (errorCode(list.error) === "forbidden") {
    return <NotAllowed what="Only owners and admins of this organization, signed in, can see and manage API keys." />;
  }
  return (
    <div className="grid-detail grid-wide-main">
      <TableCard id="keys-title" title="Keys">
        <KeysTable list={list} />
      </TableCard>
      <BodyCard id="create-key-title" title="Create a key">
        <CreateKeyForm />
      </BodyCard>
    </div>
  );
}

function KeyExpiry({ apiKey: k }: { apiKey: ApiKey }) {
  if (k.revokedAt) return <span className="status status-failed">Revoked</span>;
  if (k.expiresAt !== null && k.expiresAt <= Date.now()) return <span className="status status-stopped">Expired</span>;
  if (k.expiresAt) return <RelativeTime ms={k.expiresAt} />;
  return <span className="muted">Never</span>;
}

function KeysTable({ list }: { list: ListQuery<ApiKey> }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const revoke = useMutation(
    trpc.apiKeys.revoke.mutationOptions({ onSuccess: () => void queryClient.invalidateQueries({ queryKey: trpc.apiKeys.list.pathKey() }) }),
  );
  const columns: Column<ApiKey>[] = [
    { header: "Name", width: "22%", className: "wrap", cellProps: (k) => ({ title: k.name }), cell: (k) => k.name },
    { header: "Key", width: "14%", className: "mono", cell: (k) => <>{k.prefix}…</> },
    { header: "Permissions", width: "24%", className: "wrap", cell: (k) => <Tags values={k.permissions} /> },
    { header: "Last used", width: "14%", className: "wrap", cell: (k) => <RelativeTime ms={k.lastUsedAt} empty="Never" /> },
    {
      header: "Expires",
      width: "14%",
      className: "wrap",
      cellProps: (k) => ({ title: k.expiresAt ? formatExact(k.expiresAt) : undefined }),
      cell: (k) => <KeyExpiry apiKey={k} />,
    },
    {
      header: "Actions",
      actions: true,
      width: "12%",
      cell: (k) =>
        k.revokedAt ? null : (
          <ConfirmButton
            label="Revoke"
            className="btn btn-danger btn-sm"
            title={`Revoke “${k.name}”?`}
            body="Requests with this key fail from the next one on. This cannot be undone."
            confirmLabel="Revoke key"
            disabled={revoke.isPending}
            onConfirm={() => revoke.mutate({ id: k.id })}
          />
        ),
    },
  ];
  return (
    <ListTable
      list={list}
      errorTitle="Could not load API keys"
      columns={columns}
      rowKey={(k) => k.id}
      rowProps={(k) => ({ "data-key-id": k.id })}
      skeletonRows={4}
      caption="API keys of this organization"
      testId="api-keys-table"
      empty={
        <>
          <strong>No API keys yet</strong>
          Create one for a script or service that talks to the gateway.
        </>
      }
    >
      <ActionError error={revoke.error} />
    </ListTable>
  );
}

function CreateKeyForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [permissions, setPermissions] = useState<Permission[]>(["read"]);
  const [expires, setExpires] = useState("");
  const [touched, setTouched] = useState(false);
  const create = useMutation(
    trpc.apiKeys.create.mutationOptions({
      onSuccess: () => {
        void queryClient.invalidateQueries({ queryKey: trpc.apiKeys.list.pathKey() });
        setName("");
        setTouched(false);
      },
    }),
  );
  const local: Record<string, string> = {};
  if (name.trim() === "") local.name = "Give the key a name.";
  if (permissions.length === 0) local.permissions = "Pick at least one permission.";
  const expiresAt = expires ? new Date(`${expires}T23:59:59`).getTime() : null;
  if (expiresAt !== null && expiresAt <= Date.now()) local.expiresAt = "Pick a date in the future.";
  const errors = { ...(touched ? local : {}), ...fieldErrors(create.error) };

  return (
    <>
      {create.data ? (
        <div className="stack" style={{ marginBottom: 16 }} data-testid="new-key">
          <div className="form-ok" role="status">
            Key “{create.data.apiKey.name}” created. Copy it now — it is shown only once.
          </div>
          <div className="secret">
            <code data-testid="raw-key">{create.data.key}</code>
            <CopyButton value={create.data.key} />
          </div>
        </div>
      ) : null}
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          setTouched(true);
          if (Object.keys(local).length > 0) return;
          create.mutate({ name: name.trim(), permissions, ...(expiresAt !== null ? { expiresAt } : {}) });
        }}
      >
        <FormError error={create.error} />
        <TextField
          id="key-name"
          label="Name"
          hint="Shown in the list so you can tell keys apart."
          error={errors.name}
          value={name}
          onChange={(e) => setName(e.target.value)}
          placeholder="e.g. CRM integration"
        />
        <fieldset className="field" style={{ border: 0, padding: 0 }} aria-describedby="perm-msg">
          <legend className="label" style={{ marginBottom: 6 }}>
            Permissions
          </legend>
          {PERMISSIONS.map((p) => (
            <label key={p.id} className="check" style={{ marginBottom: 6 }}>
              <input
                type="checkbox"
                checked={permissions.includes(p.id)}
                onChange={(e) => setPermissions((cur) => (e.target.checked ? [...cur, p.id] : cur.filter((x) => x !== p.id)))}
              />
              <span>
                <strong>{p.id}</strong> <small style={{ display: "inline" }}>— {p.help}</small>
              </span>
            </label>
          ))}
          {errors.permissions ? (
            <span id="perm-msg" className="error">
              {errors.permissions}
            </span>
          ) : null}
        </fieldset>
        <TextField
          id="key-expires"
          label="Expires (optional)"
          hint="Leave empty for a key that does not expire."
          error={errors.expiresAt}
          type="date"
          value={expires}
          onChange={(e) => setExpires(e.target.value)}
        />
        <button type="submit" className="btn btn-primary" disabled={create.isPending}>
          {create.isPending ? "Creating…" : "Create key"}
        </button>
      </form>
    </>
  );
}
