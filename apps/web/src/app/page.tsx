// "/": the console's home is the sessions list (sign-in first when needed).
import { redirect } from "next/navigation";
import { getViewer } from "@/server/viewer.ts";

export const dynamic = "force-dynamic";

export default async function Home() {
  redirect((await getViewer()) ? "/sessions" : "/sign-in");
}
