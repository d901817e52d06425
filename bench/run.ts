// npm run bench: every speed and memory figure, side by side with the
// reference libraries, in one run. BENCH_SECONDS sets the time per cell.
import { benchEd25519 } from "./ed25519";
import { benchCamera } from "./camera";
import { benchRuntimes } from "./runtimes";
import { benchCortexM } from "./cortex-m";
import { benchEspruinoArm } from "./espruino-arm/bench";
import { benchStartup } from "./startup";
import { benchEspruinoPool } from "./espruino-pool";

const seconds = Number(process.env.BENCH_SECONDS ?? "1");
benchStartup(Number(process.env.BENCH_STARTUP_RUNS ?? "7"));
benchEd25519(seconds);
await benchCamera(Number(process.env.BENCH_FRAMES ?? "6"), Number(process.env.BENCH_CAMERA_TARGET_FRAMES ?? "20"), Number(process.env.BENCH_NO_CODE_FRAMES ?? "1000"));
await benchCortexM(await benchRuntimes(Number(process.env.BENCH_RUNTIME_CALLS ?? "5")));
await benchEspruinoArm();
await benchEspruinoPool();
