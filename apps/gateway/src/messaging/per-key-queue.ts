// Runs tasks of one key one after another (in call order), tasks of different keys side by side. The send path
// queues its reservation transaction here per session: the database's session row lock already serializes them
// (across gateways too), but sixteen sends of one session waiting on that lock inside open transactions would
// hold sixteen pooled connections idle, starving the acknowledgements, receipts and Baileys' key writes that the
// lock holder's progress depends on. Queued here, a waiting send holds nothing. Not state: a restart loses only
// the order of requests that had not started.
export class PerKeyQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
