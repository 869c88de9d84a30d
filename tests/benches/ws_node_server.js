// Baselines for the WebSocket benchmark: the same push loop on a Node.js `ws` server.
// usage: node ws_node_server.js PORT SMALL_JSON_FILE LARGE_JSON_FILE [MODE]
// MODE `frames` (default) sends pre-serialised frames; `stringify` does the work the generated
// server does, `JSON.stringify` of an object per message.
const { WebSocketServer } = require("ws");
const fs = require("fs");
const [port, smallFile, largeFile, mode = "frames"] = process.argv.slice(2);
const text = { small: fs.readFileSync(smallFile, "utf8"), large: fs.readFileSync(largeFile, "utf8") };
const object = { small: JSON.parse(text.small), large: JSON.parse(text.large) };
const encode = mode === "stringify" ? (size) => JSON.stringify(object[size]) : (size) => text[size];
const wss = new WebSocketServer({ port: Number(port), host: "127.0.0.1" });
wss.on("connection", (ws) => {
  ws.on("message", (data) => {
    const m = JSON.parse(data.toString());
    const size = m.parameters && m.parameters.size === "large" ? "large" : "small";
    const count = m.parameters ? Number(m.parameters.count) : 0;
    if (m.command === "BENCH") {
      for (let i = 0; i < count; i++) ws.send(encode(size));
    } else if (m.command === "BROADCAST") {
      // Serialised once per message, sent to every client.
      for (let i = 0; i < count; i++) {
        const frame = encode(size);
        for (const client of wss.clients) client.send(frame);
      }
    } else if (m.command === "GET_DIALOG") {
      ws.send(encode("large"));
    }
  });
});
wss.on("listening", () => console.log("listening"));
