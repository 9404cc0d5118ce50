-- Every API token expires. Tokens made without a lifetime get their creation time plus 90 days
-- (the default TANDEM_TOKEN_TTL_DAYS); a token already past that stops working. Generated with
-- `prisma migrate diff --script`, then the copy of "expiresAt" fills the missing values, written
-- in the format Prisma writes (ISO 8601, UTC), whether "createdAt" is stored as text or as ms.

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_ApiToken" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "userId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" DATETIME,
    "expiresAt" DATETIME NOT NULL,
    "revokedAt" DATETIME,
    CONSTRAINT "ApiToken_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_ApiToken" ("createdAt", "expiresAt", "id", "lastUsedAt", "name", "prefix", "revokedAt", "tokenHash", "userId")
SELECT "createdAt",
       COALESCE("expiresAt", CASE
         WHEN typeof("createdAt") IN ('integer', 'real')
           THEN strftime('%Y-%m-%dT%H:%M:%f+00:00', "createdAt" / 1000.0, 'unixepoch', '+90 days')
         ELSE strftime('%Y-%m-%dT%H:%M:%f+00:00', "createdAt", '+90 days')
       END),
       "id", "lastUsedAt", "name", "prefix", "revokedAt", "tokenHash", "userId"
FROM "ApiToken";
DROP TABLE "ApiToken";
ALTER TABLE "new_ApiToken" RENAME TO "ApiToken";
CREATE UNIQUE INDEX "ApiToken_tokenHash_key" ON "ApiToken"("tokenHash");
CREATE INDEX "ApiToken_userId_idx" ON "ApiToken"("userId");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
