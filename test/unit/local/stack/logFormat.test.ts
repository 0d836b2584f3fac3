import assert from 'node:assert/strict';
import type { DeliveryAttempt } from '../../../../local/cloudTasks/index.js';
import { clock, formatDelivery, formatFunctionLine } from '../../../../local/stack/logFormat.js';

const ESC = '\u001b';

describe('local stack console lines', () => {
  const time = '2026-11-28T13:35:48.747Z';
  const local = clock(new Date(time));

  it('shows a structured event as time, function, severity, event, unique_id, message and key facts', () => {
    const line = JSON.stringify({
      severity: 'WARNING',
      message: 'retry scheduled',
      event_type: 'payment_retry_scheduled',
      time,
      unique_id: 'U-7',
      error_code: 'NETWORK_TIMEOUT',
      attempt: 2,
      function: 'executePayment',
      extra: 'not shown',
    });
    const shown = formatFunctionLine('executePayment', 'stdout', line);
    assert.equal(
      shown.replace(/ +/g, ' '),
      `${local} executePayment WARNING payment_retry_scheduled U-7 retry scheduled error_code=NETWORK_TIMEOUT attempt=2`,
    );
    assert.ok(!shown.includes('not shown'));
  });

  it('puts the columns at fixed widths', () => {
    const a = formatFunctionLine(
      'recordFailure',
      'stdout',
      JSON.stringify({ severity: 'INFO', event_type: 'x', message: 'm', time }),
    );
    const b = formatFunctionLine(
      'recordFailure',
      'stdout',
      JSON.stringify({
        severity: 'CRITICAL',
        event_type: 'longer_event',
        unique_id: 'U',
        message: 'm',
        time,
      }),
    );
    assert.equal(a.indexOf(' m'), b.indexOf(' m'));
  });

  it('colours severities only when asked', () => {
    const line = JSON.stringify({ severity: 'ERROR', event_type: 'failure_recorded', message: 'm', time });
    assert.ok(
      formatFunctionLine('recordFailure', 'stdout', line, { color: true }).includes(`${ESC}[31mERROR`),
    );
    assert.ok(!formatFunctionLine('recordFailure', 'stdout', line).includes(ESC));
  });

  it('shows a line that is not a JSON object as it came, marking stderr', () => {
    for (const raw of ['Serving function...', '{not json', '[1,2]']) {
      assert.ok(formatFunctionLine('adminApi', 'stdout', raw).endsWith(`   ${raw}`));
      assert.ok(formatFunctionLine('adminApi', 'stderr', raw).endsWith(` ! ${raw}`));
    }
  });

  it('shows a task delivery with queue, named target, status, duration and outcome', () => {
    const attempt = {
      queueName: 'projects/p/locations/l/queues/notices',
      url: 'http://127.0.0.1:4100/payment-completed',
      taskId: '072ef371d345f525a1593b3c-notice',
      dispatchedAtMs: Date.parse(time) - 40,
      durationMs: 40,
      status: 200,
      error: null,
      outcome: 'succeeded',
    } as unknown as DeliveryAttempt;
    assert.equal(
      formatDelivery(attempt, { 'http://127.0.0.1:4100': 'upstream' }).replace(/ +/g, ' '),
      `${local} tasks TASK notices -> upstream/payment-completed 072ef371d345f525a159 200 in 40 ms, succeeded`,
    );
    const unreachable = {
      ...attempt,
      status: null,
      error: 'ECONNREFUSED',
      outcome: 'retrying',
    } as DeliveryAttempt;
    assert.match(
      formatDelivery(unreachable),
      /127\.0\.0\.1:4100\/payment-completed .* ECONNREFUSED in 40 ms, retrying$/,
    );
  });
});
