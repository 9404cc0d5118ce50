import { GuestList } from "@/components/guests/guest-list";

export default function OverviewPage() {
  return <GuestList />;
}
