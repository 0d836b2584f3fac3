import type { IncomingWebhook } from '@slack/webhook';

/** What a final failure tells the operators' Slack channel; never a secret (DESIGN.md §2, §3.5). */
export interface FailureAlert {
  uniqueId: string;
  errorCode: string;
  errorMessage: string;
  context: string;
  currency: string;
  amount: string;
  attemptCount: number;
}

/**
 * Posts a final failure to Slack. Returns whether it was delivered; a Slack outage never blocks the rest
 * of recording a failure, so errors come back as a value for the caller to log.
 */
export async function postSlackAlert(
  webhook: IncomingWebhook,
  alert: FailureAlert,
): Promise<{ delivered: true } | { delivered: false; error: unknown }> {
  const text =
    `payout ${alert.uniqueId} failed permanently with ${alert.errorCode} ` +
    `(${alert.amount} ${alert.currency}, context ${alert.context}, ${alert.attemptCount} attempt(s)): ` +
    alert.errorMessage;
  try {
    await webhook.send({ text });
    return { delivered: true };
  } catch (error) {
    return { delivered: false, error };
  }
}
