import Link from "next/link";

export default function NotFound() {
  return (
    <div className="card space-y-3 p-6">
      <h1 className="text-lg font-semibold">Nothing here</h1>
      <Link href="/" className="btn">
        Back to the guests
      </Link>
    </div>
  );
}
