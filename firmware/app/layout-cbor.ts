// The frame on the panel as the admin line's SCREEN answers it (docs/SPEC.md
// 6.5): {1: width, 2: height, 3: colour 0/1, 4: [[x, y, w, h, ink, font + 1
// (0: a filled rectangle), text], ...]}, the layout's own ops, so support
// sees what the guard sees, drawn by the host (pindai device screen).
import { type Bytes, concat } from "../core/bytes";
import { encodeHead, encodeInt, encodeText } from "../core/cbor";
import type { PanelMetrics } from "../hal/display";
import type { Op } from "./layout";

/** Keys of a SCREEN answer's body. */
export const SCREEN_BODY = { WIDTH: 1, HEIGHT: 2, COLOUR: 3, OPS: 4 };

export function encodeFrame(panel: PanelMetrics, ops: Op[]): Bytes {
  const items: Bytes[] = [encodeHead(4, ops.length)];
  for (let i = 0; i < ops.length; i++) {
    const o = ops[i];
    items.push(concat([encodeHead(4, 7), encodeInt(o.x), encodeInt(o.y), encodeInt(o.w), encodeInt(o.h), encodeText(o.ink), encodeInt(o.font + 1), encodeText(o.text)]));
  }
  return concat([
    encodeHead(5, 4),
    encodeInt(SCREEN_BODY.WIDTH),
    encodeInt(panel.width),
    encodeInt(SCREEN_BODY.HEIGHT),
    encodeInt(panel.height),
    encodeInt(SCREEN_BODY.COLOUR),
    encodeInt(panel.colour ? 1 : 0),
    encodeInt(SCREEN_BODY.OPS),
    concat(items),
  ]);
}
