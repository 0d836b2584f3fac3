import assert from 'node:assert/strict';
import { OPENAPI } from '../../../shared/admin/openapi.js';
import { checkExchange } from '../../support/openapi.js';

const doc = JSON.parse(JSON.stringify(OPENAPI)) as Parameters<typeof checkExchange>[0];
const page = { items: [], next: null };

describe('the OpenAPI check used by the adminApi tests', () => {
  it('accepts an answer the document describes', () => {
    assert.deepEqual(
      checkExchange(doc, { method: 'GET', url: '/payouts?limit=3', status: 200, body: page }),
      [],
    );
  });

  const wrong: [string, Parameters<typeof checkExchange>[1], RegExp][] = [
    [
      'an undeclared parameter answered 200',
      { method: 'GET', url: '/payouts?colour=red', status: 200, body: page },
      /colour is not declared/,
    ],
    [
      'a status the operation does not list',
      { method: 'GET', url: '/payouts', status: 418, body: {} },
      /status 418/,
    ],
    [
      'a body field of the wrong type',
      { method: 'GET', url: '/payouts', status: 200, body: { items: [], next: 7 } },
      /body\.next/,
    ],
    [
      'a field the schema does not describe',
      { method: 'GET', url: '/payouts', status: 200, body: { ...page, extra: 1 } },
      /extra: not described/,
    ],
    [
      'a missing required field',
      { method: 'GET', url: '/failed-transactions', status: 200, body: { items: [] } },
      /total: required/,
    ],
    [
      'an undescribed path answered 200',
      { method: 'GET', url: '/wallets', status: 200, body: {} },
      /no such path/,
    ],
    [
      'an undescribed method answered 200',
      { method: 'DELETE', url: '/payouts', status: 200, body: {} },
      /no DELETE/,
    ],
    [
      'an error without its reason',
      { method: 'GET', url: '/payouts', status: 400, body: { message: 'x' } },
      /error: required/,
    ],
  ];
  for (const [name, exchange, problem] of wrong) {
    it(`finds ${name}`, () => {
      const problems = checkExchange(doc, exchange);
      assert.ok(
        problems.some((p) => problem.test(p)),
        JSON.stringify(problems),
      );
    });
  }
});
