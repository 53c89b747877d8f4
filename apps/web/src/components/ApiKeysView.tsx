"use client";
// Organization → API keys: create (raw key shown once, with copy), list with prefix/last used/expiry, revoke.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { capabilities, capabilityDescriptions, type Capability } from "@wa/api/contract";
import { useState } from "react";
import { errorCode, errorMessage, fieldErrors } from "@/lib/errors.ts";
import { formatExact } from "@/lib/format.ts";
import { useTRPC } from "@/lib/trpc.tsx";
import { ConfirmButton } from "./ConfirmButton.tsx";
import { CopyButton } from "./CopyButton.tsx";
import { ErrorNotice, NotAllowed } from "./Notices.tsx";
import { RelativeTime } from "./RelativeTime.tsx";

const PERMISSIONS = capabilities.map((id) => ({ id, help: capabilityDescriptions[id] }));
type Permission = Capability;

export function ApiKeysView() {
  const trpc = useTRPC();
  const list = useQuery({ ...trpc.apiKeys.list.queryOptions({}), retry: false });
  if (errorCode(list.error) === "forbidden") {
    return <NotAllowed what="Only owners and admins of this organization, signed in, can see and manage API keys." />;
  }
  return (
    <div className="grid-detail grid-wide-main">
      <section className="card" aria-labelledby="keys-title">
        <h2 id="keys-title" className="visually-hidden">
          Keys
        </h2>
        {list.error ? (
          <div style={{ padding: 16 }}>
            <ErrorNotice error={list.error} onRetry={() => void list.refetch()} title="Could not load API keys" />
          </div>
        ) : (
          <KeysTable keys={list.data?.data} />
        )}
      </section>
      <section className="card" aria-labelledby="create-key-title">
        <div className="card-body">
          <h2 id="create-key-title">Create a key</h2>
          <CreateKeyForm />
        </div>
      </section>
    </div>
  );
}

function KeysTable({ keys }: { keys: { id: string; name: string; prefix: string; permissions: string[]; createdAt: number; lastUsedAt: number | null; expiresAt: number | null; revokedAt: number | null }[] | undefined }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const revoke = useMutation(
    trpc.apiKeys.revoke.mutationOptions({ onSuccess: () => void queryClient.invalidateQueries({ queryKey: trpc.apiKeys.list.pathKey() }) }),
  );
  return (
    <div className="table-wrap">
      <table className="table table-stack" aria-busy={!keys} data-testid="api-keys-table">
        <caption className="visually-hidden">API keys of this organization</caption>
        <colgroup>
          <col style={{ width: "22%" }} />
          <col style={{ width: "14%" }} />
          <col style={{ width: "24%" }} />
          <col style={{ width: "14%" }} />
          <col style={{ width: "14%" }} />
          <col style={{ width: "12%" }} />
        </colgroup>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Key</th>
            <th scope="col">Permissions</th>
            <th scope="col">Last used</th>
            <th scope="col">Expires</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {!keys
            ? Array.from({ length: 4 }, (_, i) => (
                <tr key={i} aria-hidden="true">
                  {Array.from({ length: 6 }, (_, j) => (
                    <td key={j}>
                      <span className="skeleton" style={{ width: "60%" }} />
                    </td>
                  ))}
                </tr>
              ))
            : null}
          {keys && keys.length === 0 ? (
            <tr>
              <td colSpan={6} style={{ height: "auto", whiteSpace: "normal" }}>
                <div className="empty">
                  <strong>No API keys yet</strong>
                  Create one for a script or service that talks to the gateway.
                </div>
              </td>
            </tr>
          ) : null}
          {keys?.map((k) => {
            const expired = k.expiresAt !== null && k.expiresAt <= Date.now();
            return (
              <tr key={k.id} data-key-id={k.id}>
                <td className="cell-title wrap" title={k.name}>
                  {k.name}
                </td>
                <td className="mono" data-label="Key">
                  {k.prefix}…
                </td>
                <td className="wrap" data-label="Permissions">
                  <span className="tags">
                    {k.permissions.map((p) => (
                      <span key={p} className="tag">
                        {p}
                      </span>
                    ))}
                  </span>
                </td>
                <td className="wrap" data-label="Last used">
                  <RelativeTime ms={k.lastUsedAt} empty="Never" />
                </td>
                <td className="wrap" data-label="Expires" title={k.expiresAt ? formatExact(k.expiresAt) : undefined}>
                  {k.revokedAt ? (
                    <span className="status status-failed">Revoked</span>
                  ) : expired ? (
                    <span className="status status-stopped">Expired</span>
                  ) : k.expiresAt ? (
                    <RelativeTime ms={k.expiresAt} />
                  ) : (
                    <span className="muted">Never</span>
                  )}
                </td>
                <td className="cell-actions" style={{ textAlign: "right" }}>
                  {k.revokedAt ? null : (
                    <ConfirmButton
                      label="Revoke"
                      className="btn btn-danger btn-sm"
                      title={`Revoke “${k.name}”?`}
                      body="Requests with this key fail from the next one on. This cannot be undone."
                      confirmLabel="Revoke key"
                      disabled={revoke.isPending}
                      onConfirm={() => revoke.mutate({ id: k.id })}
                    />
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {revoke.error ? (
        <div className="form-error" role="alert" style={{ margin: 12 }}>
          {errorMessage(revoke.error)}
        </div>
      ) : null}
    </div>
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
        {create.error && Object.keys(fieldErrors(create.error)).length === 0 ? (
          <div className="form-error" role="alert">
            {errorMessage(create.error)}
          </div>
        ) : null}
        <div className="field">
          <label htmlFor="key-name">Name</label>
          <input
            id="key-name"
            className="input"
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="e.g. CRM integration"
            aria-invalid={errors.name ? true : undefined}
            aria-describedby="key-name-msg"
          />
          <span id="key-name-msg" className={errors.name ? "error" : "hint"}>
            {errors.name ?? "Shown in the list so you can tell keys apart."}
          </span>
        </div>
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
        <div className="field">
          <label htmlFor="key-expires">Expires (optional)</label>
          <input
            id="key-expires"
            type="date"
            className="input"
            value={expires}
            onChange={(e) => setExpires(e.target.value)}
            aria-invalid={errors.expiresAt ? true : undefined}
            aria-describedby="key-expires-msg"
          />
          <span id="key-expires-msg" className={errors.expiresAt ? "error" : "hint"}>
            {errors.expiresAt ?? "Leave empty for a key that does not expire."}
          </span>
        </div>
        <button type="submit" className="btn btn-primary" disabled={create.isPending}>
          {create.isPending ? "Creating…" : "Create key"}
        </button>
      </form>
    </>
  );
}
