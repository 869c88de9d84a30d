// Baseline for the WebSocket benchmark: the same push loop on a Node.js `ws` server, with
// pre-serialised frames. usage: node ws_node_server.js PORT SMALL_JSON_FILE LARGE_JSON_FILE
const { WebSocketServer } = require("ws");
const fs = require("fs");
const [port, smallFile, largeFile] = process.argv.slice(2);
const small = fs.readFileSync(smallFile, "utf8");
const large = fs.readFileSync(largeFile, "utf8");
const wss = new WebSocketServer({ port: Number(port), host: "127.0.0.1" });
wss.on("connection", (ws) => {
  ws.on("message", (data) => {
    const m = JSON.parse(data.toString());
    if (m.command === "BENCH") {
      const frame = m.parameters.size === "large" ? large : small;
      for (let i = 0; i < Number(m.parameters.count); i++) ws.send(frame);
    } else if (m.command === "GET_DIALOG") {
      ws.send(large);
    }
  });
});
wss.on("listening", () => console.log("listening"));
