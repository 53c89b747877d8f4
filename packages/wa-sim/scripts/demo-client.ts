// Demo: a plain Baileys client pairs with a running simulator through POST /sim/scan and syncs contacts and groups.
// Usage: npx tsx packages/wa-sim/scripts/demo-client.ts [ws://127.0.0.1:7900/ws/chat]
import type { WASocket } from "@whiskeysockets/baileys";
import { fetchRootPublicKey, installSimulatorTrustRoot, scanQr } from "../src/index.ts";
import { connectClient, memoryAuth, muteLibsignalNoise } from "../src/test-client.ts";

muteLibsignalNoise();
const wsUrl = process.argv[2] ?? "ws://127.0.0.1:7900/ws/chat";
const httpUrl = wsUrl.replace(/^ws/, "http").replace(/\/ws\/chat$/, "");
installSimulatorTrustRoot(await fetchRootPublicKey(httpUrl));

const auth = memoryAuth();
const started = Date.now();
let pairedAt = 0;
let contacts = 0;
let sock: WASocket;

const connect = (): void => {
  sock = connectClient(wsUrl, auth);
  sock.ev.on("connection.update", (u) => {
    if (u.qr) {
      console.log("QR received, scanning with the simulated phone…");
      scanQr(httpUrl, u.qr).then(
        (r) => {
          pairedAt = Date.now();
          console.log(`paired as ${r.phoneNumber} (${r.jid}, ${r.lid}) in ${pairedAt - started} ms`);
        },
        (e: unknown) => console.error("scan failed", e),
      );
    }
    if (u.connection === "close") {
      const code = (u.lastDisconnect?.error as { output?: { statusCode?: number } } | undefined)?.output?.statusCode;
      console.log(`connection closed (${code})`);
      if (code === 515) connect();
      else process.exit(1);
    }
    if (u.connection === "open") {
      console.log(`open ${Date.now() - pairedAt} ms after pairing; me=${sock.user?.id} name=${sock.user?.name ?? "(pending)"}`);
      void sock.groupFetchAllParticipating().then((groups) => {
        const list = Object.values(groups);
        console.log(`groups: ${list.length}; members: ${list.reduce((n, g) => n + g.participants.length, 0)}`);
        for (const g of list.slice(0, 5)) console.log(`  ${g.id} "${g.subject}" (${g.participants.length} members)`);
      });
    }
  });
  sock.ev.on("messaging-history.set", (h) => {
    contacts += h.contacts.filter((c) => c.name).length;
    console.log(`history: +${h.contacts.length} contact entries (named contacts so far: ${contacts})`);
  });
};
connect();
setTimeout(() => {
  console.log(`done: named contacts ${contacts}, creds.me.name=${auth.creds.me?.name ?? "(unset)"}`);
  void sock.end(undefined);
  process.exit(0);
}, 8000);
