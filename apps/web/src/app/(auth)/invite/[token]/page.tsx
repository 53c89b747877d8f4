// An invitation link: who invites you where, then create an account or sign in and join. A link that cannot be used
// (unknown, expired, withdrawn, already used, meant for another email) says so in words, with a way on.
import type { Metadata } from "next";
import Link from "next/link";
import { SignUpForm } from "@/components/AuthForms.tsx";
import { AcceptInvitation } from "@/components/AcceptInvitation.tsx";
import { db } from "@/server/db.ts";
import { describeInvitation, invitationProblems, type InvitationProblem } from "@/server/invitations.ts";
import { getViewer } from "@/server/viewer.ts";

export const metadata: Metadata = { title: "Invitation" };
export const dynamic = "force-dynamic";

function Problem({ problem, signedIn }: { problem: InvitationProblem; signedIn: boolean }) {
  return (
    <div data-testid="invitation-problem" data-problem={problem}>
      <h1>This invitation can&apos;t be used</h1>
      <p className="sub" role="alert">
        {invitationProblems[problem]}
      </p>
      <p className="auth-foot">{signedIn ? <Link href="/sessions">Go to the console</Link> : <Link href="/sign-in">Sign in</Link>}</p>
    </div>
  );
}

export default async function InvitationPage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const [found, viewer] = await Promise.all([describeInvitation(db(), token), getViewer()]);
  if (!found.ok) return <Problem problem={found.problem} signedIn={!!viewer} />;
  const { invitation } = found;
  if (!viewer) {
    return (
      <>
        <p className="notice" data-testid="invitation-summary">
          You are invited to join <strong>{invitation.organizationName}</strong> as <strong>{invitation.role}</strong>.
        </p>
        <SignUpForm invitation={{ token, email: invitation.email, organizationName: invitation.organizationName }} />
      </>
    );
  }
  if (viewer.user.email !== invitation.email) return <Problem problem="wrong_email" signedIn />;
  return (
    <AcceptInvitation token={token} organizationName={invitation.organizationName} role={invitation.role} email={viewer.user.email} />
  );
}
