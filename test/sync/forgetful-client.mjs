// A script that never calls close(): it must still exit by itself.
//   node forgetful-client.mjs URL
import * as ws from 'scriptling-websocket/sync';

const conn = ws.connect(process.argv[2], 5);
conn.send('hi');
console.log(conn.receive(5));
