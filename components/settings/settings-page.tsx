"use client";
// Settings: appearance, your password, your API tokens, and (for admins) users and roles.
import { useState } from "react";
import { useHasRole } from "../session-provider";
import { Appearance } from "./appearance";
import { Password } from "./password";
import { Tokens } from "./tokens";
import { Users } from "./users";

export function SettingsPage() {
  const isAdmin = useHasRole("admin");
  // A password change revokes every token: the token list reloads after one.
  const [tokensVersion, setTokensVersion] = useState(0);
  return (
    <div className="max-w-4xl space-y-4">
      <h1 className="text-lg font-semibold">Settings</h1>
      <Appearance />
      <Password onChanged={() => setTokensVersion((v) => v + 1)} />
      <Tokens version={tokensVersion} />
      {isAdmin && <Users />}
    </div>
  );
}
