/** Links operators follow: block explorers for the chains hostpay pays on, and a payout in the console. */

const EXPLORERS: Readonly<Record<string, string>> = {
  '1': 'https://etherscan.io',
  '11155111': 'https://sepolia.etherscan.io',
  '17000': 'https://holesky.etherscan.io',
  '10': 'https://optimistic.etherscan.io',
  '137': 'https://polygonscan.com',
  '8453': 'https://basescan.org',
  '42161': 'https://arbiscan.io',
};

/** The explorer's page of a transaction; undefined on a chain without a public explorer (a local node). */
export function explorerTransactionUrl(chainId: bigint | number | string, hash: string): string | undefined {
  const base = EXPLORERS[String(chainId)];
  return base === undefined ? undefined : `${base}/tx/${hash}`;
}

/** The explorer's page of an address (the hot wallet, a recipient, a token contract). */
export function explorerAddressUrl(chainId: bigint | number | string, address: string): string | undefined {
  const base = EXPLORERS[String(chainId)];
  return base === undefined ? undefined : `${base}/address/${address}`;
}

/** A payout's page in the operators' console that adminApi serves at `consoleUrl`. */
export function consolePayoutUrl(consoleUrl: string, uniqueId: string): string {
  return `${consoleUrl.replace(/\/+$/, '')}/#/payout/${encodeURIComponent(uniqueId)}`;
}
