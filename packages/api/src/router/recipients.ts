// Who a session can send to: its backfilled contacts and groups, searched for the console's send form.
// Console-only (no REST route): scripts address messages by JID or digits and have the chats list.
import type { TRPCRouterRecord } from "@trpc/server";
import { searchRecipients } from "@wa/db/queries";
import { recipientSearchResultSchema, recipientSearchInput, recipientSearchLimit } from "../schemas.ts";
import { orgProcedure } from "../trpc.ts";
import { requireSession } from "./helpers.ts";

export const recipientsRouter = {
  search: orgProcedure("read")
    .input(recipientSearchInput)
    .output(recipientSearchResultSchema)
    .query(async ({ ctx, input }) => {
      await requireSession(ctx.db, input.session, ctx.organizationId);
      const data = await searchRecipients(ctx.db, { sessionId: input.session, q: input.q, limit: recipientSearchLimit });
      return { data };
    }),
} satisfies TRPCRouterRecord;
