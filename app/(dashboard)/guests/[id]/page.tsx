import type { Metadata } from "next";
import { Suspense } from "react";
import { GuestPage } from "@/components/guest/guest-page";

export const metadata: Metadata = { title: "Guest · Tandem" };

export default async function Page({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return (
    <Suspense>
      <GuestPage id={decodeURIComponent(id)} />
    </Suspense>
  );
}
