"use client";
// Cloud-init for VMs: hostname, a user with a password and/or SSH keys; port forwards once the
// VM has NICs on Tandem networks.
import { Field } from "../ui/field";
import type { FieldsProps } from "./form-model";
import { PortFields } from "./port-fields";

export function VmFields({ draft, set, errors }: FieldsProps) {
  return (
    <>
      <fieldset className="grid gap-4 sm:grid-cols-2">
        <legend className="mb-2 text-sm font-medium">Cloud-init (applied on first boot, if the image uses it)</legend>
        <Field label="Hostname" error={errors["cloudInit.hostname"]}>
          <input className="input" value={draft.ciHostname} onChange={(e) => set("ciHostname", e.target.value)} />
        </Field>
        <Field label="User" error={errors["cloudInit.user"]}>
          <input
            className="input"
            autoComplete="off"
            value={draft.ciUser}
            onChange={(e) => set("ciUser", e.target.value)}
          />
        </Field>
        <Field label="Password" error={errors["cloudInit.password"]}>
          <input
            className="input"
            type="password"
            autoComplete="new-password"
            value={draft.ciPassword}
            onChange={(e) => set("ciPassword", e.target.value)}
          />
        </Field>
        <Field
          label="SSH public keys"
          hint="One key per line."
          error={errors["cloudInit.sshKeys"]}
          className="sm:col-span-2"
        >
          <textarea
            className="input min-h-20 font-mono text-xs"
            value={draft.ciSshKeys}
            onChange={(e) => set("ciSshKeys", e.target.value)}
            placeholder="ssh-ed25519 AAAA… you@laptop"
          />
        </Field>
      </fieldset>
      <PortFields draft={draft} set={set} errors={errors} />
    </>
  );
}
