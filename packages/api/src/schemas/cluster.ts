// Several gateways: one gateway by id (the drain command).
import { z } from "zod";
import { limits } from "@wa/db/contract";

export const gatewayRefInput = z.strictObject({ gateway: z.string().min(1).max(limits.gatewayIdLength) });
