// Several gateways: one gateway by id (the drain command), and the gateway row it answers with.
import { z } from "zod";
import { limits } from "@wa/db/contract";
import { gatewayListOutput } from "../schemas.ts";

export const gatewayRefInput = z.strictObject({ gateway: z.string().min(1).max(limits.gatewayIdLength) });

export const gatewaySchema = gatewayListOutput.shape.data.element.meta({ id: "Gateway" });
