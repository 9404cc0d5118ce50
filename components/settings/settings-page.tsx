"use client";
// Settings: appearance, your API tokens, and (for admins) users and roles.
import { useHasRole } from "../session-provider";
import { Appearance } from "./appearance";
import { Tokens } from "./tokens";
import { Users } from "./users";

export function SettingsPage() {
  const isAdmin = useHasRole("admin");
  return (
    <div className="max-w-4xl space-y-4">
      <h1 className="text-lg font-semibold">Settings</h1>
      <Appearance />
      <Tokens />
      {isAdmin && <Users />}
    </div>
  );
}
