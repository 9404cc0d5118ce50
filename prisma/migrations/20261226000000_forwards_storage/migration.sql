-- Issue 12, second step: NIC addresses and host-side interfaces, port forwards for both kinds,
-- per-guest firewall rules, and storage volumes with their attachments. Written by hand in the
-- form `prisma migrate diff --script` gives for schema.prisma.

-- AlterTable
ALTER TABLE "Nic" ADD COLUMN "addressFixed" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "Nic" ADD COLUMN "iface" TEXT;

-- CreateTable
CREATE TABLE "PortForward" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "guestId" TEXT NOT NULL,
    "nicId" TEXT NOT NULL,
    "protocol" TEXT NOT NULL,
    "hostPort" INTEGER NOT NULL,
    "guestPort" INTEGER NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "PortForward_nicId_fkey" FOREIGN KEY ("nicId") REFERENCES "Nic" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "FirewallRule" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "guestId" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "action" TEXT NOT NULL,
    "protocol" TEXT NOT NULL,
    "portStart" INTEGER,
    "portEnd" INTEGER,
    "source" TEXT
);

-- CreateTable
CREATE TABLE "Volume" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "pool" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "format" TEXT NOT NULL,
    "use" TEXT NOT NULL,
    "capacityMiB" INTEGER NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "VolumeAttachment" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "volumeId" TEXT NOT NULL,
    "guestId" TEXT NOT NULL,
    "target" TEXT NOT NULL,
    "readOnly" BOOLEAN NOT NULL DEFAULT false,
    CONSTRAINT "VolumeAttachment_volumeId_fkey" FOREIGN KEY ("volumeId") REFERENCES "Volume" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "Nic_networkId_address_key" ON "Nic"("networkId", "address");

-- CreateIndex
CREATE INDEX "PortForward_guestId_idx" ON "PortForward"("guestId");

-- CreateIndex
CREATE UNIQUE INDEX "PortForward_protocol_hostPort_key" ON "PortForward"("protocol", "hostPort");

-- CreateIndex
CREATE UNIQUE INDEX "FirewallRule_guestId_position_key" ON "FirewallRule"("guestId", "position");

-- CreateIndex
CREATE UNIQUE INDEX "Volume_name_key" ON "Volume"("name");

-- CreateIndex
CREATE UNIQUE INDEX "Volume_path_key" ON "Volume"("path");

-- CreateIndex
CREATE INDEX "VolumeAttachment_volumeId_idx" ON "VolumeAttachment"("volumeId");

-- CreateIndex
CREATE UNIQUE INDEX "VolumeAttachment_guestId_target_key" ON "VolumeAttachment"("guestId", "target");
