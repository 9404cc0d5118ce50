import type { Metadata } from "next";
import { Suspense } from "react";
import { CreateWizard } from "@/components/create/create-wizard";

export const metadata: Metadata = { title: "Create · Tandem" };

export default function CreatePage() {
  return (
    <Suspense>
      <CreateWizard />
    </Suspense>
  );
}
