// The event stream routes in the OpenAPI document: they answer Server-Sent Events, which the generator (JSON
// procedures only) cannot describe, so their operations are written here from the same route facts.
import { eventTypes } from "@wa/db/contract";
import { SUPER_ADMIN_ONLY } from "@wa/api";
import { COMMON_ERRORS } from "../http/rest-routes.ts";

const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
});

const STREAM_DESCRIPTION =
  "Server-Sent Events. First every stored event after `since` (replay), then live events as they are written by any " +
  "gateway. Each message is `id: <event id>` and `data: <Event as JSON>`; reconnecting with the `Last-Event-ID` " +
  "header (EventSource does this itself) resumes right after that event, with no gap and no duplicate. Events are " +
  "kept at least 7 days. When the credential stops allowing the stream (api-key revoked or expired, login token " +
  "expired, access removed) a last `event: ended` message says why and the stream closes (checked at least every " +
  "30 s). Comment lines (`: ping`) keep idle connections open.";

function streamOperation(operationId: string, summary: string, description: string, withSession: boolean) {
  const errors: Record<string, string> = {
    "400": "validation_error: unknown parameter, malformed `since`, unknown event type, or a malformed Last-Event-ID",
    "401": COMMON_ERRORS["401"] ?? "unauthorized",
    "403": COMMON_ERRORS["403"] ?? "forbidden",
    "500": COMMON_ERRORS["500"] ?? "internal",
    "503": COMMON_ERRORS["503"] ?? "gateway_unavailable",
    ...(withSession ? { "404": "not_found: `sessionId` names no session of the organization" } : {}),
  };
  return {
    operationId,
    summary,
    description,
    tags: ["events"],
    security: [{ bearer: [] }, { apiKey: [] }],
    parameters: [
      {
        name: "since",
        in: "query",
        required: false,
        description: "replay after this event id; `0` (or the all-zero ULID): everything retained; absent: live events only",
        schema: { type: "string", pattern: "^(0|[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26})$" },
      },
      {
        name: "types",
        in: "query",
        required: false,
        description: `only these event types, comma separated: ${eventTypes.join(", ")}`,
        schema: { type: "string" },
      },
      ...(withSession
        ? [{ name: "sessionId", in: "query", required: false, description: "only this session's events", schema: { type: "string", maxLength: 64 } }]
        : []),
      {
        name: "Last-Event-ID",
        in: "header",
        required: false,
        description: "the id of the last event received; the stream resumes right after it (wins over `since`)",
        schema: { type: "string" },
      },
    ],
    responses: {
      "200": {
        description: "an event stream",
        content: { "text/event-stream": { schema: { type: "string", description: "SSE messages; `data` is an Event" } } },
      },
      ...Object.fromEntries(Object.keys(errors).sort().map((status) => [status, errorResponse(errors[status] ?? "error")])),
    },
  };
}

/** `paths` for the document: GET /events and GET /admin/events. */
export function eventStreamPaths() {
  return {
    "/events": {
      get: streamOperation(
        "events-stream",
        "The organization's events as Server-Sent Events (replay, then live)",
        `${STREAM_DESCRIPTION} Needs the \`events\` capability (api-keys with it, and every member of the organization).`,
        true,
      ),
    },
    "/admin/events": {
      get: streamOperation(
        "events-adminStream",
        "Every organization's events as Server-Sent Events",
        `${STREAM_DESCRIPTION} ${SUPER_ADMIN_ONLY} Across organizations an event is shown once it is 2 s old, so a slower transaction of another organization cannot commit an event behind one already sent.`,
        false,
      ),
    },
  };
}
