-- Tasks carry a typed kind (what code branches on) and their parameters (what a restarted
-- Tandem needs to finish or roll back a task the previous process left unfinished). Existing
-- rows get the kind their action text stood for; they are all finished, so they need no params.
ALTER TABLE "Task" ADD COLUMN "kind" TEXT NOT NULL DEFAULT 'recover';
ALTER TABLE "Task" ADD COLUMN "params" TEXT;
UPDATE "Task" SET "kind" = CASE
  WHEN "action" = 'create' THEN 'create'
  WHEN "action" LIKE 'clone of %' THEN 'clone'
  WHEN "action" IN ('delete', 'delete+purge') THEN 'delete'
  WHEN "action" IN ('start', 'shutdown', 'stop', 'reboot', 'pause', 'resume') THEN "action"
  WHEN "action" LIKE 'delete snapshot %' THEN 'snapshot-delete'
  WHEN "action" LIKE 'snapshot %' THEN 'snapshot-create'
  WHEN "action" LIKE 'revert %' THEN 'snapshot-revert'
  ELSE 'recover'
END;
