/** What Cloud Tasks says about a delivery, read from the headers it adds (DESIGN.md §10). */
export interface TaskDelivery {
  taskName: string | null;
  queueName: string | null;
  retryCount: number;
  executionCount: number;
}

export function readTaskDelivery(headers: Record<string, string | string[] | undefined>): TaskDelivery {
  const one = (name: string): string | null => {
    const value = headers[name];
    return (Array.isArray(value) ? value[0] : value) ?? null;
  };
  const count = (name: string): number => {
    const n = Number(one(name) ?? 0);
    return Number.isSafeInteger(n) && n >= 0 ? n : 0;
  };
  return {
    taskName: one('x-cloudtasks-taskname'),
    queueName: one('x-cloudtasks-queuename'),
    retryCount: count('x-cloudtasks-taskretrycount'),
    executionCount: count('x-cloudtasks-taskexecutioncount'),
  };
}
