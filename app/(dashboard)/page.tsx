import type { Metadata } from "next";
import { GuestList } from "@/components/guests/guest-list";
import { HostSummary } from "@/components/guests/host-summary";
import { OverviewProvider } from "@/components/realtime/overview-provider";

export const metadata: Metadata = { title: "Guests · Tandem" };

export default function OverviewPage() {
  return (
    <OverviewProvider>
      <div className="flex flex-col gap-4">
        <HostSummary />
        <GuestList />
      </div>
    </OverviewProvider>
  );
}
