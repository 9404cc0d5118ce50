// Users, sessions and tokens as seen over the API.
import { z } from "zod";

export const roles = ["admin", "operator", "viewer"] as const;
export const Role = z.enum(roles);
export type Role = z.infer<typeof Role>;

/** Viewer reads, operator also acts on guests and images, admin also manages users. */
export const roleRank: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };
export const hasRole = (actual: Role, needed: Role) => roleRank[actual] >= roleRank[needed];

export const Username = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-zA-Z0-9_.-]+$/, "user names may contain letters, digits, '.', '_' and '-'");

export const LoginBody = z.object({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(1024),
});
export type LoginBody = z.infer<typeof LoginBody>;

export const Me = z.object({ id: z.string(), username: z.string(), role: Role });
export type Me = z.infer<typeof Me>;

export const LoginResponse = z.object({ user: Me, csrfToken: z.string() });

/** A token's lifetime may be chosen between a day and ten years; unset, the server's default. */
export const CreateTokenBody = z.object({
  name: z.string().min(1).max(100),
  expiresInDays: z.number().int().min(1).max(3650).optional(),
});
export const ApiTokenInfo = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  /** Every token expires (TANDEM_TOKEN_TTL_DAYS, 90 by default, or its own lifetime). */
  expiresAt: z.string(),
});
export type ApiTokenInfo = z.infer<typeof ApiTokenInfo>;
export const CreateTokenResponse = z.object({ token: z.string(), info: ApiTokenInfo });

export const CreateUserBody = z.object({
  username: Username,
  password: z.string().min(8, "passwords need at least 8 characters").max(1024),
  role: Role,
});
export const UserInfo = z.object({ id: z.string(), username: z.string(), role: Role, createdAt: z.string() });
export type UserInfo = z.infer<typeof UserInfo>;

const NewPassword = z.string().min(8, "passwords need at least 8 characters").max(1024);

export const ChangePasswordBody = z.object({ current: z.string().min(1).max(1024), next: NewPassword });

export const UpdateUserBody = z
  .object({ role: Role.optional(), password: NewPassword.optional() })
  .refine((b) => b.role !== undefined || b.password !== undefined, { message: "send a role or a password" });
