// Sign-in screen; a signed-in visitor goes straight on.
import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { SignInForm } from "@/components/AuthForms.tsx";
import { safeNext } from "@/lib/safe-next.ts";
import { getViewer } from "@/server/viewer.ts";

export const metadata: Metadata = { title: "Sign in" };
export const dynamic = "force-dynamic";

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ next?: string | string[] }> }) {
  const { next } = await searchParams;
  const target = typeof next === "string" ? next : undefined;
  if (await getViewer()) redirect(safeNext(target));
  return <SignInForm next={target} />;
}
