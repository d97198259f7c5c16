import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OutageReport } from '../../src/outage.js';

test('an outage is one line when the server goes, one when it is back, however many failures between', () => {
  const lines: string[] = [];
  const outage = new OutageReport('PostgreSQL at db:5432', (line) => lines.push(line));
  outage.back('; nothing waited');
  assert.deepEqual(lines, [], 'no line while the server answers');
  assert.equal(outage.unreachable(' (ECONNREFUSED): waiting'), true);
  assert.equal(outage.unreachable(' (ECONNREFUSED): waiting'), false);
  assert.equal(outage.down, true);
  outage.back('; the writes that waited are stored');
  outage.back('; again');
  assert.equal(outage.down, false);
  assert.equal(lines.length, 2);
  assert.equal(lines[0], 'PostgreSQL at db:5432 is unreachable (ECONNREFUSED): waiting');
  assert.match(lines[1]!, /^PostgreSQL at db:5432 is back after \d+ s; the writes that waited are stored$/);
});
