// Timers HAL on Node.
import type { Timers } from "../../hal/timers";

export function nodeTimers(): Timers {
  const handles: Record<number, NodeJS.Timeout> = {};
  let next = 1;
  return {
    setTimeout(fn, ms) {
      const id = next++;
      handles[id] = setTimeout(() => {
        delete handles[id];
        fn();
      }, ms);
      return id;
    },
    clearTimeout(id) {
      clearTimeout(handles[id]);
      delete handles[id];
    },
    millis: () => performance.now(),
  };
}
