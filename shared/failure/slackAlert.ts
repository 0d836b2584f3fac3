import type { IncomingWebhook } from '@slack/webhook';

/** What a final failure tells the operators' Slack channel; never a secret (docs/architecture.md, "Operators"). */
export interface FailureAlert {
  uniqueId: string;
  errorCode: string;
  errorMessage: string;
  context: string;
  currency: string;
  amount: string;
  attemptCount: number;
  /** Every transaction signed for the payout, oldest first, with its explorer page when the chain has one. */
  transactions: readonly { hash: string; kind: string; status: string; explorerUrl: string | undefined }[];
  /** The payout in the operators' console, when its URL is configured. */
  consoleUrl: string | undefined;
}

/** Slack's mrkdwn link; `<`, `>` and `&` are the characters Slack asks to escape. */
const link = (url: string, label: string) => `<${url}|${label.replace(/[<>&|]/g, '')}>`;

/** The alert as Slack mrkdwn: the failure, then a line per transaction, then the console link. */
export function slackAlertText(alert: FailureAlert): string {
  const head =
    `payout ${alert.uniqueId} failed permanently with ${alert.errorCode} ` +
    `(${alert.amount} ${alert.currency}, context ${alert.context}, ${alert.attemptCount} attempt(s)): ` +
    alert.errorMessage;
  const transactions = alert.transactions.map(
    (t) => `• ${t.kind} ${t.explorerUrl ? link(t.explorerUrl, t.hash) : t.hash} (${t.status})`,
  );
  const consoleLine = alert.consoleUrl ? [`${link(alert.consoleUrl, 'open in the console')}`] : [];
  return [head, ...transactions, ...consoleLine].join('\n');
}

/**
 * Posts a final failure to Slack. Returns whether it was delivered; a Slack outage never blocks the rest
 * of recording a failure, so errors come back as a value for the caller to log.
 */
export async function postSlackAlert(
  webhook: IncomingWebhook,
  alert: FailureAlert,
): Promise<{ delivered: true } | { delivered: false; error: unknown }> {
  try {
    await webhook.send({ text: slackAlertText(alert) });
    return { delivered: true };
  } catch (error) {
    return { delivered: false, error };
  }
}
