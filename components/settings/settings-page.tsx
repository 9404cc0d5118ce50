"use client";
// Settings: appearance, your password, your API tokens, and (for admins) users and roles.
import { useHasRole } from "../session-provider";
import { Appearance } from "./appearance";
import { Password } from "./password";
import { Tokens } from "./tokens";
import { Users } from "./users";

export function SettingsPage() {
  const isAdmin = useHasRole("admin");
  return (
    <div className="max-w-4xl space-y-4">
      <h1 className="text-lg font-semibold">Settings</h1>
      <Appearance />
      <Password />
      <Tokens />
      {isAdmin && <Users />}
    </div>
  );
}
