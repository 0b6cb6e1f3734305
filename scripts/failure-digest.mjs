// A node:test reporter that writes one short entry per failing test (file, name, the error's first lines), so that
// .ci/run can end its output with what failed: CI shows only the tail of a long log, and a failure named at the
// top of a 900-test run is lost there. run-tests.mjs adds it when TEST_FAILURES_FILE names a file.
export default async function* failureDigest(source) {
  for await (const event of source) {
    if (event.type !== 'test:fail') continue;
    const { name, file, line, details } = event.data;
    const error = details?.error;
    if (error?.failureType === 'subtestsFailed') continue; // a suite whose tests are listed on their own
    const cause = error?.cause ?? error;
    const message = String(cause?.message ?? cause).split('\n').filter((text) => text.trim() !== '').slice(0, 6).join('\n    ');
    yield `✖ ${file ?? '?'}${line ? `:${line}` : ''}\n  ${name}\n    ${message}\n`;
  }
}
