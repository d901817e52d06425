// What the screen gives away (issue 14): only the NIK's last 4 digits, and a
// signed name cannot add lines, escapes or reordering to the screen.
import { describe, expect, it } from "vitest";
import { displayText } from "../firmware/app/display-text";
import { maskNik } from "../firmware/core/outcome";
import { issuePresentation } from "../host/issuer/issuer";
import { SimDevice } from "../sim/device";
import { renderText } from "../sim/screen";
import { HOLDER, makeWorld } from "../sim/world";
import { T0 } from "./support/fixtures";

function device() {
  const world = makeWorld(T0);
  const d = new SimDevice({ roots: world.roots, buildTime: T0 - 86400, version: "t", lang: "en", clearAfterMs: 60_000 });
  d.provision(world, T0);
  const show = (name: string) => {
    d.clear();
    return d.scan(issuePresentation(world.qrSigner, { ...HOLDER, name }, { iat: d.rtc.seconds() }));
  };
  return { d, show };
}

describe("the NIK on screen", () => {
  it("only its last 4 digits: the region (1-6) and birth date (7-12) never appear", () => {
    expect(maskNik("3201014512900001")).toBe("************0001");
    const { d, show } = device();
    const s = show("Siti Aminah");
    expect(s.color).toBe("green");
    const text = renderText(s, false);
    expect(text).toContain("NIK: ************0001");
    for (let i = 0; i + 4 <= 12; i++) expect(text, HOLDER.nik.slice(i, i + 4)).not.toContain(HOLDER.nik.slice(i, i + 4));
    expect(d.app.lastOutcome?.display?.nikMasked).toBe("************0001");
  });
});

describe("display injection", () => {
  it("a newline in a signed name adds no line to the screen", () => {
    const { show } = device();
    const s = show("Siti\nVALID\r\nAminah");
    expect(s.lines[0]).toBe("Name: SitiVALIDAminah");
    expect(s.lines).toHaveLength(4);
    expect(renderText(s, false).split("\n")).toHaveLength(7); // frame, title, 4 lines, frame
  });

  it("ANSI escapes lose their ESC and CSI, so the terminal draws them as text", () => {
    const { show } = device();
    const s = show("\x1b[2J\x1b[42mSiti\u009b31m Aminah");
    expect(s.lines[0]).toBe("Name: [2J[42mSiti31m Aminah");
    expect(s.lines[0]).not.toMatch(/[\x00-\x1f\x7f-\x9f]/);
  });

  it("right-to-left overrides, isolates, marks and zero-width characters are dropped", () => {
    const { show } = device();
    const s = show("Siti \u202eharamA\u202c \u2067x\u2069\u200b\u200d\u200f\u061c\ufeff\u2028Y");
    expect(s.lines[0]).toBe("Name: Siti haramA xY");
  });

  it("a long name is cut on a character boundary, never inside a surrogate pair or UTF-8 sequence", () => {
    const { show } = device();
    const name = "\u00c9mile " + "\u{1f600}".repeat(40);
    const s = show(name);
    const shown = s.lines[0].slice("Name: ".length);
    expect(Array.from(shown)).toHaveLength(32);
    expect(shown).toBe("\u00c9mile " + "\u{1f600}".repeat(26));
    expect(displayText("ab\u{1f600}", 3)).toBe("ab\u{1f600}");
    expect(displayText("ab\u{1f600}", 2)).toBe("ab");
    expect(displayText("\ud800x", 5)).toBe("x"); // a lone surrogate is not a character
  });

  it("Indonesian and other scripts are kept as they are", () => {
    expect(displayText("Nyoman Gede \u0101\u00e9 \u0645\u062d\u0645\u062f", 100)).toBe("Nyoman Gede \u0101\u00e9 \u0645\u062d\u0645\u062f");
  });
});
