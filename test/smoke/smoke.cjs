// The CommonJS half of the smoke suite: require() the one-file build and echo once, async and sync.
// <runtime> smoke.cjs ws://127.0.0.1:PORT/echo
const lib = require('./scriptling-websocket.cjs');

async function main(url) {
  const conn = await lib.connect(url, 10);
  await conn.send('from require');
  const text = await conn.receive(10);
  await conn.close();
  if (text !== 'from require') throw new Error(`async echo gave ${JSON.stringify(text)}`);
  const blocking = lib.sync.connect(url, 10);
  blocking.send_binary([1, 2, 3]);
  const bytes = blocking.receive(10);
  blocking.close();
  if (JSON.stringify([...bytes]) !== '[1,2,3]') throw new Error(`sync echo gave ${JSON.stringify(bytes)}`);
  console.log('cjs echo ok');
}

main(process.argv[2]).then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
