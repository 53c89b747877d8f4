// Sign-up screen: a person and the organization they own.
import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { SignUpForm } from "@/components/AuthForms.tsx";
import { getViewer } from "@/server/viewer.ts";

export const metadata: Metadata = { title: "Create account" };
export const dynamic = "force-dynamic";

export default async function SignUpPage() {
  if (await getViewer()) redirect("/sessions");
  return <SignUpForm />;
}
