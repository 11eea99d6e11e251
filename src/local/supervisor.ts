// Children of `up --local`: everything started is stopped on Ctrl-C, newest first, and the
// process waits until each is gone, so no process is left behind.
export interface Stoppable {
  name: string;
  stop(): Promise<void>;
}

export class Supervisor {
  private readonly children: Stoppable[] = [];
  private stopping: Promise<void> | undefined;

  add<T extends Stoppable>(child: T): T {
    this.children.push(child);
    return child;
  }

  get names(): string[] {
    return this.children.map((c) => c.name);
  }

  /** Stops every child once, newest first; errors are collected, not thrown, so all get a chance. */
  stopAll(onError: (name: string, error: unknown) => void = () => {}): Promise<void> {
    this.stopping ??= (async () => {
      for (const child of this.children.splice(0).reverse()) {
        try {
          await child.stop();
        } catch (error) {
          onError(child.name, error);
        }
      }
    })();
    return this.stopping;
  }
}
