// Presentation ids (cti) accepted on this device, remembered until their
// code could no longer be accepted anyway (exp + skew). The device keeps them
// in flash (app/replay-store.ts); this RAM cache serves the host tools and
// tests. Bounded: the oldest entry gives way when full.
export interface ReplayMemory {
  /** True when this id (hex) was remembered and is still within its window at `now`. */
  seen(id: string, now: number): boolean;
  remember(id: string, until: number): void;
}

export class ReplayCache implements ReplayMemory {
  private ids: string[] = [];
  private until: number[] = [];

  constructor(private readonly capacity: number) {}

  private prune(now: number): void {
    const ids: string[] = [];
    const until: number[] = [];
    for (let i = 0; i < this.ids.length; i++) {
      if (this.until[i] >= now) {
        ids.push(this.ids[i]);
        until.push(this.until[i]);
      }
    }
    this.ids = ids;
    this.until = until;
  }

  seen(id: string, now: number): boolean {
    this.prune(now);
    for (let i = 0; i < this.ids.length; i++) if (this.ids[i] === id) return true;
    return false;
  }

  remember(id: string, until: number): void {
    if (this.ids.length >= this.capacity) {
      this.ids.splice(0, 1);
      this.until.splice(0, 1);
    }
    this.ids.push(id);
    this.until.push(until);
  }

  size(): number {
    return this.ids.length;
  }
}
