"use client";
// A page that failed to render: say so and offer a retry, keeping the shell usable.
export default function DashboardError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <div role="alert" className="card space-y-3 p-6">
      <h1 className="text-lg font-semibold">This page could not be shown</h1>
      <p className="muted text-sm">{error.message || "An unexpected error happened."}</p>
      <button type="button" className="btn" onClick={reset}>
        Try again
      </button>
    </div>
  );
}
