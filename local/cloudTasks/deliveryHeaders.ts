/** The headers a Cloud Tasks HTTP delivery carries, on top of the task's own. */
import { msToEtaHeader } from './protoTime.js';

export interface AuthorizationSpec {
  oidc?: { serviceAccountEmail: string; audience: string };
  oauth?: { serviceAccountEmail: string; scope: string };
}

export interface DeliveryFacts {
  taskId: string;
  queueId: string;
  url: string;
  retryCount: number;
  executionCount: number;
  scheduleTimeMs: number;
  previousResponse: number | null;
  hasBody: boolean;
  authorization: AuthorizationSpec;
  nowMs: number;
}

/** Headers Cloud Tasks sets itself; a task cannot supply them. */
const RESERVED = /^(host|content-length|user-agent|x-cloudtasks-.*|x-google-.*|x-appengine-.*)$/i;

/** The task's headers minus reserved ones, plus the Cloud Tasks headers for this attempt. */
export function deliveryHeaders(
  taskHeaders: Record<string, string>,
  facts: DeliveryFacts,
): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(taskHeaders)) {
    if (!RESERVED.test(name)) headers[name] = value;
  }
  const hasContentType = Object.keys(headers).some((name) => name.toLowerCase() === 'content-type');
  if (facts.hasBody && !hasContentType) headers['Content-Type'] = 'application/octet-stream';
  headers['User-Agent'] = 'Google-Cloud-Tasks';
  headers['X-CloudTasks-QueueName'] = facts.queueId;
  headers['X-CloudTasks-TaskName'] = facts.taskId;
  headers['X-CloudTasks-TaskRetryCount'] = String(facts.retryCount);
  headers['X-CloudTasks-TaskExecutionCount'] = String(facts.executionCount);
  headers['X-CloudTasks-TaskETA'] = msToEtaHeader(facts.scheduleTimeMs);
  if (facts.previousResponse !== null)
    headers['X-CloudTasks-TaskPreviousResponse'] = String(facts.previousResponse);
  const { oidc, oauth } = facts.authorization;
  if (oidc !== undefined) {
    const audience = oidc.audience === '' ? facts.url : oidc.audience;
    headers.Authorization = `Bearer ${unsignedIdToken(oidc.serviceAccountEmail, audience, facts.nowMs)}`;
  } else if (oauth !== undefined) {
    headers.Authorization = `Bearer local-access-token-for-${oauth.serviceAccountEmail}`;
  }
  return headers;
}

/** An OIDC ID token shaped like Google's but unsigned (`alg: none`): nothing local can verify a signature. */
export function unsignedIdToken(email: string, audience: string, nowMs: number): string {
  const iat = Math.floor(nowMs / 1000);
  const encode = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const header = encode({ alg: 'none', typ: 'JWT' });
  const payload = encode({
    aud: audience,
    azp: email,
    email,
    email_verified: true,
    exp: iat + 3600,
    iat,
    iss: 'https://accounts.google.com',
    sub: email,
  });
  return `${header}.${payload}.`;
}
