import assert from 'node:assert/strict';
import { TASK_ID_PATTERN, taskName } from '../../../shared/tasks/taskName.js';

describe('taskName', () => {
  it('is the same for the same purpose, unique_id and attempt', () => {
    assert.equal(taskName('retry', 'pay-123', 2), taskName('retry', 'pay-123', 2));
  });

  it('differs when any part differs', () => {
    const names = [
      taskName('retry', 'pay-123', 2),
      taskName('retry', 'pay-123', 3),
      taskName('retry', 'pay-124', 2),
      taskName('notice', 'pay-123', 2),
      // Same characters split differently between the parts.
      taskName('retry', 'pay-1232', 0),
      taskName('retry-pay', '123', 2),
    ];
    assert.equal(new Set(names).size, names.length);
  });

  it('starts with 40 hex digits of SHA-256 and ends with the purpose', () => {
    assert.match(taskName('payment-completed', 'u', 0), /^[0-9a-f]{40}-payment-completed$/);
  });

  it('is a valid Cloud Tasks task id even for odd unique ids', () => {
    for (const uniqueId of ['a/b', 'ä ö', '../..', 'x'.repeat(1000)]) {
      assert.match(taskName('retry', uniqueId, 1), TASK_ID_PATTERN);
    }
  });

  const bad: [string, string, number][] = [
    ['', 'u', 1],
    ['Retry', 'u', 1],
    ['re/try', 'u', 1],
    ['retry', '', 1],
    ['retry', 'u', -1],
    ['retry', 'u', 1.5],
  ];
  for (const [purpose, uniqueId, attempt] of bad) {
    it(`rejects purpose ${JSON.stringify(purpose)}, unique id ${JSON.stringify(uniqueId)}, attempt ${attempt}`, () => {
      assert.throws(() => taskName(purpose, uniqueId, attempt), TypeError);
    });
  }
});
