// A webhook receiver that verifies every delivery with the `standardwebhooks` library (Standard Webhooks spec).
//   WEBHOOK_SECRET=whsec_… PORT=9999 node examples/webhook-receiver.mjs
// It answers 2xx only to a delivery whose signature verifies; set FAIL_FIRST=N to answer 500 to the first N
// deliveries (to watch the gateway retry them). Receivers de-duplicate by `webhook-id`: delivery is at least once.
/* global process, Buffer, console */
import { createServer } from "node:http";
import { Webhook } from "standardwebhooks";

const secret = process.env.WEBHOOK_SECRET;
if (!secret) throw new Error("set WEBHOOK_SECRET to the whsec_… secret the gateway showed when you created the webhook");
const webhook = new Webhook(secret);
const port = Number(process.env.PORT ?? 9999);
let failFirst = Number(process.env.FAIL_FIRST ?? 0);
const seen = new Set();

createServer((req, res) => {
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    let event;
    try {
      // Throws unless webhook-signature matches HMAC-SHA256("id.timestamp.body") and the timestamp is recent.
      event = webhook.verify(body, req.headers);
    } catch (error) {
      console.warn(`refused: ${error.message}`);
      res.writeHead(401).end();
      return;
    }
    if (failFirst > 0) {
      failFirst -= 1;
      console.warn(`${req.headers["webhook-id"]} ${event.type}: answering 500 on purpose`);
      res.writeHead(500).end();
      return;
    }
    const id = req.headers["webhook-id"];
    const again = seen.has(id) ? " (again: already handled)" : "";
    seen.add(id);
    const summary = event.type === "message.received" ? `${event.data.chatJid}: ${event.data.body}` : JSON.stringify(event.data);
    console.warn(`verified ${id} ${event.type}${again} ${summary}`);
    res.writeHead(204).end();
  });
}).listen(port, "127.0.0.1", () => console.warn(`listening on http://127.0.0.1:${port}/`));
