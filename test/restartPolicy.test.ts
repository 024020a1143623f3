import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRestartPolicy } from '../client/src/restartPolicy';

test('restart policy: three restarts within three minutes, then stop with a message', () => {
  let t = 0;
  const onCrash = createRestartPolicy(3, 180_000, () => t);
  const decisions = [0, 1_000, 2_000, 3_000].map((at) => {
    t = at;
    return onCrash();
  });
  assert.deepEqual(
    decisions.map((d) => d.restart),
    [true, true, true, false],
  );
  assert.equal(decisions[0].message, 'The libvirt domain XML server stopped; restarting it (1/3).');
  assert.equal(decisions[3].message, 'The libvirt domain XML server stopped 4 times in 3 minutes and will not be restarted. See the "Libvirt Domain XML" output for details.');
});

test('restart policy: crashes far apart keep being restarted', () => {
  let t = 0;
  const onCrash = createRestartPolicy(3, 180_000, () => t);
  const decisions = [0, 200_000, 400_000, 600_000, 800_000].map((at) => {
    t = at;
    return onCrash().restart;
  });
  assert.deepEqual(decisions, [true, true, true, true, true]);
});
