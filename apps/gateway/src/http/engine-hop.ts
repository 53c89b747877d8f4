// POST /internal/v1/engine: the holder's side of the engine hop (cluster/holder-ports.ts). Only another gateway
// can call it (a signed, unreplayable assertion bound to the body); the call runs on this gateway's own engine and
// is never forwarded again. Authorization was done by the gateway the caller reached.
import { errorBody, logProcedureError, toContractError, type Logger } from "@wa/api";
import type { FastifyInstance } from "fastify";
import { ReplayGuard, verifyForward } from "../cluster/assertion.ts";
import { isEngineOp, runEngineOp, type LocalEngine } from "../cluster/engine-ops.ts";
import { ENGINE_HOP_PATH } from "../cluster/holder-ports.ts";
import { sendError } from "./errors.ts";
import { assertionOf, refuseForward } from "./forwarding.ts";

export function registerEngineHop(app: FastifyInstance, opts: { engine: LocalEngine; gatewayId: string; secret: string; logger: Logger }): void {
  const replay = new ReplayGuard();
  app.post(ENGINE_HOP_PATH, async (request, reply) => {
    const body = request.body === undefined ? "" : JSON.stringify(request.body);
    const verdict = verifyForward(assertionOf(request), {
      secret: opts.secret,
      self: opts.gatewayId,
      call: { method: request.method, url: request.url, body },
      replay,
    });
    if (!verdict.ok) return refuseForward(request, reply, "engine call", verdict.reason);
    const call = request.body as { op?: unknown; sessionId?: unknown; args?: unknown } | undefined;
    if (!call || !isEngineOp(call.op) || typeof call.sessionId !== "string" || !Array.isArray(call.args)) {
      return sendError(reply, 400, errorBody({ code: "validation_error", message: "malformed engine call" }));
    }
    try {
      const result = await runEngineOp(opts.engine, { op: call.op, sessionId: call.sessionId, args: call.args });
      return await reply.code(200).send({ result: result ?? null });
    } catch (error) {
      logProcedureError(opts.logger, { error, path: `engine.${call.op}`, type: "mutation", transport: "rest" });
      const contract = toContractError(error);
      return sendError(reply, contract.status, errorBody(contract));
    }
  });
}
