-- Networks (one Linux bridge each, shared by VMs and containers) and the guests' NICs on them.
-- Written by hand in the form `prisma migrate diff --script` gives for schema.prisma's Network
-- and Nic. A NIC keeps its network from being deleted (ON DELETE RESTRICT); guests are not a
-- table here (they live in the hypervisor and the runtime), so guestId is a plain column.

-- CreateTable
CREATE TABLE "Network" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "bridge" TEXT NOT NULL,
    "ipv4Subnet" TEXT,
    "ipv4Gateway" TEXT,
    "dhcpStart" TEXT,
    "dhcpEnd" TEXT,
    "ipv6Subnet" TEXT,
    "ipv6Gateway" TEXT,
    "uplink" TEXT,
    "vlanId" INTEGER,
    "vlanParent" TEXT,
    "dnsForwarders" TEXT NOT NULL DEFAULT '[]',
    "dnsNames" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "Nic" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "guestId" TEXT NOT NULL,
    "networkId" TEXT NOT NULL,
    "mac" TEXT NOT NULL,
    "address" TEXT,
    "index" INTEGER NOT NULL,
    CONSTRAINT "Nic_networkId_fkey" FOREIGN KEY ("networkId") REFERENCES "Network" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "Network_name_key" ON "Network"("name");

-- CreateIndex
CREATE UNIQUE INDEX "Network_bridge_key" ON "Network"("bridge");

-- CreateIndex
CREATE UNIQUE INDEX "Nic_mac_key" ON "Nic"("mac");

-- CreateIndex
CREATE INDEX "Nic_networkId_idx" ON "Nic"("networkId");

-- CreateIndex
CREATE UNIQUE INDEX "Nic_guestId_index_key" ON "Nic"("guestId", "index");
