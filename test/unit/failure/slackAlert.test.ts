import assert from 'node:assert/strict';
import { consolePayoutUrl, explorerTransactionUrl } from '../../../shared/explorer.js';
import { type FailureAlert, slackAlertText } from '../../../shared/failure/slackAlert.js';

const HASH = `0x${'ab'.repeat(32)}`;
const alert: FailureAlert = {
  uniqueId: 'batch 7/a',
  errorCode: 'INSUFFICIENT_FUNDS',
  errorMessage: 'wallet holds too little',
  context: 'batch',
  currency: 'usdc',
  amount: '12.5',
  attemptCount: 3,
  transactions: [
    { hash: HASH, kind: 'transfer', status: 'mined', explorerUrl: explorerTransactionUrl(1, HASH) },
  ],
  consoleUrl: consolePayoutUrl('https://admin-xyz.a.run.app/', 'batch 7/a'),
};

describe('Slack failure alert', () => {
  it('links each transaction to the explorer of its chain and the payout to the console', () => {
    assert.equal(
      slackAlertText(alert),
      [
        'payout batch 7/a failed permanently with INSUFFICIENT_FUNDS (12.5 usdc, context batch, 3 attempt(s)): wallet holds too little',
        `• transfer <https://etherscan.io/tx/${HASH}|${HASH}> (mined)`,
        '<https://admin-xyz.a.run.app/#/payout/batch%207%2Fa|open in the console>',
      ].join('\n'),
    );
  });

  it('names the hash without a link on a chain without an explorer, and has no console line without its URL', () => {
    const local = slackAlertText({
      ...alert,
      transactions: [
        { hash: HASH, kind: 'cancel', status: 'signed', explorerUrl: explorerTransactionUrl(31337, HASH) },
      ],
      consoleUrl: undefined,
    });
    assert.match(local, new RegExp(`\\n• cancel ${HASH} \\(signed\\)$`));
  });

  it('knows the explorers of the public chains hostpay is deployed on', () => {
    assert.equal(explorerTransactionUrl(11155111n, HASH), `https://sepolia.etherscan.io/tx/${HASH}`);
    assert.equal(explorerTransactionUrl('8453', HASH), `https://basescan.org/tx/${HASH}`);
    assert.equal(explorerTransactionUrl(31337, HASH), undefined);
  });
});
