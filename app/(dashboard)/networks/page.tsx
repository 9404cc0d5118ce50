import type { Metadata } from "next";
import { NetworksPage } from "@/components/networks/networks-page";

export const metadata: Metadata = { title: "Networks · Tandem" };

export default function Page() {
  return <NetworksPage />;
}
