"use client";
// Users and roles (admins only): viewer reads, operator also acts, admin also manages users.
import { useEffect, useState, type FormEvent } from "react";
import { CreateUserBody, roles, type Role, type UserInfo } from "@/server/contract";
import { errorMessage } from "../api/client";
import { createUser, deleteUser, listUsers, updateUser } from "../api/auth";
import { useMe } from "../session-provider";
import { ConfirmDialog } from "../ui/dialog";
import { Field } from "../ui/field";
import { formatDateTime } from "../ui/format";
import { useNotify } from "../ui/toaster";

const roleHelp: Record<Role, string> = {
  viewer: "sees everything, changes nothing",
  operator: "also starts, stops, creates and deletes guests and images",
  admin: "also manages users",
};

export function Users() {
  const me = useMe();
  const notify = useNotify();
  const [users, setUsers] = useState<UserInfo[] | null>(null);
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState<Role>("operator");
  const [errors, setErrors] = useState<Partial<Record<"username" | "password" | "form", string>>>({});
  const [removing, setRemoving] = useState<UserInfo | null>(null);

  useEffect(() => {
    listUsers().then(setUsers, (e) => notify(`Could not list users: ${errorMessage(e)}`, "error"));
  }, [notify]);

  async function create(e: FormEvent) {
    e.preventDefault();
    const body = CreateUserBody.safeParse({ username, password, role });
    if (!body.success) {
      const out: typeof errors = {};
      for (const i of body.error.issues) out[i.path[0] === "password" ? "password" : "username"] ??= i.message;
      return setErrors(out);
    }
    setErrors({});
    try {
      const u = await createUser(body.data.username, body.data.password, body.data.role);
      setUsers((l) => [...(l ?? []), u]);
      setUsername("");
      setPassword("");
      notify(`Created ${u.username}`, "success");
    } catch (err) {
      setErrors({ form: errorMessage(err) });
    }
  }
  async function changeRole(u: UserInfo, next: Role) {
    try {
      const updated = await updateUser(u.id, { role: next });
      setUsers((l) => l?.map((x) => (x.id === u.id ? updated : x)) ?? null);
      notify(`${u.username} is now ${next}`, "success");
    } catch (e) {
      notify(`Could not change ${u.username}'s role: ${errorMessage(e)}`, "error");
    }
  }
  async function remove() {
    if (!removing) return;
    try {
      await deleteUser(removing.id);
      setUsers((l) => l?.filter((u) => u.id !== removing.id) ?? null);
    } catch (e) {
      notify(`Could not delete ${removing.username}: ${errorMessage(e)}`, "error");
    }
    setRemoving(null);
  }

  return (
    <section className="card space-y-3 p-4" aria-labelledby="users-heading">
      <h2 id="users-heading" className="font-semibold">
        Users and roles
      </h2>
      <form onSubmit={create} className="grid items-end gap-3 sm:grid-cols-[1fr_1fr_10rem_auto]">
        <Field label="New user name" error={errors.username}>
          <input className="input" autoComplete="off" value={username} onChange={(e) => setUsername(e.target.value)} />
        </Field>
        <Field label="Initial password" error={errors.password}>
          <input
            className="input"
            type="password"
            autoComplete="new-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </Field>
        <Field label="Role">
          <select className="input" value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {roles.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </Field>
        <button type="submit" className="btn-primary">
          Add user
        </button>
      </form>
      <p className="muted text-xs">
        {role}: {roleHelp[role]}.
      </p>
      {errors.form && (
        <p role="alert" className="text-sm text-red-600">
          {errors.form}
        </p>
      )}
      {users && (
        <table className="w-full text-sm">
          <caption className="sr-only">Users</caption>
          <thead className="muted text-left text-xs">
            <tr>
              <th className="py-1">User</th>
              <th>Role</th>
              <th className="hidden sm:table-cell">Created</th>
              <th>
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr key={u.id} className="border-t border-zinc-100 dark:border-zinc-800">
                <td className="py-1.5 font-medium">{u.username}</td>
                <td>
                  <select
                    className="input w-32 py-1"
                    aria-label={`Role of ${u.username}`}
                    value={u.role}
                    onChange={(e) => void changeRole(u, e.target.value as Role)}
                  >
                    {roles.map((r) => (
                      <option key={r} value={r}>
                        {r}
                      </option>
                    ))}
                  </select>
                </td>
                <td className="muted hidden sm:table-cell">{formatDateTime(u.createdAt)}</td>
                <td className="text-right">
                  {u.id !== me?.id && (
                    <button type="button" className="btn" onClick={() => setRemoving(u)}>
                      Delete
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ConfirmDialog
        open={removing !== null}
        title={`Delete user ${removing?.username}?`}
        confirmLabel="Delete"
        danger
        onConfirm={remove}
        onClose={() => setRemoving(null)}
      >
        <p>Their sessions and API tokens stop working.</p>
      </ConfirmDialog>
    </section>
  );
}
